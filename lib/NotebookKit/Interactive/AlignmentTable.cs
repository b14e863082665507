using System.Globalization;
using NotebookKit.Data;

namespace NotebookKit.Interactive;

/// <summary>
/// The shifted-token alignment as a table: at each position, the token the model reads, the token it
/// must predict, and whether that position counts in the loss. Masked rows are greyed.
/// </summary>
/// <param name="Rows">One row per position, in order (see <see cref="AlignmentRow"/>).</param>
/// <param name="Caption">Shown above the table.</param>
public sealed record AlignmentTable(IReadOnlyList<AlignmentRow> Rows, string Caption = "Input and target: one stream, shifted by one")
{
    /// <summary>The table as an HTML fragment; tokens are escaped and whitespace is shown visibly (␣, ⏎, ⇥).</summary>
    public string ToHtml()
    {
        var table = new HtmlTable(Caption, "t", "input (reads)", "target (predicts)", "in the loss");
        foreach (var row in Rows)
            table.Row([row.Position.ToString(CultureInfo.InvariantCulture), Charts.Probabilities.Visible(row.InputToken), Charts.Probabilities.Visible(row.TargetToken),
                row.Counted ? "counted" : "masked"], row.Counted ? null : "#eeeeee");
        var counted = Rows.Count(r => r.Counted);
        return table + $"<div style=\"font-family:system-ui,sans-serif;font-size:12px;color:#555\">{counted} of {Rows.Count} positions count in the loss</div>";
    }

    /// <summary>Plain text: one "t: input -> target" line per position, masked ones marked.</summary>
    public override string ToString() =>
        string.Join('\n', Rows.Select(r => $"{r.Position}: {r.InputToken} -> {r.TargetToken}{(r.Counted ? "" : " (masked)")}"));
}
