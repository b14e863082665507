namespace NotebookKit.Checkpoints;

/// <summary>
/// Which parts of a checkpoint a resume restores. Everything is on by default, which is the only
/// setting that continues a run exactly; each switch left off shows what that part was for.
/// Weights, step counters, the loss scale and the telemetry are always restored.
/// </summary>
/// <param name="OptimizerState">AdamW's moments (m, v) and step counts. Off: the optimizer starts empty, so the
/// first update after resume is a fresh Adam step (its size near the learning rate for every weight) instead of the
/// run's smoothed one.</param>
/// <param name="SchedulerPosition">Where the learning-rate schedule stands. Off: the schedule starts again, so the
/// first learning rate after resume is <c>Schedule.At(0)</c>, the first warmup value.</param>
/// <param name="RngState">torch's generator state, which dropout draws from. Off: dropout masks repeat those of the
/// run's first steps.</param>
/// <param name="DataPosition">Every sampler's position. Off: the batches repeat from the run's first batch.</param>
public sealed record ResumeOptions(bool OptimizerState = true, bool SchedulerPosition = true, bool RngState = true, bool DataPosition = true)
{
    /// <summary>Restore everything: the run continues bit for bit as if it had never stopped.</summary>
    public static ResumeOptions Exact { get; } = new();

    /// <summary>What is left out, e.g. "without optimizer state, scheduler position"; "exact" when nothing is.</summary>
    public override string ToString()
    {
        var missing = new[] { (OptimizerState, "optimizer state"), (SchedulerPosition, "scheduler position"), (RngState, "RNG state"), (DataPosition, "data position") }
            .Where(p => !p.Item1).Select(p => p.Item2).ToArray();
        return missing.Length == 0 ? "exact" : "without " + string.Join(", ", missing);
    }
}
