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
    double LossScale = 1.0);
