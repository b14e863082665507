namespace NotebookKit.Charts;

/// <summary>How a timeline is drawn. The defaults fit a notebook column and read well for a healthy run.</summary>
/// <param name="LogLoss">Log scale on the loss panel. Off by default: a linear axis shows where loss stalls;
/// turn it on when an early spike flattens the rest of the curve.</param>
/// <param name="LogGradNorm">Log scale on the gradient-norm panel. Off by default; turn it on when one exploding
/// step (100x the others) hides everything else, or to see a zero-gradient run's norms at all.</param>
/// <param name="Width">Largest width in pixels; 900 fits VS Code's notebook column and the headless report.</param>
/// <param name="Height">Height in pixels; 860 gives each of the four panels room for its own tick labels.</param>
/// <param name="Title">Figure title; null gives "Training timeline: &lt;run&gt;" or "Compare: a vs b".</param>
public sealed record TimelineOptions(
    bool LogLoss = false,
    bool LogGradNorm = false,
    int Width = 900,
    int Height = 860,
    string? Title = null);
