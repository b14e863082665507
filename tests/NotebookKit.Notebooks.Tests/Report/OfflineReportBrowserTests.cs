using Microsoft.Playwright;
using NotebookKit.Charts;

namespace NotebookKit.Notebooks.Tests.Report;

/// <summary>Opens the report in Debian's chromium (never a downloaded browser) with every non-file request blocked.</summary>
public sealed class OfflineReportBrowserTests : IDisposable
{
    readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    static readonly string ChartNotebook = $$"""
        #!markdown

        # A chart, *offline*

        #!csharp

        #r "nuget: Plotly.NET, 6.0.0"
        #r "nuget: TorchSharp, 0.107.0"
        #r "{{Path.Combine(AppContext.BaseDirectory, "NotebookKit.dll")}}"
        // NotebookKit's formatter draws any Plotly.NET chart; the report page carries plotly.js itself.
        var line = new Plotly.NET.Trace2D("scatter");
        line.SetProperty("x", new[] { 1, 2, 3 });
        line.SetProperty("y", new[] { 3, 1, 2 });
        line.SetProperty("mode", "lines");
        display(Plotly.NET.GenericChart.ofTraceObject(true, line));
        display("<b id=\"injected\">not bold</b>");
        Console.WriteLine("<script>window.ran = true</script>");
        """;

    [Fact]
    public async Task ChartDrawsTextIsEscapedAndNoRequestLeavesThePage()
    {
        var notebook = Nbk.Write(_temp, ChartNotebook, "chart.dib");
        var report = Path.Combine(Path.GetDirectoryName(notebook)!, "report");
        var (exit, stdout, stderr) = Nbk.Cli("run", notebook, "--report", report);
        Assert.True(exit == 0, stdout + stderr);
        var pageFile = Path.Combine(report, "chart.html");
        var source = File.ReadAllText(pageFile);
        Assert.Equal(1, CountOf(source, PlotlyJs.Source[..200]));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();
        var blocked = new List<string>();
        await page.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith("file:", StringComparison.Ordinal)) await route.ContinueAsync();
            else
            {
                lock (blocked) blocked.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        await page.GotoAsync(new Uri(pageFile).AbsoluteUri);
        await page.WaitForSelectorAsync("svg.main-svg", new() { Timeout = 15000 });
        Assert.True(await page.Locator(".js-line").CountAsync() > 0, "the line trace was not drawn");
        Assert.Equal(0, await page.Locator("#injected").CountAsync());
        var text = await page.InnerTextAsync("body");
        Assert.Contains("<b id=\"injected\">not bold</b>", text);
        Assert.Contains("<script>window.ran = true</script>", text);
        Assert.False(await page.EvaluateAsync<bool>("() => window.ran === true"));
        Assert.Equal("A chart, offline", await page.InnerTextAsync("h1#a-chart-offline"));

        await page.GotoAsync(new Uri(Path.Combine(report, "index.html")).AbsoluteUri);
        Assert.Equal("passed", await page.InnerTextAsync("td.passed"));
        Assert.Empty(errors);
        Assert.Empty(blocked);
    }

    static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
