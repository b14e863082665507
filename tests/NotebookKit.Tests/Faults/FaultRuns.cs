using NotebookKit.Data;
using NotebookKit.Faults;
using NotebookKit.Model;
using NotebookKit.Telemetry;
using NotebookKit.Tests.Training;
using NotebookKit.Text;
using NotebookKit.Text.OpsLog;
using NotebookKit.Training;

namespace NotebookKit.Tests.Faults;

/// <summary>
/// One seeded tiny run per fault, set up by <see cref="FaultSetup"/> as <c>nbk train --fault</c> does, each
/// trained once per test process and shared by the signature tests and the doctor's table test.
/// </summary>
static class FaultRuns
{
    /// <summary>40 steps at a peak rate of 1e-2 with 16 warmup steps: the healthy run's loss falls from 3.0 to about 1.2.</summary>
    public static TrainConfig Base => TinyRun.Config with { MaxIters = 40, LearningRate = 1e-2, MinLearningRate = 1e-3, WarmupIters = 16, EvalEvery = 10, EvalIters = 2 };

    public sealed record Run(Trainer Trainer, RunLog Log, RunInfo Info);

    static readonly Dictionary<string, Run> Cache = [];

    /// <summary>The run of <paramref name="fault"/> (None is healthy), on prompt/response pairs when the fault needs
    /// them. Accumulating runs draw microbatches of 4 / accumulation items so every run trains on 4 per step.</summary>
    public static Run Of(LoopFault fault) => Get(fault.Name(), FaultSetup.NeedsSftData(fault), () =>
    {
        var (model, config) = FaultSetup.Apply(fault, FaultSetup.NeedsSftData(fault) ? SftModel : TinyRun.Model(), Base);
        return (model, config with { BatchSize = Math.Max(1, config.BatchSize / config.Accumulation) });
    });

    /// <summary>The healthy loop on prompt/response pairs, the comparison for the SFT faults.</summary>
    public static Run HealthySft => Get("sft", sft: true, () => (SftModel, Base));

    /// <summary>The bundled incident pairs: 360 to train on, the last 40 held out; every pair fits in 64 characters.</summary>
    static readonly IReadOnlyList<SftExample> Pairs = OpsLogCorpus.Sft();
    static readonly CharTokenizer PairTokenizer = CharTokenizer.FromText(string.Concat(Pairs.Select(p => p.Prompt + p.Response)));
    static ModelConfig SftModel => TinyRun.Model() with { VocabSize = PairTokenizer.VocabSize, BlockSize = 64 };

    /// <summary>A healthy loop with dropout 0.1, the fair comparison for evaluation in training mode.</summary>
    public static Run HealthyWithDropout => Get("dropout", sft: false, () => (TinyRun.Model(dropout: 0.1), Base));

    /// <summary>A healthy fp16 run with the same overflow-prone loss scaling as uncounted skips, its skips reported.</summary>
    public static Run HealthyFp16 => Get("fp16", sft: false, () =>
    {
        var (model, config) = FaultSetup.Apply(LoopFault.UncountedSkips, TinyRun.Model(), Base);
        return (model, config with { Fault = LoopFault.None });
    });

    /// <summary>A healthy loop with two ranks on their own shards, the comparison for repeated shards.</summary>
    public static Run HealthyTwoRanks => Get("ranks", sft: false, () => (TinyRun.Model(), Base with { Ranks = 2 }));

    /// <summary>
    /// Peak learning rate <paramref name="learningRate"/> (1, 3 or 30) without clipping, on text or on prompt/response pairs:
    /// Adam moves every weight by about the learning rate per step and the loss blows up or goes to NaN.
    /// </summary>
    public static Run Diverging(double learningRate, bool sft) => Get($"lr-{learningRate}{(sft ? "-sft" : "")}", sft, () =>
        (sft ? SftModel : TinyRun.Model(), Base with { MaxIters = 30, WarmupIters = 10, LearningRate = learningRate, MinLearningRate = learningRate / 10, ClipNorm = 0 }));

    static Run Get(string key, bool sft, Func<(ModelConfig Model, TrainConfig Config)> setup)
    {
        if (Cache.TryGetValue(key, out var run)) return run;
        var (model, config) = setup();
        Trainer Build() => sft
            ? new Trainer(model, config, SftSplit.Of(Pairs), PairTokenizer.Encode, TorchSharp.torch.CPU, name: key)
            : new Trainer(model, config, TinyRun.Data(), TorchSharp.torch.CPU, name: key);
        var trainer = ResumeDrill.Train(Build, sft ? PairTokenizer.Alphabet : TinyRun.Alphabet);
        return Cache[key] = new Run(trainer, trainer.Log, RunInfo.From(model, config, sft));
    }
}
