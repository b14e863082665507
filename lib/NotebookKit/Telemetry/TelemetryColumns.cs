namespace NotebookKit.Telemetry;

/// <summary>The columns of a timeline (<see cref="RunLog.CsvHeader"/>), each with what it records, in the header's order.</summary>
public static class TelemetryColumns
{
    /// <summary>Every column's name and what it records, in the order of <see cref="RunLog.CsvHeader"/>.</summary>
    public static IReadOnlyList<(string Name, string Records)> All { get; } =
    [
        ("step", "loop steps taken, skipped ones included"),
        ("tokens", "tokens seen so far"),
        ("loss", "the loss the loop logged for the step"),
        ("val_loss", "the held-out loss at each evaluation"),
        ("lr", "the learning rate the optimizer used"),
        ("grad_norm", "the gradient norm right after backward, before clipping"),
        ("clipped", "whether clipping scaled the gradients down"),
        ("tokens_per_s", "throughput: tokens per second of wall time"),
        ("mfu", "model FLOPs per second over the machine's matmul peak"),
        ("skipped", "whether the loop reported the step as skipped"),
        ("optimizer_step", "how many updates the optimizer has actually made"),
        ("grad_norm_at_step", "the gradient norm the optimizer saw when it stepped"),
        ("loss_scale", "the fp16 loss scale"),
        ("token_mean_loss", "the step's summed token losses over its target tokens, computed apart from the loss backpropagated"),
        ("val_loss_repeat", "a second evaluation of the same weights, right after val_loss"),
        ("rank_overlap", "the fraction of the step's items drawn by more than one rank"),
        ("batch_fingerprint", "a hash of the items the step trained on, in draw order"),
        ("stale_grad_norm", "the gradient norm already in .grad when the step began"),
    ];

    /// <summary>What <paramref name="column"/> records, or null when no timeline column has that name.</summary>
    public static string? Records(string column) => All.FirstOrDefault(c => c.Name == column).Records;
}
