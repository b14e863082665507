using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Execution;

/// <summary>Everything one notebook run produced: what the report and the TRX file are written from.</summary>
/// <param name="Notebook">The parsed notebook.</param>
/// <param name="Plan">The cells run (the notebook's own plus an injected <c>--param</c> cell).</param>
/// <param name="Results">One result per plan cell.</param>
/// <param name="Outputs">Outputs in the order shown, each at its latest value.</param>
/// <param name="DurationMs">Wall time of the whole notebook process, start to exit.</param>
/// <param name="Error">A failure that belongs to no cell (the process crashed before a cell started), or null.</param>
public sealed record NotebookRun(Notebook Notebook, IReadOnlyList<Cell> Plan, IReadOnlyList<CellResult> Results, IReadOnlyList<CellOutput> Outputs, double DurationMs, string? Error)
{
    /// <summary>True when a cell was stopped by the timeout.</summary>
    public bool TimedOut => Results.Any(r => r.Status == CellStatus.TimedOut);

    /// <summary>True when nothing failed and nothing timed out.</summary>
    public bool Passed => Error is null && Results.All(r => r.Status is not (CellStatus.Failed or CellStatus.TimedOut));

    /// <summary>Time not spent inside cells: process start, loading references, Roslyn warm-up.</summary>
    public double OverheadMs => DurationMs - Results.Sum(r => r.DurationMs);

    /// <summary>One word for the notebook's outcome: passed, failed or timed out.</summary>
    public string Outcome => TimedOut ? "timed out" : Passed ? "passed" : "failed";

    /// <summary>The outcome each plan cell has before anything runs: markdown and html are shown, other kernels skipped, C# not yet run.</summary>
    public static CellResult InitialResult(Cell cell) => cell.Kernel switch
    {
        KernelNames.Default => new CellResult(CellStatus.NotRun),
        "markdown" or "html" => new CellResult(CellStatus.Rendered),
        _ => new CellResult(CellStatus.Skipped),
    };
}
