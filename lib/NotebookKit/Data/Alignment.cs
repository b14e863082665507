namespace NotebookKit.Data;

/// <summary>One row of the shifted-token alignment table.</summary>
/// <param name="Position">Position t in the window.</param>
/// <param name="InputToken">The token the model reads at t, as text.</param>
/// <param name="TargetToken">The token it must predict at t (the input at t + 1), as text.</param>
/// <param name="Counted">Whether this position counts in the loss (false when masked).</param>
public sealed record AlignmentRow(int Position, string InputToken, string TargetToken, bool Counted);
