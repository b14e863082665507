using NotebookKit.Faults;
using NotebookKit.Telemetry;
using Xunit.Abstractions;
using NotebookKit.Training;

namespace NotebookKit.Tests.Faults;

public class LoopDoctorTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Runs()
    {
        var data = new TheoryData<string, string>();
        foreach (var fault in Enum.GetValues<LoopFault>())
            data.Add(fault.Name(), fault == LoopFault.None ? "" : fault.Name());
        data.Add("healthy-sft", "");
        data.Add("healthy-dropout", "");
        data.Add("healthy-fp16", "");
        data.Add("healthy-two-ranks", "");
        data.Add("lr-1.0", LoopDoctor.LrTooHigh);
        return data;
    }

    static FaultRuns.Run RunNamed(string name) => name switch
    {
        "healthy-sft" => FaultRuns.HealthySft,
        "healthy-dropout" => FaultRuns.HealthyWithDropout,
        "healthy-fp16" => FaultRuns.HealthyFp16,
        "healthy-two-ranks" => FaultRuns.HealthyTwoRanks,
        "lr-1.0" => FaultRuns.LearningRateTooHigh,
        _ => FaultRuns.Of(LoopFaultNames.Parse(name)),
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void Names_the_fault_of_each_run_and_nothing_on_healthy_ones(string run, string expected)
    {
        var r = RunNamed(run);
        var diagnosis = LoopDoctor.Diagnose(r.Log, r.Info);
        output.WriteLine(diagnosis.ToString());
        Assert.Equal(expected == "" ? [] : [expected], diagnosis.Names);
        Assert.Equal(expected == "", diagnosis.Healthy);
    }

    [Fact]
    public void Reads_the_same_from_the_csv_as_from_memory()
    {
        var run = FaultRuns.Of(LoopFault.ZeroGradBeforeStep);
        var path = Path.Combine(Path.GetTempPath(), $"nbk-doctor-{Guid.NewGuid():N}.csv");
        try
        {
            run.Log.WriteCsv(path);
            var reread = RunLog.ReadCsv(path);
            Assert.Equal(run.Log.Steps, reread.Steps);
            Assert.Equal(LoopDoctor.Diagnose(run.Log, run.Info).ToString(), LoopDoctor.Diagnose(reread, run.Info).ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_empty_timeline_is_an_error_that_says_so()
    {
        var error = Assert.Throws<ArgumentException>(() => LoopDoctor.Diagnose(new RunLog("empty"), new RunInfo(100, 1e-3)));
        Assert.Contains("timeline 'empty' has no steps", error.Message);
    }
}
