using NotebookKit.Benchmarks;
using NotebookKit.Tests.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Benchmarks;

public class LoopBenchmarkTests
{
    [Fact]
    public void Windows_alternate_which_loop_goes_first_and_the_result_adds_up()
    {
        var seen = new List<BenchmarkWindow>();
        var result = LoopBenchmark.Run(TinyRun.Model(), TinyRun.Config, TinyRun.Data(), CPU, new BenchmarkSettings(StepsPerWindow: 3, Windows: 3), seen.Add);

        Assert.Equal(seen, result.Windows);
        Assert.Equal(["library", "bare", "bare", "library", "library", "bare", "bare", "library"], result.Windows.Select(w => w.Loop));
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], result.Windows.Select(w => w.Index));
        // Median of the three timed windows, never the warm-up.
        var library = result.Windows.Where(w => w.Loop == "library" && w.Index > 0).Select(w => w.TokensPerSecond).Order().ToArray();
        Assert.Equal(library[1], result.LibraryTokensPerSecond);
        Assert.Equal(result.LibraryTokensPerSecond / result.BareTokensPerSecond, result.Ratio, 12);
        Assert.Equal(TinyRun.Model().FlopsPerToken * result.LibraryTokensPerSecond / (result.PeakGflops * 1e9), result.LibraryMfu, 12);
        var pairs = Enumerable.Range(1, 3).Select(i => result.Windows.Single(w => w.Loop == "library" && w.Index == i).TokensPerSecond
                                                  / result.Windows.Single(w => w.Loop == "bare" && w.Index == i).TokensPerSecond).Order().ToArray();
        Assert.Equal(pairs[1], result.PairedRatio, 12);
        Assert.True(result.PeakRssBytes >= result.Windows.Max(w => w.RssBytes));
        // Evaluation only ever costs time: the figure with it lies below the one without, by one evaluation per EvalEvery steps.
        Assert.True(result.EvaluationSeconds > 0);
        Assert.InRange(result.LibraryTokensPerSecondWithEvaluation, 0.01 * result.LibraryTokensPerSecond, result.LibraryTokensPerSecond);
        var longer = result with { EvalEvery = result.EvalEvery * 10 };
        Assert.True(longer.LibraryTokensPerSecondWithEvaluation > result.LibraryTokensPerSecondWithEvaluation);
        Assert.Matches(@"^library_tokens_per_s=\d+ bare_tokens_per_s=\d+ ratio=\d+\.\d{3} library_mfu=\d+\.\d{3} peak_gflops=\d+\.\d .* library_tokens_per_s_with_eval=\d+$", result.MachineLine);
    }

    [Fact]
    public void Settings_name_the_bad_value()
    {
        var error = Assert.Throws<ArgumentException>(() => new BenchmarkSettings(StepsPerWindow: 0).Validate());
        Assert.Contains("--steps", error.Message);
    }
}
