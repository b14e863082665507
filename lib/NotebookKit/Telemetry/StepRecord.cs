namespace NotebookKit.Telemetry;

/// <summary>
/// What happened in one optimizer step: the row of the loss / learning-rate / gradient-norm timeline.
/// </summary>
/// <param name="Step">Loop step, counted from 1. Equals <paramref name="OptimizerStep"/> unless steps were skipped.</param>
/// <param name="Tokens">Target tokens seen so far, this step included.</param>
/// <param name="Loss">Mean loss over every counted target token of the step (all microbatches), in nats.</param>
/// <param name="ValLoss">Validation loss when this step ran an evaluation, otherwise null.</param>
/// <param name="LearningRate">Learning rate the optimizer used in this step.</param>
/// <param name="GradNorm">Global gradient norm before clipping, measured after the last microbatch.</param>
/// <param name="Clipped">Whether clipping scaled the gradients down.</param>
/// <param name="TokensPerSecond">Target tokens per second of wall time for this step.</param>
/// <param name="Mfu">Model FLOPs utilisation: model FLOPs per second over the matmul peak measured in the type forward and backward run in.</param>
/// <param name="Skipped">The optimizer did not update the weights this step (an overflow in fp16).</param>
/// <param name="OptimizerStep">How many optimizer updates have been made, this one included: the counter the schedule follows.</param>
/// <param name="GradNormAtStep">Gradient norm the optimizer actually saw when it stepped (after clipping, and after anything
/// that ran between backward and step). A zero here with a non-zero <paramref name="GradNorm"/> is the zero_grad ordering bug.</param>
/// <param name="LossScale">Loss scale of fp16 mixed precision in this step; 1 in other modes.</param>
/// <param name="TokenMeanLoss">The step's summed cross-entropy over its counted target tokens divided by their count, computed
/// apart from the loss that was backpropagated. Equal to <paramref name="Loss"/> in a healthy loop; a ratio near the accumulation
/// count means microbatch losses were not divided, any other gap means microbatch means were averaged. Null when not recorded.</param>
/// <param name="ValLossRepeat">A second evaluation of the same weights right after <paramref name="ValLoss"/>. Evaluation is
/// deterministic, so the two agree exactly; a difference means dropout was on during evaluation. Null when no evaluation ran, and
/// when the model has no dropout (then the two could not differ, so the trainer does not repeat the evaluation).</param>
/// <param name="RankOverlap">Fraction of the step's training items (windows, examples) drawn by more than one simulated rank:
/// 0 when every rank reads its own shard, 1 when all ranks read the same data. Null when not recorded.</param>
/// <param name="BatchFingerprint">A 64-bit hash (16 hex digits) of the identities of every item the step trained on, in draw
/// order. Two steps with the same fingerprint trained on the same data: after a resume it means the data position was lost.</param>
/// <param name="StaleGradNorm">Norm of the gradients already in .grad when the step began, before its first backward. 0 when the
/// previous step zeroed them; anything else is added to this step's gradient. Null when not recorded.</param>
public sealed record StepRecord(
    int Step,
    long Tokens,
    double Loss,
    double? ValLoss,
    double LearningRate,
    double GradNorm,
    bool Clipped,
    double TokensPerSecond,
    double Mfu,
    bool Skipped,
    int OptimizerStep,
    double GradNormAtStep,
    double LossScale = 1.0,
    double? TokenMeanLoss = null,
    double? ValLossRepeat = null,
    double? RankOverlap = null,
    string? BatchFingerprint = null,
    double? StaleGradNorm = null);
