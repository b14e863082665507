namespace NotebookKit.Training;

/// <summary>
/// The learning-rate schedule as a pure function of the optimizer step: linear warmup, then a
/// cosine decay to a floor, then the floor. Counted in optimizer steps, never in microbatches.
/// </summary>
/// <param name="Max">Peak learning rate, reached at the end of warmup.</param>
/// <param name="Min">Floor the cosine decays to.</param>
/// <param name="WarmupSteps">Optimizer steps of linear warmup.</param>
/// <param name="DecaySteps">Optimizer step at which the decay reaches <paramref name="Min"/>.</param>
public sealed record LearningRate(double Max, double Min, int WarmupSteps, int DecaySteps)
{
    /// <summary>The learning rate for optimizer step <paramref name="step"/> (0-based).</summary>
    /// <remarks>Warmup uses (step + 1) / (warmup + 1), so step 0 already moves the weights a little.</remarks>
    public double At(long step)
    {
        if (step < WarmupSteps) return Max * (step + 1) / (WarmupSteps + 1);
        if (step >= DecaySteps) return Min;
        var progress = (double)(step - WarmupSteps) / (DecaySteps - WarmupSteps);  // 0 -> 1
        return Min + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (Max - Min);
    }
}
