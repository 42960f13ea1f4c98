using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Konduktor.Core.Json;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Microsoft.Playwright;

namespace Konduktor.Bench;

/// <summary>
/// The board in headless Chromium: a board of thousands of tasks and a session log of a hundred thousand events, each
/// beside its floor (the board's read without a browser; a frame with nothing to do), and the bundle's weight.
/// </summary>
public static partial class WebBench
{
    private static readonly string[] Columns = ["Ideas", "To do", "In progress", "PR Submitted", "Done", "Closed"];
    private static readonly JsonSerializerOptions Json = new(KonduktorJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    public static async Task RunAsync(int taskCount, int logEvents, int runs)
    {
        await using var host = await BenchHost.StartAsync("--agent-command", BenchHost.StandIn);
        Console.WriteLine($"bench web: a board of {taskCount:N0} tasks and a log of {logEvents:N0} events in headless Chromium (/usr/bin/chromium, 1280×800), {runs} loads after 1 warm-up");
        var remote = await BenchHost.NewRemoteAsync();
        (await host.Http.PostAsJsonAsync("api/workspaces", new { repository = remote, name = "bench" })).EnsureSuccessStatusCode();

        // The flood is ingested while the board's tasks are created.
        var flood = await CreateTaskAsync(host, "Flood", $"```standin\n[{{\"flood\": {Math.Max(1, logEvents)}, \"size\": 120}}]\n```", "Ideas");
        var session = await (await host.Http.PostAsync($"api/workspaces/bench/tasks/{flood.Id}/run", null)).Content.ReadFromJsonAsync<Session>(Json);
        await Parallel.ForEachAsync(Enumerable.Range(1, taskCount - 1), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await CreateTaskAsync(host, $"Task {i}: a card with a realistic title", null, Columns[i % Columns.Length], $"area-{i % 9}"));
        while ((await host.Http.GetFromJsonAsync<Session>($"api/workspaces/bench/sessions/{session!.Id}", Json))!.IsActive)
        {
            await Task.Delay(200);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(SignInUrl().Match(host.StartupOutput).Groups[1].Value);

        await BoardAsync(host, page, taskCount, runs);
        if (logEvents > 0)
        {
            await LogAsync(host, page, flood, session.Id, runs);
        }

        Bundle();
    }

    private static async Task BoardAsync(BenchHost host, IPage page, int taskCount, int runs)
    {
        var board = (await host.Http.GetFromJsonAsync<Board>("api/workspaces/bench/board", Json))!;
        var expected = board.Columns.ToDictionary(c => c.Name, c => c.Tasks.Count);
        await Figures.MeasureAsync("floor: the board read by HttpClient (no browser)", runs, () => host.Http.GetStringAsync("api/workspaces/bench/board"));

        var shown = new List<double>();
        var rendered = new List<double>();
        var inPage = 0;
        for (var i = -1; i < runs; i++)
        {
            await page.GotoAsync("about:blank");
            var watch = Stopwatch.StartNew();
            await page.GotoAsync($"{host.Url}/#/w/bench");
            await page.WaitForFunctionAsync(
                """
                expected => [...document.querySelectorAll('section.column')].length === 6
                  && [...document.querySelectorAll('section.column')].every(c =>
                    c.querySelector('.count')?.textContent === String(expected[c.dataset.column])
                    && (expected[c.dataset.column] === 0 || c.querySelector('li.card') !== null))
                """, expected, new() { PollingInterval = 5, Timeout = 60_000 });
            var elapsed = watch.Elapsed.TotalMilliseconds;
            var afterRead = await page.EvaluateAsync<double>(
                "() => performance.now() - performance.getEntriesByType('resource').filter(r => /\\/board(\\?|$)/.test(r.name)).at(-1).responseEnd");
            inPage = await page.EvaluateAsync<int>("() => document.querySelectorAll('li.card').length");
            if (i >= 0)
            {
                shown.Add(elapsed);
                rendered.Add(afterRead);
            }
        }

        // The browser's own floor: the same read and parse in the page, with nothing rendered.
        var parsed = new List<double>();
        for (var i = -1; i < runs; i++)
        {
            var ms = await page.EvaluateAsync<double>("async () => { const t = performance.now(); await (await fetch('/api/workspaces/bench/board')).json(); return performance.now() - t; }");
            if (i >= 0)
            {
                parsed.Add(ms);
            }
        }

        Console.WriteLine($"floor: the board read and parsed in the page, nothing rendered: {Figures.Summary(parsed, 0.5, 0.95)}");
        Console.WriteLine($"navigation -> every column counted and its first cards shown ({taskCount:N0} tasks): {Figures.Summary(shown, 0.5, 0.95)}");
        Console.WriteLine($"  of which after the board's response arrived (parse + render): {Figures.Summary(rendered, 0.5, 0.95)}; {inPage} cards in the page");

        // Scrolled to its end as a person would (again while the cards measured taller than estimated push it further).
        var ideas = expected["Ideas"];
        var watchScroll = Stopwatch.StartNew();
        await page.WaitForFunctionAsync(
            """
            last => { const s = document.querySelector("section.column[data-column='Ideas'] .cards-scroll");
              const card = s.querySelector(`li.card[data-index='${last}']`);
              if (card && card.getBoundingClientRect().bottom <= s.getBoundingClientRect().bottom + 1) return true;
              s.scrollTop = s.scrollHeight; return false; }
            """, ideas - 1, new() { PollingInterval = 5, Timeout = 30_000 });
        Console.WriteLine($"a column of {ideas:N0} scrolled to its end -> its last card shown: {watchScroll.Elapsed.TotalMilliseconds:0} ms");
    }

    private static async Task LogAsync(BenchHost host, IPage page, TaskItem flood, Guid sessionId, int runs)
    {
        await Figures.MeasureAsync("floor: the whole log read by HttpClient in pages of 2,000 (no browser)", Math.Min(runs, 3), async () =>
        {
            for (long after = 0; ;)
            {
                var read = (await host.Http.GetFromJsonAsync<LogPage>($"api/workspaces/bench/sessions/{sessionId}/logs?after={after}&limit=2000&wait=0", Json))!;
                after = read.Next;
                if (read.Complete)
                {
                    break;
                }
            }
        });
        var loads = new List<double>();
        var firstRows = new List<double>();
        var events = 0;
        for (var i = -1; i < Math.Min(runs, 3); i++)
        {
            await page.GotoAsync("about:blank");
            var watch = Stopwatch.StartNew();
            await page.GotoAsync($"{host.Url}/#/w/bench/t/{flood.ShortId}");
            await page.Locator(".log-row").First.WaitForAsync(new() { Timeout = 60_000 });
            var first = watch.Elapsed.TotalMilliseconds;
            await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Session ended" }).WaitForAsync(new() { Timeout = 120_000 });
            if (i >= 0)
            {
                loads.Add(watch.Elapsed.TotalMilliseconds);
                firstRows.Add(first);
            }

            events = int.Parse(await page.GetByTestId("log-count").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        var rows = await page.EvaluateAsync<int>("() => document.querySelectorAll('.log-row').length");
        Console.WriteLine($"navigation -> the log's first rows shown: {Figures.Summary(firstRows, 0.5, 0.95)}");
        Console.WriteLine($"navigation -> the whole log of {events:N0} events read and shown: {Figures.Summary(loads, 0.5, 0.95)}; {rows} rows in the page");

        // Frames while scrolling: at a reader's pace (40 px a frame, upwards from the end), and dragging the scroll bar
        // (a jump to anywhere each frame); the floor is the same number of frames with nothing to do.
        var floor = await FramesAsync(page, "() => {}");
        var reading = await FramesAsync(page, "(el, i) => { el.scrollTop = el.scrollHeight - el.clientHeight - 40 * (i + 1); }");
        var jumping = await FramesAsync(page, "(el, i) => { el.scrollTop = ((i * 7919) % 240) / 240 * el.scrollHeight; }");
        Console.WriteLine($"frame interval, nothing to do (floor): {Figures.Summary(floor, 0.5, 0.95, 1.0)}");
        Console.WriteLine($"frame interval, scrolling at 40 px a frame: {Figures.Summary(reading, 0.5, 0.95, 1.0)}");
        Console.WriteLine($"frame interval, jumping anywhere each frame: {Figures.Summary(jumping, 0.5, 0.95, 1.0)}");
    }

    /// <summary>240 animation frames, each doing <paramref name="step"/> to the log's scroller: the time between frames.</summary>
    private static async Task<double[]> FramesAsync(IPage page, string step) =>
        await page.EvaluateAsync<double[]>(
            $$"""
            () => new Promise(done => {
              const el = document.querySelector("[data-testid='log-lines']");
              const step = {{step}};
              const times = [];
              let last = performance.now(), i = 0;
              const frame = now => {
                if (i > 0) times.push(now - last);
                last = now;
                if (i === 240) { done(times); return; }
                step(el, i++);
                requestAnimationFrame(frame);
              };
              requestAnimationFrame(frame);
            })
            """);

    private static void Bundle()
    {
        var assets = Path.Combine(BenchHost.Root, "web", "dist", "assets");
        long firstLoad = 0;
        foreach (var file in Directory.GetFiles(assets, "*.js").Concat(Directory.GetFiles(assets, "*.css")).Order())
        {
            var gzip = Gzipped(file);
            var loadedFirst = Path.GetFileName(file).StartsWith("index-", StringComparison.Ordinal);
            firstLoad += loadedFirst ? gzip : 0;
            Console.WriteLine($"{Path.GetFileName(file)}: {new FileInfo(file).Length / 1024.0:0.0} KB, gzip {gzip / 1024.0:0.0} KB{(loadedFirst ? "" : " (loaded when needed)")}");
        }

        Console.WriteLine($"first load (index js + css): gzip {firstLoad / 1024.0:0.0} KB of a 250 KB budget");
    }

    private static async Task<TaskItem> CreateTaskAsync(BenchHost host, string title, string? description, string status, params string[] tags)
    {
        var response = await host.Http.PostAsJsonAsync("api/workspaces/bench/tasks", new { title, description, status, tags });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TaskItem>(Json))!;
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
