using System.Globalization;
using System.Text.RegularExpressions;

namespace NotebookKit.Cli.Tests.Commands;

public class BenchCommandTests
{
    [Fact]
    public void Short_bench_prints_the_machine_readable_line_last()
    {
        var corpus = Path.Combine(Path.GetTempPath(), $"nbk-bench-{Guid.NewGuid():N}.txt");
        File.WriteAllText(corpus, string.Concat(Enumerable.Repeat("deploy api ok\nalert db high\nRollback started at 14:18\n", 60)));
        try
        {
            var (code, stdout, stderr) = Nbk.Run("bench", "--data", corpus, "--layers", "1", "--embd", "32", "--heads", "2", "--block", "16", "--batch", "4",
                "--steps", "2", "--windows", "2", "--threads", "1");
            Assert.True(code == 0, stderr);
            var last = stdout.TrimEnd().Split('\n')[^1];
            var match = Regex.Match(last, @"^library_tokens_per_s=(\d+) bare_tokens_per_s=(\d+) ratio=([\d.]+) library_mfu=([\d.]+) peak_gflops=([\d.]+)");
            Assert.True(match.Success, last);
            double Value(int group) => double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
            Assert.True(Value(1) > 0 && Value(2) > 0 && Value(5) > 0, last);
            // The rates are printed as whole tokens/s and the ratio to 3 decimals, so they agree to rounding, not to a fixed decimal place.
            Assert.True(Math.Abs(Value(1) / Value(2) - Value(3)) < 0.002, last);
            Assert.Contains("1 threads", stdout);
            Assert.Contains("cpu: ", stdout);
            Assert.Contains("library with evaluation every", stdout);
        }
        finally
        {
            File.Delete(corpus);
        }
    }

    [Fact]
    public void A_missing_corpus_is_one_line_naming_the_file()
    {
        var (code, _, stderr) = Nbk.Run("bench", "--data", "no/such/corpus.txt", "--steps", "1", "--windows", "1");
        Assert.Equal(2, code);
        Assert.Contains("'no/such/corpus.txt'", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
