using System.Text.RegularExpressions;
using Konduktor.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Konduktor.Tests.Board;

/// <summary>
/// A <c>konduktor up</c> with the stand-in agent and the board, and headless Debian Chromium driven by Playwright.
/// Each test signs a fresh browser context in through the board URL <c>up</c> printed.
/// </summary>
public sealed partial class BoardHost(AzuriteFixture azurite) : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public KonduktorUp Up { get; private set; } = null!;

    /// <summary>GitHub's API for workspaces made with <c>--github</c>; the reconciler reads it every second.</summary>
    public GitHub.GitHubStandIn GitHub { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string SignInUrl { get; private set; } = "";

    public static string Artifacts { get; } = Directory.CreateDirectory(Path.Combine(KonduktorCli.RepositoryRoot, ".test-results", "screenshots")).FullName;

    public async ValueTask InitializeAsync()
    {
        GitHub = await Konduktor.Tests.GitHub.GitHubStandIn.StartAsync();
        Up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, environment: new Dictionary<string, string>
        {
            ["Konduktor__GitHub__ApiUrl"] = GitHub.Url,
            ["Konduktor__Timers__ReconcilePullRequests"] = "*/1 * * * * *",
            ["Konduktor__Timers__ReconcileIssues"] = "*/1 * * * * *",
            // A usage limit a board test meets holds the shared runner back for seconds, not a minute.
            ["Konduktor__Quota__MinimumWaitSeconds"] = "1",
        });
        SignInUrl = BoardUrl().Match(Up.Output).Groups[1].Value;
        _playwright = await Playwright.CreateAsync();
        // What a page shows may take a loaded machine longer than Playwright's 5 s (a log page read, a feed's wake-up).
        Microsoft.Playwright.Assertions.SetDefaultExpectTimeout(15_000);
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    /// <summary>A signed-in page at 1280×800 on the workspaces page.</summary>
    public async Task<IPage> SignedInPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(SignInUrl);
        return page;
    }

    /// <summary>A signed-in page on the workspace's board, its columns drawn.</summary>
    public async Task<IPage> OpenBoardAsync(string workspace)
    {
        var page = await SignedInPageAsync();
        await page.GotoAsync($"{Up.Url}/#/w/{workspace}");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("section.column")).ToHaveCountAsync(6);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
        await Up.DisposeAsync();
        await GitHub.DisposeAsync();
    }

    [GeneratedRegex(@"Board: (\S+)")]
    private static partial Regex BoardUrl();
}
