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
        foreach (var run in new[] { "lr-1", "lr-3", "lr-30", "sft-lr-3", "sft-lr-30" })
            data.Add(run, LoopDoctor.Diverged);
        return data;
    }

    static FaultRuns.Run RunNamed(string name) => name switch
    {
        "healthy-sft" => FaultRuns.HealthySft,
        "healthy-dropout" => FaultRuns.HealthyWithDropout,
        "healthy-fp16" => FaultRuns.HealthyFp16,
        "healthy-two-ranks" => FaultRuns.HealthyTwoRanks,
        ['l', 'r', '-', ..] => FaultRuns.Diverging(double.Parse(name[3..], System.Globalization.CultureInfo.InvariantCulture), sft: false),
        ['s', 'f', 't', '-', 'l', 'r', '-', ..] => FaultRuns.Diverging(double.Parse(name[7..], System.Globalization.CultureInfo.InvariantCulture), sft: true),
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

    [Theory]
    [InlineData(3.0, false)]
    [InlineData(30.0, false)]
    [InlineData(3.0, true)]
    [InlineData(30.0, true)]
    public void A_diverging_run_is_named_diverged_at_its_step_and_learning_rate_and_never_as_a_silent_fault(double learningRate, bool sft)
    {
        var run = FaultRuns.Diverging(learningRate, sft);
        var finding = Assert.Single(LoopDoctor.Diagnose(run.Log, run.Info).Findings);
        output.WriteLine(finding.ToString());
        Assert.Equal(LoopDoctor.Diverged, finding.Name);
        // The step the doctor names is the first whose loss is non-finite, or whose 3-step mean passed 1.5x the first three.
        var losses = run.Log.Steps.Select(s => s.Loss).ToArray();
        var start = losses.Take(3).Average();
        var first = run.Log.Steps.FirstOrDefault(s => !double.IsFinite(s.Loss))
                    ?? run.Log.Steps.Skip(2).First(s => losses[(s.Step - 3)..s.Step].Average() > 1.5 * start);
        Assert.Contains($"at step {first.Step}", finding.Evidence);
        Assert.Contains($"learning rate {first.LearningRate.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)}", finding.Evidence);
        Assert.Contains($"peak learning rate {learningRate}", finding.Evidence);
    }

    [Fact]
    public void A_loss_that_turns_nan_late_is_diverged_even_where_the_curve_looks_like_copying()
    {
        // The shape labels-not-shifted reads (training loss near zero, validation rising), ending in NaN: the NaN decides.
        var log = new RunLog("nan tail");
        for (var step = 1; step <= 20; step++)
            log.Add(new StepRecord(step, step * 64L, step < 18 ? 3.0 / step : double.NaN, ValLoss: step % 10 == 0 ? step / 5.0 : null, LearningRate: 1e-2,
                GradNorm: 1.0, Clipped: false, TokensPerSecond: 1000, Mfu: 0, Skipped: false, OptimizerStep: step, GradNormAtStep: 1.0));
        var finding = Assert.Single(LoopDoctor.Diagnose(log, new RunInfo(WarmupIters: 0, LearningRate: 1e-2, SftData: true)).Findings);
        Assert.Equal(LoopDoctor.Diverged, finding.Name);
        Assert.Contains("the loss became NaN at step 18", finding.Evidence);
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
