using NotebookKit.Faults;
using NotebookKit.Model;
using NotebookKit.Telemetry;
using NotebookKit.Tests.Training;
using NotebookKit.Training;

namespace NotebookKit.Tests.Faults;

/// <summary>
/// One seeded tiny run per fault, set up by <see cref="FaultSetup"/> as <c>nbk train --fault</c> does, each
/// trained once per test process and shared by the signature tests and the doctor's table test.
/// </summary>
static class FaultRuns
{
    /// <summary>60 steps at a peak rate of 1e-2 with 16 warmup steps: the healthy run's loss falls from 3.0 to about 0.9.</summary>
    public static TrainConfig Base => TinyRun.Config with { MaxIters = 60, LearningRate = 1e-2, MinLearningRate = 1e-3, WarmupIters = 16, EvalEvery = 10, EvalIters = 2 };

    public sealed record Run(Trainer Trainer, RunLog Log, RunInfo Info);

    static readonly Dictionary<string, Run> Cache = [];

    /// <summary>The run of <paramref name="fault"/> (None is healthy). Accumulating runs draw microbatches of
    /// 4 / accumulation windows so every run trains on 4 windows per step and takes about as long.</summary>
    public static Run Of(LoopFault fault) => Get(fault.Name(), () =>
    {
        var (model, config) = FaultSetup.Apply(fault, TinyRun.Model(), Base);
        return (model, config with { BatchSize = Math.Max(1, config.BatchSize / config.Accumulation) });
    });

    /// <summary>A healthy loop with dropout 0.1, the fair comparison for evaluation in training mode.</summary>
    public static Run HealthyWithDropout => Get("dropout", () => (TinyRun.Model(dropout: 0.1), Base));

    /// <summary>A healthy fp16 run with the same overflow-prone loss scaling as uncounted skips, its skips reported.</summary>
    public static Run HealthyFp16 => Get("fp16", () =>
    {
        var (model, config) = FaultSetup.Apply(LoopFault.UncountedSkips, TinyRun.Model(), Base);
        return (model, config with { Fault = LoopFault.None });
    });

    /// <summary>A healthy loop with two ranks on their own shards, the comparison for repeated shards.</summary>
    public static Run HealthyTwoRanks => Get("ranks", () => (TinyRun.Model(), Base with { Ranks = 2 }));

    /// <summary>Peak learning rate 1.0 without clipping: Adam moves every weight by about 1 per step and the loss blows up.</summary>
    public static Run LearningRateTooHigh => Get("lr", () => (TinyRun.Model(), Base with { MaxIters = 30, WarmupIters = 10, LearningRate = 1.0, MinLearningRate = 0.1, ClipNorm = 0 }));

    static Run Get(string key, Func<(ModelConfig Model, TrainConfig Config)> setup)
    {
        if (Cache.TryGetValue(key, out var run)) return run;
        var (model, config) = setup();
        var trainer = new Trainer(model, config, TinyRun.Data(), TorchSharp.torch.CPU, name: key);
        var log = ResumeDrill.TrainWithResume(trainer);
        return Cache[key] = new Run(trainer, log, RunInfo.From(model, config, sftData: false));
    }
}
