using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Konduktor.Bench;

/// <summary>
/// An open board at rest, before (the full board read every 1.5 s) and after (the workspace's change feed), beside the
/// host with no board open in the same run; then how soon a change reaches a following board.
/// </summary>
public static class FeedBench
{
    // Longer than a method should be, on purpose: a bench reads top to bottom as the steps it measures and the figures it prints.
    public static async Task RunAsync(int seconds, int changes)
    {
        await using var host = await BenchHost.StartAsync("--no-runner");
        var http = host.Http;
        http.Timeout = TimeSpan.FromMinutes(2);
        (await http.PostAsJsonAsync("api/workspaces", new { repository = "bench/feed" })).EnsureSuccessStatusCode();
        for (var i = 0; i < 100; i++)
        {
            (await http.PostAsJsonAsync("api/workspaces/feed/tasks", new { title = $"Task {i}", description = "A task on a board of 100." })).EnsureSuccessStatusCode();
        }

        Console.WriteLine($"bench feed: a board of 100 tasks under `konduktor up`, each phase {seconds} s; storage transactions as the host counts them");
        var floor = await PhaseAsync(host, seconds, _ => Task.FromResult(0L));
        Console.WriteLine($"host with no board open (its timers): {floor.OpsPerHour:N0} transactions per hour (the floor)");
        var polling = await PhaseAsync(host, seconds, async ct =>
        {
            long bytes = 0;
            while (!ct.IsCancellationRequested)
            {
                bytes += (await http.GetByteArrayAsync("api/workspaces/feed/board", CancellationToken.None)).Length;
                await Delay(TimeSpan.FromMilliseconds(1500), ct);
            }

            return bytes;
        });
        Report("before: the board read every 1.5 s", polling, floor);
        var following = await PhaseAsync(host, seconds, async ct =>
        {
            long bytes = 0;
            string? cursor = null;
            while (!ct.IsCancellationRequested)
            {
                var answer = await http.GetByteArrayAsync($"api/workspaces/feed/board/changes?wait=50{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", CancellationToken.None);
                bytes += answer.Length;
                using var json = JsonDocument.Parse(answer);
                if (cursor is null || json.RootElement.GetProperty("changed").GetBoolean())
                {
                    bytes += (await http.GetByteArrayAsync("api/workspaces/feed/board", CancellationToken.None)).Length;
                }

                cursor = json.RootElement.GetProperty("cursor").GetString();
            }

            return bytes;
        });
        Report("after: the change feed (a 50 s long poll, the board read when it changed)", following, floor);

        // A change, and the moment a following board has read it: the feed's answer, then the board read.
        var latencies = new List<double>();
        var writes = new List<double>();
        var board = await http.GetFromJsonAsync<JsonElement>("api/workspaces/feed/board");
        var taskId = board.GetProperty("columns").EnumerateArray().SelectMany(c => c.GetProperty("tasks").EnumerateArray()).First().GetProperty("id").GetString();
        var current = (await http.GetFromJsonAsync<JsonElement>("api/workspaces/feed/board/changes?wait=0")).GetProperty("cursor").GetString();
        for (var i = 0; i < changes; i++)
        {
            var waiting = http.GetFromJsonAsync<JsonElement>($"api/workspaces/feed/board/changes?wait=50&cursor={Uri.EscapeDataString(current!)}");
            await Task.Delay(50);
            var watch = Stopwatch.StartNew();
            (await http.PatchAsJsonAsync($"api/workspaces/feed/tasks/{taskId}", new { title = $"Renamed {i}" })).EnsureSuccessStatusCode();
            writes.Add(watch.Elapsed.TotalMilliseconds);
            current = (await waiting).GetProperty("cursor").GetString();
            var read = await http.GetFromJsonAsync<JsonElement>("api/workspaces/feed/board");
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            if (!read.ToString().Contains($"Renamed {i}", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("the board read after the feed's answer did not have the change");
            }
        }

        Console.WriteLine($"change → a following board has read it (write, feed answer, board read): {Figures.Summary(latencies, 0.5, 0.95)}");
        Console.WriteLine($"floor: the write alone (PATCH of the task): {Figures.Summary(writes, 0.5, 0.95)}");
    }

    private sealed record Phase(double OpsPerHour, double BytesPerHour);

    private static void Report(string what, Phase phase, Phase floor) =>
        Console.WriteLine($"{what}: {Math.Max(0, phase.OpsPerHour - floor.OpsPerHour):N0} transactions per hour above the floor ({(phase.OpsPerHour - floor.OpsPerHour) / 60:0.0} per minute), {phase.BytesPerHour / 1024 / 1024:0.0} MiB per hour to the browser");

    private static async Task<Phase> PhaseAsync(BenchHost host, int seconds, Func<CancellationToken, Task<long>> board)
    {
        var before = await TotalAsync(host);
        var watch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var bytes = await board(stop.Token);
        await Delay(stop.Token.WaitHandle.WaitOne(0) ? TimeSpan.Zero : TimeSpan.FromSeconds(seconds) - watch.Elapsed, CancellationToken.None);
        var hours = watch.Elapsed.TotalHours;
        return new Phase((await TotalAsync(host) - before) / hours, bytes / hours);
    }

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, ct);
        }
        catch (OperationCanceledException)
        {
            // the phase is over
        }
    }

    private static async Task<long> TotalAsync(BenchHost host)
    {
        using var diagnostics = JsonDocument.Parse(await host.Http.GetStringAsync("api/diagnostics/storage"));
        return diagnostics.RootElement.GetProperty("total").GetInt64();
    }
}
