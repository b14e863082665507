using NotebookKit.Telemetry;
using NotebookKit.Tests.Training;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Telemetry;

public sealed class TimelineCsvWriterTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("nbk-timeline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_appended_step_reads_back_while_the_file_is_still_open_and_the_closed_file_equals_the_whole_log()
    {
        using var trainer = new Trainer(TinyRun.Model(), TinyRun.Config with { MaxIters = 6, EvalEvery = 3 }, TinyRun.Data(), CPU);
        trainer.Train(2);
        var path = Path.Combine(_dir, "sub", "run.csv");
        var writer = new TimelineCsvWriter(path, trainer.Log.Steps);
        Assert.Equal([1, 2], RunLog.ReadCsv(path).Steps.Select(s => s.Step)); // the steps taken before it opened
        trainer.Train(onStep: step =>
        {
            writer.Append(step);
            // Read by another handle, as a process reading after a kill would: the row is already there.
            Assert.Equal(step, RunLog.ReadCsv(path).Steps[^1]);
        });
        writer.Dispose();
        writer.Dispose();
        Assert.Equal(trainer.Log.ToCsv(), File.ReadAllText(path));
        Assert.Equal(6, writer.Rows);
    }

    [Fact]
    public void WriteCsv_replaces_the_file_whole_and_leaves_no_temporary_file()
    {
        var path = Path.Combine(_dir, "run.csv");
        File.WriteAllText(path, "an older, longer file that must not leave a tail behind\n" + new string('x', 5000));
        var log = new RunLog("t");
        log.Add(new StepRecord(1, 64, 3.25, 3.5, 1e-3, 1.5, true, 1000, 0.01, false, 1, 1.0));
        log.WriteCsv(path);
        Assert.Equal(log.ToCsv(), File.ReadAllText(path));
        Assert.Equal(["run.csv"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }
}
