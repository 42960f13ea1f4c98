using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Konduktor.Bench;

/// <summary>The board with thousands of tasks in headless Chromium: time to first full render, and the bundle's weight.</summary>
public static partial class WebBench
{
    public static async Task RunAsync(int taskCount, int runs)
    {
        await using var host = await BenchHost.StartAsync("--no-runner");
        Console.WriteLine($"bench web: board of {taskCount:N0} tasks in headless Chromium (/usr/bin/chromium), {runs} loads after 1 warm-up");
        (await host.Http.PostAsJsonAsync("api/workspaces", new { repository = "bench/web", name = "bench" })).EnsureSuccessStatusCode();
        string[] columns = ["Ideas", "To do", "In progress", "PR Submitted", "Done", "Closed"];
        await Parallel.ForEachAsync(Enumerable.Range(0, taskCount), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            (await host.Http.PostAsJsonAsync("api/workspaces/bench/tasks", new { title = $"Task {i}: a card with a realistic title", status = columns[i % 6], tags = new[] { $"area-{i % 9}" } }, ct)).EnsureSuccessStatusCode());

        var signIn = SignInUrl().Match(host.StartupOutput).Groups[1].Value;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(signIn);
        var times = new List<double>();
        for (var i = -1; i < runs; i++)
        {
            await page.GotoAsync("about:blank");
            var watch = Stopwatch.StartNew();
            await page.GotoAsync($"{host.Url}/#/w/bench");
            await page.WaitForFunctionAsync($"document.querySelectorAll('li.card').length === {taskCount}", null, new() { PollingInterval = 10, Timeout = 60_000 });
            if (i >= 0)
            {
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        Console.WriteLine($"navigation -> all {taskCount:N0} cards rendered: {Figures.Summary(times, 0.5, 0.95)}");
        var assets = Path.Combine(BenchHost.Root, "web", "dist", "assets");
        foreach (var file in Directory.GetFiles(assets, "*.js").Concat(Directory.GetFiles(assets, "*.css")))
        {
            Console.WriteLine($"{Path.GetFileName(file)}: {new FileInfo(file).Length / 1024.0:0.0} KB, gzip {Gzipped(file) / 1024.0:0.0} KB");
        }
    }

    private static long Gzipped(string file)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var input = File.OpenRead(file))
        {
            input.CopyTo(gzip);
        }

        return output.Length;
    }

    [GeneratedRegex(@"Board: (\S+)")]
    private static partial Regex SignInUrl();
}
