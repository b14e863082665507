using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using NotebookKit.Notebooks.Parsing;
using NotebookKit.Notebooks.Tests.Execution;

namespace NotebookKit.Notebooks.Tests.Kernel;

/// <summary>
/// What a learner without VS Code sees: Debian's Jupyter Notebook serving the first notebook's twin, opened in Debian's
/// chromium, Cell > Run All, and a chart drawn by plotly.js on the page, with no request leaving the machine.
/// </summary>
[Collection(CourseNotebooks.Collection)]
public class JupyterNotebookBrowserTests
{
    [Fact]
    public async Task RunAllInJupyterNotebookDrawsTheFirstNotebooksChart()
    {
        // A copy inside the repository (the kernel finds the pinned tool from there), so autosave never touches the twin.
        var folder = Path.Combine(Nbk.RepositoryRoot(), "artifacts", "kernel", "browser");
        Directory.CreateDirectory(folder);
        const string name = "00-start-here.ipynb";
        File.Copy(JupyterTwin.PathFor(Path.Combine(Nbk.RepositoryRoot(), "notebooks", "00-start-here.dib")), Path.Combine(folder, name), overwrite: true);
        var port = FreePort();
        var token = Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("jupyter") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var argument in new[] { "notebook", "--no-browser", "--ip=127.0.0.1", $"--port={port}", "--port-retries=0", $"--NotebookApp.token={token}", $"--notebook-dir={folder}" })
            start.ArgumentList.Add(argument);
        // CI runs as root, which Jupyter refuses unless told.
        if (Environment.UserName == "root") start.ArgumentList.Add("--allow-root");
        using var server = Process.Start(start) ?? throw new InvalidOperationException($"jupyter notebook did not start: {Jupyter.Setup}");
        var log = new System.Text.StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await WaitUntilListening(port, server, log);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = "/usr/bin/chromium",
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
            });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 1400 } });
            var outside = new List<string>();
            await page.RouteAsync("**/*", async route =>
            {
                var host = new Uri(route.Request.Url).Host;
                if (host is "127.0.0.1" or "localhost") await route.ContinueAsync();
                else
                {
                    lock (outside) outside.Add(route.Request.Url);
                    await route.AbortAsync();
                }
            });

            await page.GotoAsync($"http://127.0.0.1:{port}/notebooks/{name}?token={token}");
            await page.WaitForFunctionAsync("() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()", null, new() { Timeout = 120_000 });
            await page.ClickAsync("#celllink");
            await page.ClickAsync("#run_all_cells > a");
            await page.WaitForSelectorAsync(".nbk-figure svg.main-svg", new() { Timeout = 300_000 });
            await page.WaitForFunctionAsync("() => !document.querySelector('.code_cell.running')", null, new() { Timeout = 300_000 });
            await page.Locator(".nbk-figure").First.ScrollIntoViewIfNeededAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "00-start-here.png"), FullPage = false });

            Assert.True(await page.Locator(".nbk-figure .scatterlayer .trace").CountAsync() > 0, "the loss curve has no trace on the page");
            var errors = await page.Locator(".output_error").AllInnerTextsAsync();
            Assert.True(errors.Count == 0, string.Join("\n", errors));
            Assert.Empty(outside);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static async Task WaitUntilListening(int port, Process server, System.Text.StringBuilder log)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (server.HasExited) throw new InvalidOperationException($"jupyter notebook exited with {server.ExitCode}: {log}\n({Jupyter.Setup})");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(250);
            }
        }
        throw new TimeoutException($"jupyter notebook did not listen on port {port} within a minute: {log}");
    }
}
