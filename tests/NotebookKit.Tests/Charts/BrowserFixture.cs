using Microsoft.Playwright;

namespace NotebookKit.Tests.Charts;

/// <summary>
/// One headless chromium for the browser tests: the system's /usr/bin/chromium (Playwright never downloads
/// a browser here), started offline, with every request the page makes recorded.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"browser tests need chromium at {Chromium}: apt-get install -y chromium");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
    }

    /// <summary>Opens <paramref name="file"/>, waits for it to load, and returns the page with the URLs it requested besides itself.</summary>
    public async Task<(IPage Page, List<string> Requests, List<string> Errors)> OpenAsync(string file)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 1200 } });
        var requests = new List<string>();
        var errors = new List<string>();
        var url = new Uri(file).AbsoluteUri;
        page.Request += (_, request) => { if (request.Url != url) requests.Add(request.Url); };
        page.PageError += (_, error) => errors.Add(error);
        await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        return (page, requests, errors);
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
