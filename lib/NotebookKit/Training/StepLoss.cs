using NotebookKit.Data;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NotebookKit.Training;

/// <summary>
/// The loss of a step: cross-entropy summed over counted target tokens. <see cref="Trainer.Step"/> divides each
/// microbatch's sum by the target tokens of the whole optimizer step, so accumulated microbatches give exactly the
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
}
