using NotebookKit.Faults;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Cli.Tests.Commands;

public sealed class DoctorCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("nbk-doctor-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A 20-step timeline whose loss falls from 3 to 1; <paramref name="optimizerSaw"/> is the gradient norm the optimizer saw.</summary>
    static RunLog Timeline(double optimizerSaw)
    {
        var log = new RunLog("t");
        for (var step = 1; step <= 20; step++)
            log.Add(new StepRecord(step, step * 64L, 3.0 - 0.1 * step, null, 1e-3, 1.5, true, 1000, 0.01, false, step, optimizerSaw,
                TokenMeanLoss: 3.0 - 0.1 * step, RankOverlap: 0, StaleGradNorm: 0, BatchFingerprint: $"{step:x16}"));
        return log;
    }

    string Write(RunLog log, RunInfo? info)
    {
        var csv = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, Guid.NewGuid().ToString("N"))).FullName, "run.csv");
        log.WriteCsv(csv);
        info?.Save(RunInfo.SidecarPath(csv));
        return csv;
    }

    [Fact]
    public void Names_the_fault_with_its_evidence_and_exits_1()
    {
        var csv = Write(Timeline(optimizerSaw: 0), new RunInfo(WarmupIters: 0, LearningRate: 1e-3));
        var (exit, stdout, _) = Nbk.Run("doctor", csv);
        Assert.Equal(1, exit);
        Assert.StartsWith("zero-grad-before-step: the optimizer saw a zero gradient norm on 20 of 20 steps", stdout);
    }

    [Fact]
    public void Says_healthy_and_exits_0_when_nothing_is_wrong()
    {
        var csv = Write(Timeline(optimizerSaw: 1.0), new RunInfo(WarmupIters: 0, LearningRate: 1e-3));
        var (exit, stdout, _) = Nbk.Run("doctor", csv);
        Assert.Equal(0, exit);
        Assert.StartsWith("healthy: no sign of any known fault", stdout);
        Assert.Contains("read 20 steps", stdout);
    }

    [Fact]
    public void A_missing_sidecar_is_one_line_naming_it_and_the_flag()
    {
        var csv = Write(Timeline(optimizerSaw: 1.0), info: null);
        var (exit, _, stderr) = Nbk.Run("doctor", csv);
        Assert.Equal(2, exit);
        Assert.Equal($"nbk: run information '{RunInfo.SidecarPath(csv)}' does not exist: nbk train --timeline writes it beside the CSV, or pass --run-info FILE", stderr.Trim());
    }

    [Fact]
    public void Run_info_can_come_from_a_flag()
    {
        var csv = Write(Timeline(optimizerSaw: 0), info: null);
        var info = Path.ChangeExtension(csv, ".settings.json");
        new RunInfo(WarmupIters: 0, LearningRate: 1e-3).Save(info);
        var (exit, stdout, _) = Nbk.Run("doctor", csv, "--run-info", info);
        Assert.Equal(1, exit);
        Assert.StartsWith("zero-grad-before-step:", stdout);
    }
}
