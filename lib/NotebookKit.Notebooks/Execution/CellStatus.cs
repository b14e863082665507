namespace NotebookKit.Notebooks.Execution;

/// <summary>What happened to a cell in a run.</summary>
public enum CellStatus
{
    /// <summary>A code cell that has not run (the notebook stopped before it).</summary>
    NotRun,
    /// <summary>A C# cell that completed.</summary>
    Passed,
    /// <summary>A C# cell that failed to compile or threw.</summary>
    Failed,
    /// <summary>A cell stopped by the per-cell timeout.</summary>
    TimedOut,
    /// <summary>A cell of a kernel the runner does not execute (F#, PowerShell, JavaScript, ...); listed, never dropped.</summary>
    Skipped,
    /// <summary>A markdown or html cell, shown in the report as written.</summary>
    Rendered,
}

/// <summary>The outcome of one cell.</summary>
/// <param name="Status">What happened.</param>
/// <param name="DurationMs">Wall time of the cell in milliseconds (0 for cells that were not executed).</param>
/// <param name="Error">For a failed or timed-out cell: the message, starting with <c>file.dib(line)</c> when the line is known.</param>
/// <param name="ErrorLine">The 1-based .dib line the error points at, when known.</param>
public sealed record CellResult(CellStatus Status, double DurationMs = 0, string? Error = null, int? ErrorLine = null);
