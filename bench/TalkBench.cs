using System.Diagnostics;
using System.Net.Http.Json;
using Konduktor.Core.Sessions;

namespace Konduktor.Bench;

/// <summary>
/// Talking to a running agent: a message accepted → written to the agent's stdin (the runner's "person" log event, on
/// the same machine's clock), beside an API write in the same run; and a stop accepted → the session stopped, for an
/// agent whose child ignores SIGTERM.
/// </summary>
public static class TalkBench
{
    public static async Task RunAsync(int messages, int stops)
    {
        await using var host = await BenchHost.StartAsync("--agent-command", BenchHost.StandIn);
        Console.WriteLine($"bench talk: {messages} messages to one running stand-in, one after another; {stops} stops of a stand-in whose child ignores SIGTERM");
        await SessionBenches.CreateWorkspaceAsync(host);

        var task = await SessionBenches.CreateTaskAsync(host, "Listens", "```standin\n[{\"waitFor\": \"/nonexistent/never\"}]\n```");
        var (session, _) = await SessionBenches.RunAsync(host, task);
        await WaitForStatusAsync(host, session.Id, SessionStatus.Running);
        var delivered = new List<double>();
        var floor = new List<double>();
        for (var i = -3; i < messages; i++)
        {
            var text = $"message {i} {Guid.NewGuid():N}";
            var watch = Stopwatch.StartNew();
            (await host.Http.PatchAsJsonAsync($"api/workspaces/bench/tasks/{task.Id}", new { title = $"Listens {i}" })).EnsureSuccessStatusCode();
            var write = watch.Elapsed.TotalMilliseconds;
            var response = await host.Http.PostAsJsonAsync($"api/workspaces/bench/tasks/{task.Id}/say", new { text });
            var accepted = DateTimeOffset.UtcNow;
            response.EnsureSuccessStatusCode();
            var given = await WaitForPersonTurnAsync(host, session.Id, text);
            if (i >= 0)
            {
                delivered.Add((given - accepted).TotalMilliseconds);
                floor.Add(write);
            }
        }

        (await host.Http.PostAsync($"api/workspaces/bench/tasks/{task.Id}/stop", null)).EnsureSuccessStatusCode();
        Console.WriteLine($"message accepted -> written to the agent's stdin: {Figures.Summary(delivered, 0.5, 0.95)} (target p50 under 1 s)");
        Console.WriteLine($"floor, an API write (task update) in the same run: {Figures.Summary(floor, 0.5, 0.95)}");

        var stopped = new List<double>();
        for (var i = 0; i < stops; i++)
        {
            var stubborn = await SessionBenches.CreateTaskAsync(host, $"Stubborn {i}",
                "```standin\n[{\"spawn\": [\"/bin/sh\", \"-c\", \"trap '' TERM; while :; do sleep 1; done\"]}, {\"waitFor\": \"/nonexistent/never\"}]\n```");
            var (running, _) = await SessionBenches.RunAsync(host, stubborn);
            await WaitForStatusAsync(host, running.Id, SessionStatus.Running);
            var response = await host.Http.PostAsync($"api/workspaces/bench/tasks/{stubborn.Id}/stop", null);
            var accepted = DateTimeOffset.UtcNow;
            response.EnsureSuccessStatusCode();
            var ended = await WaitForStatusAsync(host, running.Id, SessionStatus.Stopped);
            stopped.Add((ended.EndedAt!.Value - accepted).TotalMilliseconds);
        }

        Console.WriteLine($"stop accepted -> session stopped, the agent's child ignoring SIGTERM: {Figures.Summary(stopped, 0.5, 0.95)} (target under 5 s; SIGKILL follows SIGTERM after 2 s)");
    }

    private static async Task<Session> WaitForStatusAsync(BenchHost host, Guid sessionId, SessionStatus status)
    {
        while (true)
        {
            var session = (await host.Http.GetFromJsonAsync<Session>($"api/workspaces/bench/sessions/{sessionId}", SessionBenches.Json))!;
            if (session.Status == status)
            {
                return session;
            }

            if (session.IsActive is false)
            {
                throw new InvalidOperationException($"session {session.ShortId} ended {session.Status}, not {status}: {session.Error}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>When the runner wrote the message to the agent: its person turn in the log, stamped as it was written.</summary>
    private static async Task<DateTimeOffset> WaitForPersonTurnAsync(BenchHost host, Guid sessionId, string text)
    {
        var quoted = System.Text.Json.JsonSerializer.Serialize(text);
        while (true)
        {
            var page = (await host.Http.GetFromJsonAsync<LogPage>($"api/workspaces/bench/sessions/{sessionId}/logs?limit=5000", SessionBenches.Json))!;
            if (page.Events.FirstOrDefault(e => e.Stream == "person" && e.Text.Contains(quoted, StringComparison.Ordinal)) is { } turn)
            {
                return turn.Time;
            }

            await Task.Delay(10);
        }
    }
}
