using System.Diagnostics;
using System.Net;
using Plotly.NET;

namespace NotebookKit.Charts;

/// <summary>
/// A NotebookKit chart: a Plotly.NET figure plus the size it was designed for. Displaying it in a
/// notebook cell renders it inline (see <c>NotebookKit.Interactive.Inline</c>); it can also be saved
/// as a standalone offline HTML file or, where chromium is installed, as a PNG.
/// </summary>
public sealed class Figure
{
    internal Figure(GenericChart chart, string title, int width, int height)
    {
        Chart = chart;
        Title = title;
        Width = width;
        Height = height;
    }

    /// <summary>The underlying Plotly.NET chart, for learners who want to restyle it with Plotly.NET's own API.</summary>
    public GenericChart Chart { get; }

    /// <summary>The figure's title, also used as the page title of saved HTML.</summary>
    public string Title { get; }

    /// <summary>Largest width in CSS pixels; the chart shrinks with a narrower notebook column.</summary>
    public int Width { get; }

    /// <summary>Height in CSS pixels.</summary>
    public int Height { get; }

    /// <summary>The plotly.js figure as JSON (<c>data</c> and <c>layout</c>): what tests and tools inspect instead of pixels.</summary>
    public string ToJson() => GenericChart.toFigureJson(Chart);

    /// <summary>
    /// A <c>div</c> and a script that draws the figure with <c>window.Plotly</c>. The page must provide
    /// plotly.js (the headless report inlines <see cref="PlotlyJs.Source"/> once in its head); when
    /// <paramref name="includePlotly"/> is true the fragment carries plotly.js itself and works on any page.
    /// </summary>
    public string ToInlineHtml(bool includePlotly = false)
    {
        var id = $"nbk-figure-{Guid.NewGuid():N}";
        var json = ToJson().Replace("</", "<\\/");
        var missing = WebUtility.HtmlEncode(
            "plotly.js is not loaded on this page (the notebook view may have been reloaded): " +
            "run NotebookKit.Interactive.Inline.ResendPlotly() and run this cell again.");
        return (includePlotly ? PlotlyJs.ScriptTag + "\n" : "") +
               $"<div id=\"{id}\" class=\"nbk-figure\" style=\"width:100%;max-width:{Width}px;height:{Height}px\"></div>\n" +
               "<script>(function () {\n" +
               $"  var el = document.getElementById('{id}');\n" +
               $"  var figure = {json};\n" +
               "  if (window.Plotly) { window.Plotly.newPlot(el, figure.data, figure.layout, { responsive: true, displaylogo: false }); }\n" +
               $"  else {{ el.style.height = 'auto'; el.innerHTML = '<p style=\"color:#b00\">{missing}</p>'; }}\n" +
               "})();</script>";
    }

    /// <summary>A complete HTML page with plotly.js inlined: opens offline, references no external script.</summary>
    public string ToHtml() =>
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
        $"<title>{WebUtility.HtmlEncode(Title)}</title>\n{PlotlyJs.ScriptTag}\n</head>\n" +
        "<body style=\"margin:16px;background:white\">\n" + ToInlineHtml() + "\n</body>\n</html>\n";

    /// <summary>Writes <see cref="ToHtml"/> to <paramref name="path"/>, creating its folder; returns the full path.</summary>
    public string SaveHtml(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, ToHtml());
        return full;
    }

    /// <summary>
    /// Renders the figure to a PNG with headless chromium and returns the full path. The browser is
    /// <paramref name="browser"/>, else the NOTEBOOKKIT_CHROMIUM environment variable, else the first of
    /// chromium, chromium-browser, google-chrome found on PATH.
    /// </summary>
    /// <remarks>The image is the figure's size plus a 16-pixel white border; rendering takes a few seconds (chromium starts each time).</remarks>
    /// <exception cref="InvalidOperationException">No browser was found, or it did not write the image.</exception>
    public string SavePng(string path, string? browser = null)
    {
        var executable = browser ?? Environment.GetEnvironmentVariable("NOTEBOOKKIT_CHROMIUM") ?? FindBrowser()
            ?? throw new InvalidOperationException(
                $"cannot save '{path}' as PNG: no chromium found on PATH; install it (apt-get install chromium) " +
                "or set NOTEBOOKKIT_CHROMIUM to a Chrome or Chromium executable. SaveHtml works without one.");
        if (Path.IsPathRooted(executable) && !File.Exists(executable))
            throw new InvalidOperationException($"cannot save '{path}' as PNG: browser '{executable}' does not exist; pass the path of a Chrome or Chromium executable.");
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var page = Path.Combine(Path.GetTempPath(), $"nbk-figure-{Guid.NewGuid():N}.html");
        try
        {
            SaveHtml(page);
            var start = new ProcessStartInfo(executable)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            foreach (var argument in new[]
                     {
                         "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update",
                         $"--window-size={Width + 32},{Height + 32}", "--virtual-time-budget=5000",
                         $"--screenshot={full}", new Uri(page).AbsoluteUri,
                     })
                start.ArgumentList.Add(argument);
            // An older file at the path must not pass for this screenshot when the browser fails.
            File.Delete(full);
            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(60_000)) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            if (process.ExitCode != 0 || !File.Exists(full))
            {
                File.Delete(full);
                throw new InvalidOperationException($"{executable} did not write '{full}' (exit {process.ExitCode}): {errors.Result.Trim()}");
            }
            return full;
        }
        finally
        {
            File.Delete(page);
        }
    }

    /// <summary>One line for plain-text output.</summary>
    public override string ToString() => $"Figure \"{Title}\" ({Width}x{Height})";

    static readonly string[] Browsers = ["chromium", "chromium-browser", "google-chrome"];

    static string? FindBrowser() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .SelectMany(folder => Browsers.Select(name => Path.Combine(folder, name)))
        .FirstOrDefault(File.Exists);
}
