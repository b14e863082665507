using NotebookKit.Data;
using NotebookKit.Faults;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NotebookKit.Training;

/// <summary>
/// The loss of a step: cross-entropy summed over counted target tokens, then normalised by the
/// target tokens of the whole optimizer step, so accumulated microbatches give exactly the
/// gradient of one large batch.
/// </summary>
public static class StepLoss
{
    /// <summary>Surprise of one prediction, -ln p, in nats. p = 0.02 gives 3.912, p = 0.20 gives 1.609.</summary>
    public static double Surprise(double p) =>
        p is > 0 and <= 1 ? -Math.Log(p) : throw new ArgumentException($"probability {p} must be in (0, 1]");

    /// <summary>Cross-entropy of <paramref name="logits"/> (B, T, V) against <paramref name="targets"/> (B, T),
    /// summed over positions whose target is not <see cref="Batch.IgnoreIndex"/>. Computed in float32 at least:
    /// bf16 and fp16 logits are widened, float64 logits stay float64 (so an fp64 reference stays exact).</summary>
    public static Tensor Sum(Tensor logits, Tensor targets) =>
        F.cross_entropy(logits.to(logits.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32).view(-1, logits.shape[2]), targets.view(-1),
            ignore_index: Batch.IgnoreIndex, reduction: nn.Reduction.Sum);                                     // ()

    /// <summary>Cross-entropy at every position, (B, T) float32, zero where the target is <see cref="Batch.IgnoreIndex"/>.</summary>
    public static Tensor PerPosition(Tensor logits, Tensor targets) =>
        F.cross_entropy(logits.to(ScalarType.Float32).view(-1, logits.shape[2]), targets.view(-1),
            ignore_index: Batch.IgnoreIndex, reduction: nn.Reduction.None).view(targets.shape);               // (B, T)

    /// <summary>
    /// The loss one microbatch backpropagates. Healthy: its summed loss over the target tokens of the
    /// whole step (every microbatch of every rank), so the microbatches' gradients add up to the full
    /// batch's mean gradient.
    /// </summary>
    /// <param name="lossSum">The microbatch's summed loss, from <see cref="Sum"/>.</param>
    /// <param name="microbatchTokens">Counted target tokens in this microbatch.</param>
    /// <param name="stepTokens">Counted target tokens in every microbatch of the step.</param>
    /// <param name="accumulation">Microbatches per rank in the step.</param>
    /// <param name="ranks">Simulated data-parallel ranks. All-reduce averages the ranks' gradients, so even the faulty
    /// variants divide by the rank count: the faults are in what each rank does, not in the all-reduce.</param>
    /// <param name="fault">The accumulation faults change this line: <see cref="LoopFault.AccumulationNotDivided"/>
    /// backpropagates each microbatch's mean as is; <see cref="LoopFault.MeanOfMicrobatchMeans"/> divides each mean by the microbatch count.</param>
    public static Tensor ForBackward(Tensor lossSum, long microbatchTokens, long stepTokens, int accumulation, int ranks, LoopFault fault = LoopFault.None) => fault switch
    {
        LoopFault.AccumulationNotDivided => lossSum / microbatchTokens / ranks,
        LoopFault.MeanOfMicrobatchMeans => lossSum / microbatchTokens / (accumulation * ranks),
        _ => lossSum / stepTokens,
    };
}
