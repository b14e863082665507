using System.Text.Json.Serialization;
using NotebookKit.Precision;

namespace NotebookKit.Training;

/// <summary>
/// Everything that decides how a run trains, in one immutable record. Defaults follow nanoGPT's
/// CPU character-level run (config/train_shakespeare_char.py); <see cref="CommandLineRun"/> is the longer, hotter
/// run <c>nbk train</c> makes with no flags.
/// </summary>
/// <param name="BatchSize">B, windows per microbatch. 12: the CPU run's batch, small enough for 2 cores.</param>
/// <param name="Accumulation">Microbatches per optimizer step. 1: no accumulation by default.</param>
/// <param name="MaxIters">Optimizer steps to train. 7000.</param>
/// <param name="LearningRate">Peak learning rate. 1e-3: tiny models tolerate a high rate.</param>
/// <param name="MinLearningRate">Floor of the cosine decay. 1e-4: a tenth of the peak, as nanoGPT's CPU run.</param>
/// <param name="WarmupIters">Optimizer steps of linear warmup. 100: enough for Adam's second-moment estimate to settle.</param>
/// <param name="LrDecayIters">Optimizer step where the cosine reaches the floor; null means <paramref name="MaxIters"/>.</param>
/// <param name="WeightDecay">AdamW decoupled weight decay, applied to matrices only (not biases, LayerNorms). 0.1, as in GPT-2 training.</param>
/// <param name="Beta1">Adam's first-moment decay. 0.9, the usual value.</param>
/// <param name="Beta2">Adam's second-moment decay. 0.99 rather than 0.999: few tokens per step, so a shorter memory reacts faster.</param>
/// <param name="ClipNorm">Clip the global gradient norm to this; 0 turns clipping off. 1.0, the usual value.</param>
/// <param name="EvalEvery">Evaluate on validation data every this many steps (and after the last). 250.</param>
/// <param name="EvalIters">Validation batches averaged per evaluation. 20: a stable estimate in well under a second.</param>
/// <param name="Seed">Seeds the weights, dropout and the data order.</param>
/// <param name="Precision">Number format of training; <see cref="PrecisionMode.Fp32"/> is the reference.</param>
/// <param name="InitialLossScale">Starting loss scale of fp16 mixed precision. 65536 (2^16), as PyTorch's GradScaler.</param>
/// <param name="LossScaleGrowthInterval">Clean fp16 steps before the loss scale doubles. 2000, as PyTorch's GradScaler.</param>
/// <param name="Ranks">Simulated data-parallel ranks; each draws its own microbatches from its own shard. All run in one
/// process through one model, and their token-normalised gradients add up: exactly the all-reduced gradient of identical replicas. 1.</param>
/// <param name="Fault">A broken loop to reproduce on purpose; <see cref="LoopFault.None"/> is the healthy loop, and a healthy
/// run's saved settings (a checkpoint's manifest) leave the field out.</param>
public sealed record TrainConfig(
    int BatchSize = 12,
    int Accumulation = 1,
    int MaxIters = 7000,
    double LearningRate = 1e-3,
    double MinLearningRate = 1e-4,
    int WarmupIters = 100,
    int? LrDecayIters = null,
    double WeightDecay = 0.1,
    double Beta1 = 0.9,
    double Beta2 = 0.99,
    double ClipNorm = 1.0,
    int EvalEvery = 250,
    int EvalIters = 20,
    long Seed = 1337,
    PrecisionMode Precision = PrecisionMode.Fp32,
    double InitialLossScale = 65536,
    int LossScaleGrowthInterval = 2000,
    int Ranks = 1,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] LoopFault Fault = LoopFault.None)
{
    /// <summary>
    /// The run <c>nbk train</c> makes with no flags: twice nanoGPT's batch, peak learning rate and floor, 7,000 steps of
    /// which the last 5,000 hold the floor, and an evaluation every 500 steps instead of 250. How close it ends to the
    /// bundled corpus's entropy floor depends on when the model learns to copy a version from the line before, which
    /// arrives abruptly, at a step that varies from run to run, and only once the learning rate is low (data/README.md,
    /// BENCHMARKS.md).
    /// </summary>
    public static TrainConfig CommandLineRun => new(BatchSize: 24, MaxIters: 7_000, LearningRate: 2e-3, MinLearningRate: 2e-4, LrDecayIters: 2_000, EvalEvery: 500);

    /// <summary>The schedule these settings describe.</summary>
    public LearningRate Schedule => new(LearningRate, MinLearningRate, WarmupIters, LrDecayIters ?? MaxIters);

    /// <summary>Tokens per optimizer step: batch x block x accumulation x ranks.</summary>
    public long TokensPerStep(int blockSize) => (long)BatchSize * blockSize * Accumulation * Ranks;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad value and the fix.</summary>
    public TrainConfig Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"batch size {BatchSize} must be at least 1");
        if (Accumulation < 1) throw new ArgumentException($"accumulation {Accumulation} must be at least 1 (1 means no accumulation)");
        if (MaxIters < 1) throw new ArgumentException($"iters {MaxIters} must be at least 1");
        if (!(LearningRate > 0)) throw new ArgumentException($"learning rate {LearningRate} must be positive, e.g. --lr 1e-3");
        if (MinLearningRate < 0 || MinLearningRate > LearningRate) throw new ArgumentException($"minimum learning rate {MinLearningRate} must be between 0 and the peak {LearningRate}");
        if (WarmupIters < 0) throw new ArgumentException($"warmup {WarmupIters} must not be negative");
        if ((LrDecayIters ?? MaxIters) < WarmupIters)
            throw new ArgumentException($"warmup of {WarmupIters} steps does not fit before the decay ends at step {LrDecayIters ?? MaxIters}: use --warmup {(LrDecayIters ?? MaxIters) / 10} or raise --iters / --lr-decay-iters");
        if (WeightDecay < 0) throw new ArgumentException($"weight decay {WeightDecay} must not be negative");
        if (Beta1 is < 0 or >= 1) throw new ArgumentException($"beta1 {Beta1} must be in [0, 1)");
        if (Beta2 is < 0 or >= 1) throw new ArgumentException($"beta2 {Beta2} must be in [0, 1)");
        if (ClipNorm < 0) throw new ArgumentException($"clip {ClipNorm} must not be negative (0 turns clipping off)");
        if (EvalEvery < 1) throw new ArgumentException($"eval every {EvalEvery} must be at least 1");
        if (EvalIters < 1) throw new ArgumentException($"eval iters {EvalIters} must be at least 1");
        if (!(InitialLossScale >= 1)) throw new ArgumentException($"initial loss scale {InitialLossScale} must be at least 1");
        if (LossScaleGrowthInterval < 1) throw new ArgumentException($"loss scale growth interval {LossScaleGrowthInterval} must be at least 1");
        if (Ranks < 1) throw new ArgumentException($"ranks {Ranks} must be at least 1");
        return this;
    }
}
