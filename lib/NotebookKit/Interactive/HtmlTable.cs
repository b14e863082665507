using System.Net;
using System.Text;

namespace NotebookKit.Interactive;

/// <summary>
/// Builds the small, styled HTML tables NotebookKit shows inline. Every cell's text is HTML-escaped,
/// so tokens such as "&lt;eos&gt;" or "a &amp; b" show as themselves and can never inject markup.
/// </summary>
internal sealed class HtmlTable
{
    const string Style = "border-collapse:collapse;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;margin:4px 0";
    const string CellStyle = "border:1px solid #ccc;padding:3px 8px;text-align:left";
    readonly StringBuilder _html = new();

    public HtmlTable(string caption, params string[] headers)
    {
        _html.Append($"<table class=\"nbk-table\" style=\"{Style}\"><caption style=\"text-align:left;font-family:system-ui,sans-serif;font-weight:600;padding:4px 0\">")
            .Append(WebUtility.HtmlEncode(caption)).Append("</caption><thead><tr>");
        foreach (var header in headers)
            _html.Append($"<th style=\"{CellStyle};background:#f3f3f3\">").Append(WebUtility.HtmlEncode(header)).Append("</th>");
        _html.Append("</tr></thead><tbody>");
    }

    /// <summary>Appends a row; <paramref name="background"/> (a CSS colour) marks rows such as masked positions.</summary>
    public HtmlTable Row(IEnumerable<string> cells, string? background = null)
    {
        _html.Append(background is null ? "<tr>" : $"<tr style=\"background:{background}\">");
        foreach (var cell in cells)
            _html.Append($"<td style=\"{CellStyle}\">").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
        _html.Append("</tr>");
        return this;
    }

    public override string ToString() => _html + "</tbody></table>";
}
