using System.Net;
using Plotly.NET;

namespace NotebookKit.Charts;

/// <summary>
/// The small vocabulary NotebookKit's figures are written in: plotly.js attributes set by name on
/// Plotly.NET's trace and layout objects, so chart code reads like the plotly.js reference and
/// callers never meet F# options.
/// </summary>
internal static class Plot
{
    /// <summary>Colours given to runs in order, chosen to stay distinguishable for common colour-vision deficiencies.</summary>
    public static readonly string[] RunColours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

    /// <summary>Reference lines (clip threshold, entropy floor) are dark grey so they never look like a run.</summary>
    public const string ReferenceColour = "#555555";

    /// <summary>Text in every figure; sized to stay readable when a notebook column shrinks the chart.</summary>
    public static readonly object Font = new { family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size = 13, color = "#222" };

    /// <summary>A trace of the given plotly.js type with the given attributes.</summary>
    public static Trace Trace(string type, Dictionary<string, object?> attributes)
    {
        var trace = new Trace2D(type);
        foreach (var (key, value) in attributes)
            if (value is not null) trace.SetProperty(key, value);
        return trace;
    }

    /// <summary>A layout with the given attributes on top of NotebookKit's defaults (font, white background, margins).</summary>
    public static Layout Layout(Dictionary<string, object?> attributes)
    {
        var layout = new Layout();
        layout.SetProperty("font", Font);
        layout.SetProperty("paper_bgcolor", "white");
        layout.SetProperty("plot_bgcolor", "white");
        layout.SetProperty("margin", new { l = 80, r = 30, t = 80, b = 60 });
        foreach (var (key, value) in attributes)
            if (value is not null) layout.SetProperty(key, value);
        return layout;
    }

    /// <summary>A figure of the given traces and layout.</summary>
    public static Figure Figure(string title, IEnumerable<Trace> traces, Layout layout, int width, int height) =>
        new(GenericChart.setLayout(layout, GenericChart.ofTraceObjects(false, traces.ToList())), title, width, height);

    /// <summary>A title object; plotly.js reads titles as a small HTML subset, so the text is escaped.</summary>
    public static object Title(string text, double? x = null) => x is { } left
        ? new { text = Escape(text), x = left, xanchor = "left" }
        : new { text = Escape(text) };

    /// <summary>An axis with light grid lines and an escaped title.</summary>
    public static Dictionary<string, object?> Axis(string title, bool log = false) => new()
    {
        ["title"] = new { text = Escape(title), standoff = 8 },
        ["type"] = log ? "log" : "linear",
        ["gridcolor"] = "#e6e6e6",
        ["zeroline"] = false,
        ["linecolor"] = "#999",
        ["showline"] = true,
        ["ticks"] = "outside",
        ["automargin"] = true,
    };

    /// <summary>Escapes text for plotly.js labels and hover text (they accept a few HTML tags, so a token like "&lt;b&gt;" must not become bold).</summary>
    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Non-finite numbers become null: JSON cannot carry NaN or infinity, and plotly.js leaves a gap there.</summary>
    public static double?[] Finite(IEnumerable<double> values) => values.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray();

    /// <summary>A number for hover text: six significant digits, invariant culture, "inf"/"nan" spelled out.</summary>
    public static string Number(double value) => value switch
    {
        double.NaN => "nan",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ => value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture).Replace("E", "e"),
    };
}
