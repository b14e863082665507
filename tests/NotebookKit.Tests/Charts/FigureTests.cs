using System.Text.RegularExpressions;
using NotebookKit.Charts;

namespace NotebookKit.Tests.Charts;

public class FigureTests
{
    [Fact]
    public void Saved_html_inlines_plotly_and_references_no_external_script()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nbk-test-{Guid.NewGuid():N}", "timeline.html");
        try
        {
            var saved = Timeline.Of(RunLogFixture.Healthy()).SaveHtml(path);
            var html = File.ReadAllText(saved);
            Assert.DoesNotMatch(new Regex("<script[^>]*\\bsrc\\s*=", RegexOptions.IgnoreCase), html);
            // plotly.js itself names a CDN for map data our charts never load; outside the bundle no address appears at all.
            Assert.DoesNotContain("http", html.Replace(PlotlyJs.ScriptTag, ""));
            Assert.DoesNotContain("<link", html);
            Assert.Contains("plotly.js v" + PlotlyJs.Version, html); // the bundle's own banner
            Assert.Contains("Plotly.newPlot", html);
            Assert.True(html.Length > 3_000_000, $"saved page is {html.Length} characters; the inlined plotly.js alone is over 3 MB");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void Plotly_source_comes_from_the_Plotly_NET_assembly()
    {
        var resource = typeof(Plotly.NET.GenericChart).Assembly.GetManifestResourceNames().Single(n => n.EndsWith(".min.js", StringComparison.Ordinal));
        Assert.Equal($"Plotly.NET.plotly-{PlotlyJs.Version}.min.js", resource);
        Assert.Equal("2.28.0", PlotlyJs.Version);
        Assert.StartsWith("/*", PlotlyJs.Source);
        Assert.Contains("newPlot", PlotlyJs.Source);
        Assert.DoesNotContain("</script", PlotlyJs.ScriptTag[8..^9], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Inline_html_is_a_div_and_a_script_that_draws_only_with_window_Plotly()
    {
        var html = Probabilities.SurpriseCurve().ToInlineHtml();
        var id = Regex.Match(html, "<div id=\"(nbk-figure-[0-9a-f]{32})\"").Groups[1].Value;
        Assert.NotEmpty(id);
        Assert.Contains($"document.getElementById('{id}')", html);
        Assert.Contains("if (window.Plotly) { window.Plotly.newPlot(", html);
        Assert.DoesNotContain("plotly.js v", html);
        Assert.Contains("plotly.js v", Probabilities.SurpriseCurve().ToInlineHtml(includePlotly: true));
    }

    [Fact]
    public void Png_without_a_browser_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Probabilities.SurpriseCurve().SavePng(Path.Combine(Path.GetTempPath(), "never.png"), browser: "/nonexistent/chromium"));
        Assert.Contains("browser '/nonexistent/chromium' does not exist", error.Message);
    }

    [Fact]
    public void Png_never_returns_an_older_file_when_the_browser_fails()
    {
        var dir = Directory.CreateTempSubdirectory("nbk-png-").FullName;
        try
        {
            var path = Path.Combine(dir, "chart.png");
            File.WriteAllText(path, "yesterday's chart");
            // /bin/false stands in for a chromium that starts and fails without writing anything.
            var error = Assert.Throws<InvalidOperationException>(() => Probabilities.SurpriseCurve().SavePng(path, browser: "/bin/false"));
            Assert.Contains($"/bin/false did not write '{path}' (exit 1)", error.Message);
            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
