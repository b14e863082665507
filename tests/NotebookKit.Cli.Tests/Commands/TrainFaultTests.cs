using NotebookKit.Faults;
using NotebookKit.Training;

namespace NotebookKit.Cli.Tests.Commands;

public sealed class TrainFaultTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("nbk-fault-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Fault_list_prints_every_name_one_per_line()
    {
        var (exit, stdout, _) = Nbk.Run("train", "--fault", "list");
        Assert.Equal(0, exit);
        Assert.Equal(LoopFaultNames.All, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("zero-grad-before-step", LoopFaultNames.All);
    }

    [Fact]
    public void An_unknown_fault_is_rejected_with_the_valid_names()
    {
        var (exit, stdout, stderr) = Nbk.Run("train", "--fault", "zero-grad-after-step");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("nbk: fault 'zero-grad-after-step' is not known: use one of labels-not-shifted, sft-mask-inverted,", stderr);
        Assert.All(LoopFaultNames.All, name => Assert.Contains(name, stderr));
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void A_faulty_run_writes_a_timeline_the_doctor_names()
    {
        var csv = Path.Combine(_dir, "run.csv");
        var (exit, stdout, stderr) = Nbk.Run("train", "--fault", "zero-grad-before-step", "--timeline", csv,
            "--layers", "1", "--heads", "2", "--embd", "32", "--block", "32", "--batch", "4", "--iters", "20", "--warmup", "5", "--eval-every", "10", "--eval-iters", "2", "--threads", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("fault: zero-grad-before-step, a broken loop on purpose", stdout);
        Assert.True(File.Exists(RunInfo.SidecarPath(csv)));

        var (doctorExit, diagnosis, _) = Nbk.Run("doctor", csv);
        Assert.Equal(1, doctorExit);
        Assert.StartsWith("zero-grad-before-step: the optimizer saw a zero gradient norm on 20 of 20 steps", diagnosis);
    }
}
