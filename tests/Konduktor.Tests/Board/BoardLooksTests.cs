using System.Text.Json;
using Deque.AxeCore.Playwright;
using Konduktor.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Konduktor.Tests.Board;

/// <summary>
/// Every page of the board, with something on it, in the light and the dark theme at a desktop, a laptop and a phone
/// width: no serious accessibility violation, no layout shift while it loads, nothing wider than a phone, and a
/// screenshot of each for a reviewer.
/// </summary>
public sealed class BoardLooksTests(BoardHost host) : IClassFixture<BoardHost>
{
    private static readonly int[] Widths = [1440, 1024, 390];

    /// <summary>The page's layout shift so far, as Chrome counts it for CLS (shifts right after input do not count).</summary>
    private const string LayoutShift = """
        () => {
            const observer = new PerformanceObserver(() => {});
            observer.observe({ type: "layout-shift", buffered: true });
            const total = observer.takeRecords().filter(e => !e.hadRecentInput).reduce((sum, e) => sum + e.value, 0);
            observer.disconnect();
            return total;
        }
        """;
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task Every_page_in_both_themes_and_at_three_widths_reads_without_accessibility_violations_or_sideways_scrolling()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Make the settings page searchable", StandInAgent.Script(
            new { say = "Adding a **search** box to the settings." }, new { write = "a.txt", content = "a\n" }, new { commit = "Add a" }, new { result = "success", cost = 0.0016 }));
        await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        var failing = await _driver.CreateTaskAsync(workspace, "Upgrade the test runner", StandInAgent.Script(new { say = "cannot" }, new { exit = 3 }));
        await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, failing)).Id);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "create", "--title", "Dark mode for the editor", "--priority", "high", "--tag", "ui", "--blocked-by", failing.ShortId, "--auto-run")).ExitCode);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "update", task.ShortId, "--blocked-by", failing.ShortId)).ExitCode);
        var project = JsonSerializer.Deserialize<Konduktor.Core.Projects.Project>(
            (await host.Up.CliAsync("-w", workspace, "--json", "projects", "create", "--title", "Audit", "--phase", "Look", "--phase", "Fix")).Output, SessionsHost.Json)!;
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "create", "--title", "Look around", "--project", project.ShortId, "--phase", "1")).ExitCode);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "create", "--title", "Fix what was found", "--project", project.ShortId, "--phase", "2")).ExitCode);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "questions", "ask", "Which database should the audit log use?", "--task", task.ShortId)).ExitCode);
        Assert.Equal(0, (await host.Up.CliWithInputAsync("# Notes\n\nA **doc**.\n", "-w", workspace, "docs", "create", "--title", "Notes", "--file", "-")).ExitCode);
        Assert.Equal(0, (await host.Up.CliWithInputAsync("Look around.", "-w", workspace, "agents", "create", "--name", "scout", "--prompt-file", "-", "--every", "1d")).ExitCode);
        (string Name, string Route, string Shows)[] pages =
        [
            ("home", "", "workspaces"), ("board", $"w/{workspace}", "Make the settings page searchable"),
            ("task", $"w/{workspace}/t/{task.ShortId}", "search"), ("projects", $"w/{workspace}/projects", "Audit"),
            ("project", $"w/{workspace}/projects/{project.ShortId}", "Look around"), ("questions", $"w/{workspace}/questions", "Which database"),
            ("docs", $"w/{workspace}/docs", "Notes"), ("doc", $"w/{workspace}/docs/notes", "doc"), ("agents", $"w/{workspace}/agents", "scout"),
            ("agent", $"w/{workspace}/agents/scout", "scout"), ("config", $"w/{workspace}/config", "Config"),
        ];
        var violations = new List<string>();
        foreach (var theme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var page = await host.SignedInPageAsync();
            await page.EmulateMediaAsync(new() { ColorScheme = theme });
            var themeName = theme == ColorScheme.Dark ? "dark" : "light";
            foreach (var (name, route, shows) in pages)
            {
                await page.SetViewportSizeAsync(Widths[0], 900);
                await page.GotoAsync($"{host.Up.Url}/#/{route}");
                await Expect(page.Locator("body")).ToContainTextAsync(shows, new() { IgnoreCase = true });
                // Layout shift as Chrome counts it (CLS): what moved on its own while the page loaded its content.
                var shift = await page.EvaluateAsync<double>(LayoutShift);
                Assert.True(shift < 0.1, $"{name} ({themeName}) shifted its layout by {shift:0.000} while it loaded (at most 0.1)");
                var result = await page.RunAxe();
                Assert.True(result.Passes.Length > 10, $"{name}: axe checked almost nothing ({result.Passes.Length} rules passed)");
                violations.AddRange(result.Violations.Where(v => v.Impact is "serious" or "critical")
                    .Select(v => $"{name} ({themeName}): {v.Id} ({v.Impact}) {v.Help}: {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}"));
                foreach (var width in Widths)
                {
                    await page.SetViewportSizeAsync(width, width < 600 ? 844 : 900);
                    await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "pages", $"{name}-{width}-{themeName}.png") });
                }

                var sideways = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
                Assert.True(sideways <= 0, $"{name} ({themeName}) is {sideways} px wider than a {Widths[^1]} px phone");
            }

            await page.Context.CloseAsync();
        }

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
