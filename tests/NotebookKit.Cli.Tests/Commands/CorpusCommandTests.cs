using System.CommandLine;
using NotebookKit.Cli.Commands;
using NotebookKit.Text.OpsLog;

namespace NotebookKit.Cli.Tests.Commands;

public sealed class CorpusCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("nbk-corpus-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Writes_the_files_and_prints_the_floor_last()
    {
        var output = new StringWriter();
        var saved = Console.Out;
        Console.SetOut(output);
        int exitCode;
        try
        {
            exitCode = new RootCommand { CorpusCommand.Create() }.Parse(["corpus", "--out", _dir]).Invoke();
        }
        finally
        {
            Console.SetOut(saved);
        }

        Assert.Equal(0, exitCode);
        var lines = output.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(FormattableString.Invariant($"entropy_floor={OpsLogCorpus.EntropyFloor:F4}"), lines[^1]);
        Assert.StartsWith("entropy_floor=0.45", lines[^1]);
        Assert.Contains("alphabet=44 characters", lines);
        Assert.Equal(OpsLogCorpus.Validation().Text, File.ReadAllText(Path.Combine(_dir, "validation.txt")));
        Assert.True(new FileInfo(Path.Combine(_dir, "train.txt")).Length >= OpsLogCorpus.TrainChars);
        Assert.Equal(OpsLogCorpus.SftPairs, File.ReadAllLines(Path.Combine(_dir, "sft.jsonl")).Length);
    }
}
