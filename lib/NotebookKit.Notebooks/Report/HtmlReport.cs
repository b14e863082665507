using System.Globalization;
using System.Net;
using System.Text;
using Markdig;
using NotebookKit.Charts;
using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Report;

/// <summary>
/// Writes the offline HTML report: one page per notebook (markdown rendered, code, outputs, per-cell
/// status and time, the failing cell's error with its .dib line) and an <c>index.html</c> listing every
/// notebook. Pages make no network request: plotly.js is inlined once in the head of each page that
/// draws a chart, plain text is escaped, and only explicit HTML outputs are written as markup.
/// The report is written as the run goes: the index first lists every notebook as not run yet, and each
/// notebook's page and the updated index are written the moment it finishes, each file replaced whole, so a
/// run that is stopped or killed leaves a readable report of what finished.
/// </summary>
public sealed class HtmlReport
{
    static readonly UTF8Encoding Utf8 = new(false);
    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    const string Style = """
        body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
        table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}
        .cell{border-left:4px solid #ccc;margin:1.2rem 0;padding:.2rem .8rem}
        .Passed{border-color:#2a8a2a}.Failed,.TimedOut{border-color:#c0392b}.Skipped,.NotRun{border-color:#999}.Rendered{border-color:transparent}
        .meta{font-size:.8rem;color:#666}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
        pre.error{background:#fdecea;color:#8a1f11}pre.out{background:#fff;border:1px solid #eee}
        .passed{color:#2a8a2a}.failed,.timed{color:#c0392b}.pending{color:#999}
        """;

    readonly IReadOnlyList<Notebook> _notebooks;
    readonly string _folder;
    readonly string[] _pages;
    readonly NotebookRun?[] _runs;
    readonly object _gate = new();

    HtmlReport(IReadOnlyList<Notebook> notebooks, string folder)
    {
        _notebooks = notebooks;
        _folder = folder;
        _pages = PageNames(notebooks);
        _runs = new NotebookRun?[notebooks.Count];
        IndexPath = Path.Combine(folder, "index.html");
    }

    /// <summary>The report's index.html.</summary>
    public string IndexPath { get; }

    /// <summary>Creates <paramref name="folder"/> when missing and writes an index that lists every notebook as not run yet.</summary>
    public static HtmlReport Start(IReadOnlyList<Notebook> notebooks, string folder)
    {
        Directory.CreateDirectory(folder);
        var report = new HtmlReport(notebooks, folder);
        WriteWhole(report.IndexPath, report.Index());
        return report;
    }

    /// <summary>Writes the page of notebook <paramref name="index"/> (its position in the list given to <see cref="Start"/>), then the index. Safe to call from several threads.</summary>
    public void Add(int index, NotebookRun run)
    {
        lock (_gate)
        {
            _runs[index] = run;
            WriteWhole(Path.Combine(_folder, _pages[index]), Page(run));
            WriteWhole(IndexPath, Index());
        }
    }

    /// <summary>Writes a file through a temporary one renamed over it, so a reader never sees half a page.</summary>
    static void WriteWhole(string path, string text)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, text, Utf8);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Page file names: the notebook's name with .html, numbered when two notebooks share a name.</summary>
    static string[] PageNames(IReadOnlyList<Notebook> notebooks)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "index.html" };
        return notebooks.Select(n =>
        {
            var stem = Path.GetFileNameWithoutExtension(n.Name);
            var name = stem + ".html";
            for (var i = 2; !used.Add(name); i++) name = $"{stem}-{i}.html";
            return name;
        }).ToArray();
    }

    string Index()
    {
        var html = Head("NotebookKit notebooks", withPlotly: false);
        var finished = _runs.Count(r => r is not null);
        html.Append("<h1>Notebooks</h1>");
        if (finished < _runs.Length) html.Append(CultureInfo.InvariantCulture, $"<p class=\"pending\">{finished} of {_runs.Length} notebooks finished; this page is rewritten as each one ends.</p>");
        html.Append("<table><tr><th>Notebook</th><th>Status</th><th>Time</th><th>Cells</th></tr>");
        for (var i = 0; i < _runs.Length; i++)
        {
            if (_runs[i] is not { } run)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(_notebooks[i].Name)}</td><td class=\"pending\">not run yet</td><td></td><td></td></tr>");
                continue;
            }
            var code = run.Results.Count(r => r.Status is not (CellStatus.Rendered or CellStatus.Skipped));
            var passed = run.Results.Count(r => r.Status == CellStatus.Passed);
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"{E(_pages[i])}\">{E(run.Notebook.Name)}</a></td><td class=\"{OutcomeClass(run)}\">{run.Outcome}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{Seconds(run.DurationMs)}</td><td>{passed}/{code} passed</td></tr>");
        }
        return html.Append("</table></body></html>").ToString();
    }

    static string Page(NotebookRun run)
    {
        var withPlotly = run.Outputs.Any(o => o.MimeType == CellOutput.Html && o.Text.Contains("Plotly", StringComparison.Ordinal));
        var html = Head(run.Notebook.Name, withPlotly);
        html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"index.html\">all notebooks</a></p><h1>{E(run.Notebook.Name)}</h1>")
            .Append(CultureInfo.InvariantCulture, $"<p class=\"{OutcomeClass(run)}\">{run.Outcome} in {Seconds(run.DurationMs)} (runner overhead {Seconds(run.OverheadMs)})</p>");
        if (run.Error is not null) html.Append(CultureInfo.InvariantCulture, $"<pre class=\"error\">{E(run.Error)}</pre>");
        for (var i = 0; i < run.Plan.Count; i++) AppendCell(html, run, i);
        return html.Append("</body></html>").ToString();
    }

    static void AppendCell(StringBuilder html, NotebookRun run, int index)
    {
        var cell = run.Plan[index];
        var result = run.Results[index];
        html.Append(CultureInfo.InvariantCulture, $"<section class=\"cell {result.Status}\" data-status=\"{result.Status}\">");
        switch (cell.Kernel)
        {
            case "markdown":
                html.Append(Markdig.Markdown.ToHtml(cell.Source, Markdown));
                break;
            case "html":
                html.Append(cell.Source);
                break;
            default:
                var origin = cell.Injected ? "injected by --param" : $"line {cell.Line}";
                var time = result.DurationMs > 0 ? $" · {result.DurationMs.ToString("0", CultureInfo.InvariantCulture)} ms" : "";
                html.Append(CultureInfo.InvariantCulture, $"<div class=\"meta\">cell {index + 1}/{run.Plan.Count} · {E(cell.Kernel)} · {origin} · <b>{StatusText(result.Status)}</b>{time}</div>")
                    .Append(CultureInfo.InvariantCulture, $"<pre><code>{E(cell.Source)}</code></pre>");
                break;
        }
        foreach (var output in run.Outputs.Where(o => o.Cell == index))
            html.Append(output.MimeType == CellOutput.Html ? $"<div class=\"out\">{output.Text}</div>" : $"<pre class=\"out\">{E(output.Text)}</pre>");
        if (result.Error is not null) html.Append(CultureInfo.InvariantCulture, $"<pre class=\"error\">{E(result.Error)}</pre>");
        html.Append("</section>\n");
    }

    static StringBuilder Head(string title, bool withPlotly)
    {
        var html = new StringBuilder($"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{E(title)}</title><style>{Style}</style>");
        if (withPlotly) html.Append(PlotlyJs.ScriptTag);
        return html.Append("</head><body>\n");
    }

    static string StatusText(CellStatus status) => status switch
    {
        CellStatus.NotRun => "not run",
        CellStatus.TimedOut => "timed out",
        CellStatus.Skipped => "skipped (kernel not run by nbk)",
        _ => status.ToString().ToLowerInvariant(),
    };

    static string OutcomeClass(NotebookRun run) => run.Outcome.Split(' ')[0];

    static string Seconds(double ms) => (ms / 1000).ToString("0.0 s", CultureInfo.InvariantCulture);

    static string E(string text) => WebUtility.HtmlEncode(text);
}
