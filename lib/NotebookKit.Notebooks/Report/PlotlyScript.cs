namespace NotebookKit.Notebooks.Report;

/// <summary>
/// plotly.js as Plotly.NET ships it inside its own assembly, so report pages draw charts with no network:
/// the default chart HTML points at a CDN that many learners (and CI) cannot reach.
/// </summary>
public static class PlotlyScript
{
    static readonly Lazy<string> Source = new(Load);

    /// <summary>The minified plotly.js text (about 3.5 MB), safe to place inside a <c>&lt;script&gt;</c> element.</summary>
    public static string Text => Source.Value;

    static string Load()
    {
        var assembly = typeof(Plotly.NET.Chart).Assembly;
        var name = assembly.GetManifestResourceNames().SingleOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} {assembly.GetName().Version} carries no plotly-*.min.js resource: the report cannot inline plotly.js");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        // A literal "</script" inside the code would end the element early.
        return reader.ReadToEnd().Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);
    }
}
