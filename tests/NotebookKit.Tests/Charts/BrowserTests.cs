using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.Playwright;
using NotebookKit.Charts;
using NotebookKit.Interactive;

namespace NotebookKit.Tests.Charts;

/// <summary>Real chromium draws what the HTML promises: SVG panels, axis titles, lines, and no network.</summary>
[Collection(nameof(NotebookKit.Tests.Interactive.FormatterState))]
public sealed class BrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("nbk-browser-").FullName;

    [Fact]
    public async Task Saved_timeline_draws_its_svg_offline()
    {
        var file = Timeline.Of(RunLogFixture.Healthy()).SaveHtml(Path.Combine(_folder, "timeline.html"));
        var (page, requests, errors) = await browser.OpenAsync(file);
        await page.WaitForSelectorAsync("svg.main-svg");
        var yTitles = await page.Locator(".infolayer g[class^='g-y'][class$='title'] text").AllTextContentsAsync();
        Assert.Equal(["loss (nats/token)", "learning rate", "grad norm (L2)", "tokens/s"], yTitles);
        Assert.Equal("step", await page.Locator(".g-xtitle text").TextContentAsync());
        // One line per panel for the run, each with a drawn path; the skipped step's loss gap splits the loss line in two.
        var paths = await page.Locator(".scatterlayer .trace path.js-line").EvaluateAllAsync<string[]>("ps => ps.map(p => p.getAttribute('d') || '')");
        Assert.True(paths.Count(d => d.Length > 20) >= 4, $"drawn line paths: {paths.Length}");
        Assert.Equal(4, await page.Locator(".legend .traces").CountAsync() - 2); // run, val, skipped, clipped + floor and clip lines
        Assert.DoesNotContain(requests, u => !u.StartsWith("data:", StringComparison.Ordinal));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Hovering_a_step_shows_its_exact_values()
    {
        var file = Timeline.Of(RunLogFixture.Healthy()).SaveHtml(Path.Combine(_folder, "hover.html"));
        var (page, _, errors) = await browser.OpenAsync(file);
        await page.WaitForSelectorAsync("svg.main-svg");
        // Hover step 3 on the grad-norm panel (subplot x/y3), as a mouse would.
        var labels = await page.EvaluateAsync<string[]>(
            "() => { const gd = document.querySelector('.nbk-figure'); Plotly.Fx.hover(gd, { xval: 3 }, 'xy3');" +
            " return [...document.querySelectorAll('.hoverlayer .hovertext')].map(e => e.textContent); }");
        Assert.Contains(labels, l => l.Contains("grad norm 2.5 (clipped to 1)") && l.Contains("lr 0.00018") && l.Contains("tokens/s 15030"));
        Assert.Contains(labels, l => l.Contains("clipped"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Formatter_output_draws_with_and_without_plotly_on_the_page()
    {
        // VS Code: no plotly.js on the page; the first chart brings it and the second reuses window.Plotly.
        Inline.Register();
        Inline.ResendPlotly();
        var vscode = Path.Combine(_folder, "vscode.html");
        File.WriteAllText(vscode, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" +
                                  Timeline.Of(RunLogFixture.Healthy()).ToDisplayString(HtmlFormatter.MimeType) +
                                  Probabilities.SurpriseCurve().ToDisplayString(HtmlFormatter.MimeType) + "</body></html>");
        // The headless report: plotly.js once in the head, charts as div + script.
        var report = Path.Combine(_folder, "report.html");
        File.WriteAllText(report, $"<!DOCTYPE html><html><head><meta charset=\"utf-8\">{PlotlyJs.ScriptTag}</head><body>" +
                                  Timeline.Compare(RunLogFixture.Healthy(), RunLogFixture.ZeroGradBeforeStep()).ToInlineHtml() +
                                  Probabilities.NextToken([("R", 0.5), ("o", 0.3)]).ToInlineHtml() + "</body></html>");
        foreach (var file in new[] { vscode, report })
        {
            var (page, requests, errors) = await browser.OpenAsync(file);
            await page.WaitForFunctionAsync("document.querySelectorAll('.nbk-figure svg.main-svg').length >= 2");
            Assert.Equal(2, await page.Locator(".nbk-figure.js-plotly-plot").CountAsync());
            Assert.DoesNotContain(requests, u => !u.StartsWith("data:", StringComparison.Ordinal));
            Assert.Empty(errors);
        }
    }

    [Fact]
    public async Task Chart_without_plotly_says_how_to_recover()
    {
        var file = Path.Combine(_folder, "bare.html");
        File.WriteAllText(file, "<!DOCTYPE html><html><body>" + Probabilities.SurpriseCurve().ToInlineHtml() + "</body></html>");
        var (page, _, errors) = await browser.OpenAsync(file);
        Assert.Contains("Inline.ResendPlotly()", await page.Locator(".nbk-figure").TextContentAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public void Png_is_rendered_at_the_figure_size()
    {
        var figure = GradientNorms.Bars([("weight", 0.8), ("bias", 0.1)]);
        var png = File.ReadAllBytes(figure.SavePng(Path.Combine(_folder, "grads.png"), BrowserFixture.Chromium));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        // IHDR: big-endian width and height at bytes 16 and 20.
        Assert.Equal(figure.Width + 32, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(figure.Height + 32, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.True(png.Length > 10_000, $"a drawn chart compresses to tens of kilobytes; got {png.Length} bytes (a blank page is about 5 KB)");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
