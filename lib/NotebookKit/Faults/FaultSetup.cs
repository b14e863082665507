using NotebookKit.Model;
using NotebookKit.Precision;
using NotebookKit.Training;

namespace NotebookKit.Faults;

/// <summary>
/// What a fault needs around it before it can show: accumulation for the accumulation faults, dropout for
/// evaluation in training mode, several ranks for repeated shards, fp16 with overflows for uncounted skips.
/// Applied by <c>nbk train --fault</c> so every fault runs from its name alone. Accumulation, dropout and ranks
/// are only raised from their defaults (a user's own choice is kept); uncounted skips always gets its fp16 setup.
/// </summary>
public static class FaultSetup
{
    /// <summary>Whether the fault only shows on prompt/response data, whose microbatches differ in counted tokens.</summary>
    public static bool NeedsSftData(LoopFault fault) => fault is LoopFault.SftMaskInverted or LoopFault.MeanOfMicrobatchMeans;

    /// <summary>
    /// The model and training settings for reproducing <paramref name="fault"/>, with the fault switched on.
    /// Accumulation 8 for the per-microbatch scheduler (warmup then ends 8 times early), 4 for the other
    /// accumulation faults; dropout 0.1 for evaluation in training mode (with none there is nothing to see);
    /// 2 ranks for repeated shards; fp16 with a loss scale of 2^30 that may double every 5 clean steps for
    /// uncounted skips, so overflows keep coming.
    /// </summary>
    public static (ModelConfig Model, TrainConfig Config) Apply(LoopFault fault, ModelConfig model, TrainConfig config)
    {
        config = config with { Fault = fault };
        return fault switch
        {
            LoopFault.SchedulerPerMicrobatch when config.Accumulation == 1 => (model, config with { Accumulation = 8 }),
            LoopFault.AccumulationNotDivided or LoopFault.MeanOfMicrobatchMeans when config.Accumulation == 1 => (model, config with { Accumulation = 4 }),
            LoopFault.EvalInTrainMode when model.Dropout == 0 => (model with { Dropout = 0.1 }, config),
            LoopFault.RepeatedShards when config.Ranks == 1 => (model, config with { Ranks = 2 }),
            LoopFault.UncountedSkips => (model, config with { Precision = PrecisionMode.Fp16Mixed, InitialLossScale = 1 << 30, LossScaleGrowthInterval = 5 }),
            _ => (model, config),
        };
    }
}
