using System.Reflection;

namespace NotebookKit.Charts;

/// <summary>
/// The plotly.js bundle that Plotly.NET carries inside its own assembly, so NotebookKit's charts
/// draw with no network: saved HTML files, the headless report and VS Code all get the script
/// from here instead of a CDN.
/// </summary>
public static class PlotlyJs
{
    static readonly Lazy<string> LoadedSource = new(Load);

    /// <summary>The plotly.js version bundled with Plotly.NET (2.28.0 for Plotly.NET 6.0.0).</summary>
    public static string Version => Globals.PLOTLYJS_VERSION;

    /// <summary>
    /// The minified plotly.js source (about 3.6 MB), read once from Plotly.NET's embedded resource
    /// <c>Plotly.NET.plotly-&lt;version&gt;.min.js</c>. A host page that inlines it once in its head
    /// can display every NotebookKit figure with <see cref="Figure.ToInlineHtml"/>.
    /// </summary>
    public static string Source => LoadedSource.Value;

    /// <summary>
    /// A <c>&lt;script&gt;</c> element that defines <c>window.Plotly</c> unless the page already has it.
    /// The bundle is wrapped so that it always sets the global, even on pages that also load an AMD or
    /// CommonJS loader (notebook front ends often do), where plotly.js would otherwise register itself
    /// as a module and leave <c>window.Plotly</c> undefined.
    /// </summary>
    public static string ScriptTag =>
        "<script>if (!window.Plotly) { (function (define, module, exports) {\n" +
        Source.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase) +
        "\n}).call(window); }</script>";

    static string Load()
    {
        var assembly = typeof(Plotly.NET.GenericChart).Assembly;
        var name = $"Plotly.NET.plotly-{Version}.min.js";
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException(
                $"{assembly.GetName().Name} {assembly.GetName().Version} has no embedded resource '{name}' " +
                $"(it has: {string.Join(", ", assembly.GetManifestResourceNames())}); NotebookKit expects Plotly.NET 6.0.0.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
