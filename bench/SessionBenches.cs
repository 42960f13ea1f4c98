using System.Diagnostics;
using System.Net.Http.Json;
using Konduktor.Core.Json;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;

namespace Konduktor.Bench;

/// <summary>Sessions: dispatch latency against its floor, log ingest and follow latency, and the runner at rest.</summary>
public static class SessionBenches
{
    internal static readonly System.Text.Json.JsonSerializerOptions Json = new(KonduktorJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    /// <param name="native">A runner of the native konduktor (./publish) instead of `up`'s own.</param>
    public static async Task DispatchAsync(int runs, string? native)
    {
        await using var host = native is null ? await BenchHost.StartAsync("--agent-command", BenchHost.StandIn) : await BenchHost.StartAsync("--no-runner");
        using var runner = native is null ? null : host.StartRunner("native", executable: native);
        Console.WriteLine($"bench dispatch: {runs} runs of a stand-in that exits at once, one after another, through {(native is null ? "`up`'s local runner" : "a native runner")}");
        var remote = await CreateWorkspaceAsync(host);
        var latencies = await DispatchLatenciesAsync(host, runs, "Dispatch");
        var floor = await FloorAsync(remote, runs);
        var overhead = Figures.Percentile(latencies.Order().ToList(), 0.5) - Figures.Percentile(floor.Order().ToList(), 0.5);
        Console.WriteLine($"run accepted -> agent process started: {Figures.Summary(latencies, 0.5, 0.95)}");
        Console.WriteLine($"floor (git worktree add + process spawn, same machine, same run): {Figures.Summary(floor, 0.5, 0.95)}");
        Console.WriteLine($"overhead over the floor at p50: {overhead:0} ms (queue poll, claim, fetch, reports)");

        // The same with a setup script that does nothing: what the setup machinery itself costs (copy, hash, start, confine).
        (await host.Http.PatchAsJsonAsync("api/workspaces/bench/config", new { setupScript = "exit 0\n" })).EnsureSuccessStatusCode();
        var setupSpans = new List<double>();
        var withSetup = await DispatchLatenciesAsync(host, runs, "Dispatch with setup", setupSpans);
        var setupCost = Figures.Percentile(withSetup.Order().ToList(), 0.5) - Figures.Percentile(latencies.Order().ToList(), 0.5);
        Console.WriteLine($"run accepted -> agent process started, with a no-op setup script: {Figures.Summary(withSetup, 0.5, 0.95)}");
        Console.WriteLine($"the setup machinery at p50: {setupCost:0} ms over no setup (queue polling makes this noisy); on the runner's clock, setup started -> agent started: {Figures.Summary(setupSpans, 0.5, 0.95)}");
        if (runner is not null)
        {
            await Konduktor.Runner.Processes.ProcessSignals.StopAsync(runner, TimeSpan.FromSeconds(30));
        }

        await SandboxOverheadAsync(runs);
    }

    /// <summary>What confining the agent adds to its start: spawn → the agent's first line, in its room and not, alternately.</summary>
    /// <summary>
    /// Spawn → the agent's first line: unconfined, in its room, and in its room with its network (the relay, run by this
    /// bench's own binary as a runner runs its own, in front of the agent), alternately in one run.
    /// </summary>
    public static async Task SandboxOverheadAsync(int runs)
    {
        var sandbox = await Konduktor.Runner.Sandbox.AgentSandbox.DetectAsync([Path.GetDirectoryName(BenchHost.StandIn)!, AppContext.BaseDirectory], [], [], CancellationToken.None);
        if (!sandbox.Isolates)
        {
            Console.WriteLine($"sandbox start overhead: not measured ({sandbox.Missing})");
            return;
        }

        var root = Directory.CreateTempSubdirectory("konduktor-bench-room-").FullName;
        var mirror = Directory.CreateDirectory(Path.Combine(root, "repos", "origin.git")).FullName;
        var room = new Konduktor.Runner.Sandbox.AgentRoom(Directory.CreateDirectory(Path.Combine(root, "worktree")).FullName, mirror,
            Directory.CreateDirectory(Path.Combine(mirror, "worktrees", "w")).FullName, Directory.CreateDirectory(Path.Combine(root, "home")).FullName, []);
        var (open, confined, networked) = (new List<double>(), new List<double>(), new List<double>());
        await using var proxy = Konduktor.Runner.Sandbox.AgentProxy.Start(Path.Combine(root, "net", Konduktor.Runner.Sandbox.AgentNetwork.SocketName),
            Konduktor.Runner.Sandbox.NetworkAllowList.For(new Uri("http://127.0.0.1:1"), null, "/none", []), _ => { }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        for (var i = -3; i < runs; i++)
        {
            foreach (var (inRoom, withNetwork) in new[] { (false, false), (true, false), (true, true) })
            {
                var start = new ProcessStartInfo(BenchHost.StandIn) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false, WorkingDirectory = room.Worktree };
                foreach (var argument in new[] { "-p", "```standin\n[]\n```", "--output-format", "stream-json", "--verbose" })
                {
                    start.ArgumentList.Add(argument);
                }

                start.Environment["HOME"] = room.Home;
                var watch = Stopwatch.StartNew();
                using var agent = Process.Start(inRoom ? sandbox.Confine(start, withNetwork ? room with { ProxySocket = proxy.SocketPath } : room) : start)!;
                await agent.StandardOutput.ReadLineAsync();
                var elapsed = watch.Elapsed.TotalMilliseconds;
                agent.StandardInput.Close();
                await agent.StandardOutput.ReadToEndAsync();
                await agent.WaitForExitAsync();
                if (i >= 0)
                {
                    (withNetwork ? networked : inRoom ? confined : open).Add(elapsed);
                }
            }
        }

        var floor = Figures.Percentile(open.Order().ToList(), 0.5);
        Console.WriteLine($"agent spawn -> its first line, confined ({sandbox.Description.Split(':')[0]}): {Figures.Summary(confined, 0.5, 0.95)}");
        Console.WriteLine($"the same, confined with its network (the relay in front, this bench's JIT binary): {Figures.Summary(networked, 0.5, 0.95)}");
        Console.WriteLine($"the same, unconfined (floor, same run): {Figures.Summary(open, 0.5, 0.95)}");
        Console.WriteLine($"sandbox start overhead at p50: {Figures.Percentile(confined.Order().ToList(), 0.5) - floor:0} ms, with the network relay {Figures.Percentile(networked.Order().ToList(), 0.5) - floor:0} ms (target under 50 ms)");
    }

    /// <summary>Run accepted → agent started, for fresh tasks one after another (three warm-up runs first).</summary>
    private static async Task<List<double>> DispatchLatenciesAsync(BenchHost host, int runs, string title, List<double>? setupSpans = null)
    {
        var latencies = new List<double>();
        for (var i = -3; i < runs; i++)
        {
            var task = await CreateTaskAsync(host, $"{title} {i}", "```standin\n[]\n```");
            var (session, accepted) = await RunAsync(host, task);
            await WaitForEndAsync(host, session.Id);
            var logs = await ReadAllLogsAsync(host, session.Id);
            var started = logs.First(e => e.Stream == "konduktor" && e.Text.StartsWith("agent started", StringComparison.Ordinal));
            if (i >= 0)
            {
                latencies.Add((started.Time - accepted).TotalMilliseconds);
                if (setupSpans is not null && logs.FirstOrDefault(e => e.Stream == "konduktor" && e.Text.StartsWith("running ", StringComparison.Ordinal)) is { } setup)
                {
                    setupSpans.Add((started.Time - setup.Time).TotalMilliseconds);
                }
            }
        }

        return latencies;
    }

    public static async Task LogsAsync(int events)
    {
        await using var host = await BenchHost.StartAsync("--agent-command", BenchHost.StandIn);
        Console.WriteLine($"bench logs: a stand-in floods {events:N0} events; a follower long-polls from the start");
        await CreateWorkspaceAsync(host);

        var flood = await CreateTaskAsync(host, "Flood", $"```standin\n[{{\"flood\": {events}, \"size\": 120}}]\n```");
        var (floodSession, _) = await RunAsync(host, flood);
        var (received, latencies, seconds) = await FollowAsync(host, floodSession.Id);
        var texts = received.Where(e => e.Stream == "stdout").Select(e => ClaudeEvent.Parse(e.Text)).OfType<ClaudeEvent.Message>()
            .SelectMany(m => m.Parts).Select(p => p.Text).Where(t => t.StartsWith("event ", StringComparison.Ordinal)).ToList();
        var distinct = texts.Distinct().Count();
        var gaps = received.Select(e => e.Seq).SequenceEqual(Enumerable.Range(1, received.Count).Select(i => (long)i)) ? 0 : 1;
        Console.WriteLine($"ingest: {received.Count:N0} events visible to the follower in {seconds:0.00} s = {received.Count / seconds:N0} events/s");
        Console.WriteLine($"lost: {events - distinct}, duplicated: {texts.Count - distinct}, sequence gaps: {gaps}");
        Console.WriteLine($"emit -> visible to a follower during the flood: {Figures.Summary(latencies, 0.5, 0.99)}");

        var paced = await CreateTaskAsync(host, "Paced", "```standin\n[{\"flood\": 300, \"size\": 120, \"delay\": 20}]\n```");
        var (pacedSession, _) = await RunAsync(host, paced);
        var (_, pacedLatencies, _) = await FollowAsync(host, pacedSession.Id);
        Console.WriteLine($"emit -> visible to a follower at a working agent's pace (50 events/s): {Figures.Summary(pacedLatencies, 0.5, 0.99)}");
    }

    public static async Task ResumeAsync(int runs)
    {
        await using var host = await BenchHost.StartAsync("--no-runner");
        Console.WriteLine($"bench resume: {runs} tasks run on runner one, resumed on runner two (no worktree, no transcript), then resumed there again");
        await CreateWorkspaceAsync(host);
        var one = host.StartRunner("one");
        var tasks = new List<TaskItem>();
        for (var i = 0; i < runs; i++)
        {
            var task = await CreateTaskAsync(host, $"Resume {i}", "```standin\n[{\"write\": \"f.txt\", \"content\": \"x\"}, {\"commit\": \"work\"}]\n```");
            await WaitForEndAsync(host, (await RunAsync(host, task)).Session.Id);
            tasks.Add(task);
        }

        await Konduktor.Runner.Processes.ProcessSignals.StopAsync(one, TimeSpan.FromSeconds(30));
        using var two = host.StartRunner("two");
        try
        {
            var elsewhere = new List<double>();
            var same = new List<double>();
            foreach (var list in new[] { elsewhere, same })
            {
                foreach (var task in tasks)
                {
                    var response = await host.Http.PostAsJsonAsync($"api/workspaces/bench/tasks/{task.Id}/resume", new { message = "go on" });
                    var accepted = DateTimeOffset.UtcNow;
                    response.EnsureSuccessStatusCode();
                    var session = (await response.Content.ReadFromJsonAsync<Session>(Json))!;
                    await WaitForEndAsync(host, session.Id);
                    var started = (await ReadAllLogsAsync(host, session.Id)).First(e => e.Stream == "konduktor" && e.Text.StartsWith("agent started", StringComparison.Ordinal));
                    list.Add((started.Time - accepted).TotalMilliseconds);
                }
            }

            Console.WriteLine($"resume accepted -> agent started, on another runner (worktree from the pushed branch + transcript restored): {Figures.Summary(elsewhere, 0.5, 0.95)}");
            Console.WriteLine($"resume accepted -> agent started, on the same runner (worktree and transcript on disk): {Figures.Summary(same, 0.5, 0.95)}");
        }
        finally
        {
            await Konduktor.Runner.Processes.ProcessSignals.StopAsync(two, TimeSpan.FromSeconds(30));
        }
    }

    public static async Task OrphanAsync(int runs, int windowSeconds, int janitorSeconds)
    {
        var environment = new Dictionary<string, string>
        {
            ["Konduktor__Sessions__OrphanAfterSeconds"] = windowSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Konduktor__Timers__SessionJanitor"] = $"*/{janitorSeconds} * * * * *",
        };
        await using var host = await BenchHost.StartAsync(environment, "--no-runner");
        Console.WriteLine($"bench orphan: runner SIGKILL mid-session -> session orphaned; window {windowSeconds} s, janitor every {janitorSeconds} s (defaults: 120 s, 30 s)");
        await CreateWorkspaceAsync(host);
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            using var runner = host.StartRunner($"doomed{i}");
            var task = await CreateTaskAsync(host, $"Orphan {i}", "```standin\n[{\"sleep\": 600000}]\n```");
            var (session, _) = await RunAsync(host, task);
            while ((await host.Http.GetFromJsonAsync<Session>($"api/workspaces/bench/sessions/{session.Id}", Json))!.Status != SessionStatus.Running)
            {
                await Task.Delay(20);
            }

            runner.Kill(entireProcessTree: false);
            var killed = Stopwatch.StartNew();
            await WaitForEndAsync(host, session.Id);
            times.Add(killed.Elapsed.TotalMilliseconds);
            foreach (var pidFile in Directory.EnumerateFiles(host.Home, "*.pid", SearchOption.AllDirectories).Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "agents"))
            {
                // The killed runner's agent lives on in its process group (as after a real crash); the bench tidies it.
                Konduktor.Runner.Processes.ProcessSignals.KillGroup(int.Parse(File.ReadAllText(pidFile), System.Globalization.CultureInfo.InvariantCulture));
                File.Delete(pidFile);
            }
        }

        Console.WriteLine($"runner SIGKILL -> session orphaned: {Figures.Summary(times, 0.5, 1.0)}");
    }

    /// <param name="throughApi">The Azure path: runners read jobs through the API (each poll a function execution).</param>
    public static async Task IdleAsync(int seconds, bool throughApi)
    {
        var environment = throughApi ? new Dictionary<string, string> { ["Konduktor__Storage__RunnersThroughApi"] = "true" } : [];
        await using var host = await BenchHost.StartAsync(environment, "--no-runner");
        using var runner = Process.Start(BenchHost.StartInfo(host.Home, ["runner", "start", "--name", "idle", "--agent-command", BenchHost.StandIn]))!;
        _ = runner.StandardOutput.ReadToEndAsync();
        _ = runner.StandardError.ReadToEndAsync();
        Console.WriteLine($"bench idle: a `konduktor runner start` with nothing to do{(throughApi ? ", reading jobs through the API" : "")}, measured over {seconds} s after it settles");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(20));
            var (hostOps0, runnerOps0, beat0) = await OperationsAsync(host);
            var byOperation0 = await ByOperationAsync(host);
            var watch = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var (hostOps1, runnerOps1, beat1) = await OperationsAsync(host);
            var byOperation1 = await ByOperationAsync(host);
            var hours = watch.Elapsed.TotalHours;
            var hostRate = (hostOps1 - hostOps0 - 1) / hours;
            var runnerRate = (runnerOps1 - runnerOps0) / (beat1 - beat0).TotalHours;
            Console.WriteLine($"storage transactions per idle hour: {hostRate + runnerRate:N0} (runner's own queue polls {runnerRate:N0}, host {hostRate:N0})");
            foreach (var (operation, count) in byOperation1.Select(p => (p.Key, p.Value - byOperation0.GetValueOrDefault(p.Key))).Where(p => p.Item2 > 0))
            {
                Console.WriteLine($"  host {operation}: {count / hours:N0} per hour");
            }

            if (throughApi)
            {
                var polls = byOperation1.Where(p => p.Key.StartsWith("queue ", StringComparison.Ordinal)).Sum(p => p.Value - byOperation0.GetValueOrDefault(p.Key));
                var beats = byOperation1.GetValueOrDefault("table merge") - byOperation0.GetValueOrDefault("table merge");
                Console.WriteLine($"runner API calls per idle hour (function executions in Azure): about {(polls + beats) / hours:N0} ({polls / hours:N0} job polls, {beats / hours:N0} heartbeats); the host's timers (janitor every 30 s, scheduler every minute) add 180");
            }

            var rss = File.ReadLines($"/proc/{runner.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            Console.WriteLine($"runner idle RSS: {long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0:0.0} MB");
        }
        finally
        {
            await Konduktor.Runner.Processes.ProcessSignals.StopAsync(runner, TimeSpan.FromSeconds(30));
        }
    }

    private static async Task<Dictionary<string, long>> ByOperationAsync(BenchHost host)
    {
        using var diagnostics = System.Text.Json.JsonDocument.Parse(await host.Http.GetStringAsync("api/diagnostics/storage"));
        return diagnostics.RootElement.GetProperty("operations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
    }

    private static async Task<(long Host, long Runner, DateTimeOffset Heartbeat)> OperationsAsync(BenchHost host)
    {
        var runner = (await host.Http.GetFromJsonAsync<List<RunnerInfo>>("api/runners", Json))!.Single();
        using var diagnostics = System.Text.Json.JsonDocument.Parse(await host.Http.GetStringAsync("api/diagnostics/storage"));
        return (diagnostics.RootElement.GetProperty("total").GetInt64(), runner.StorageOperations, runner.LastHeartbeatAt ?? DateTimeOffset.UtcNow);
    }

    private static async Task<(List<LogEvent> Events, List<double> Latencies, double Seconds)> FollowAsync(BenchHost host, Guid sessionId)
    {
        var events = new List<LogEvent>();
        var latencies = new List<double>();
        long after = 0;
        LogPage page;
        do
        {
            page = (await host.Http.GetFromJsonAsync<LogPage>($"api/workspaces/bench/sessions/{sessionId}/logs?after={after}&limit=5000&wait=25", Json))!;
            var now = DateTimeOffset.UtcNow;
            events.AddRange(page.Events);
            latencies.AddRange(page.Events.Select(e => (now - e.Time).TotalMilliseconds));
            after = page.Next;
        }
        while (!page.Complete);

        return (events, latencies, (DateTimeOffset.UtcNow - events[0].Time).TotalSeconds);
    }

    internal static async Task<string> CreateWorkspaceAsync(BenchHost host)
    {
        var remote = await BenchHost.NewRemoteAsync();
        (await host.Http.PostAsJsonAsync("api/workspaces", new { repository = remote, name = "bench" })).EnsureSuccessStatusCode();
        return remote;
    }

    internal static async Task<TaskItem> CreateTaskAsync(BenchHost host, string title, string description)
    {
        var response = await host.Http.PostAsJsonAsync("api/workspaces/bench/tasks", new { title, description });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TaskItem>(Json))!;
    }

    internal static async Task<(Session Session, DateTimeOffset Accepted)> RunAsync(BenchHost host, TaskItem task)
    {
        var response = await host.Http.PostAsync($"api/workspaces/bench/tasks/{task.Id}/run", null);
        var accepted = DateTimeOffset.UtcNow;
        response.EnsureSuccessStatusCode();
        return ((await response.Content.ReadFromJsonAsync<Session>(Json))!, accepted);
    }

    internal static async Task WaitForEndAsync(BenchHost host, Guid sessionId)
    {
        while ((await host.Http.GetFromJsonAsync<Session>($"api/workspaces/bench/sessions/{sessionId}", Json))!.IsActive)
        {
            await Task.Delay(20);
        }
    }

    internal static async Task<List<LogEvent>> ReadAllLogsAsync(BenchHost host, Guid sessionId) =>
        (await host.Http.GetFromJsonAsync<LogPage>($"api/workspaces/bench/sessions/{sessionId}/logs?limit=5000", Json))!.Events.ToList();

    /// <summary>What dispatch cannot avoid on this machine: a worktree made from the mirror, and the agent process spawned.</summary>
    private static async Task<List<double>> FloorAsync(string remote, int runs)
    {
        var mirror = Path.Combine(Directory.CreateTempSubdirectory("konduktor-bench-mirror-").FullName, "origin.git");
        await BenchHost.Git(Path.GetDirectoryName(mirror)!, "clone", "--bare", "-q", remote, mirror);
        await BenchHost.Git(mirror, "config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*");
        await BenchHost.Git(mirror, "fetch", "-q", "origin");
        var worktrees = Directory.CreateTempSubdirectory("konduktor-bench-floor-").FullName;
        var times = new List<double>();
        for (var i = -3; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await BenchHost.Git(mirror, "worktree", "add", "-q", "--no-track", "-b", $"bench/floor-{i + 3}", Path.Combine(worktrees, $"w{i + 3}"), "refs/remotes/origin/main");
            var start = new ProcessStartInfo(BenchHost.StandIn) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false, WorkingDirectory = Path.Combine(worktrees, $"w{i + 3}") };
            foreach (var argument in new[] { "-p", "```standin\n[]\n```", "--output-format", "stream-json", "--verbose" })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["HOME"] = worktrees;
            using var agent = Process.Start(start)!;
            var elapsed = watch.Elapsed.TotalMilliseconds;
            agent.StandardInput.Close();
            await agent.StandardOutput.ReadToEndAsync();
            await agent.WaitForExitAsync();
            if (i >= 0)
            {
                times.Add(elapsed);
            }
        }

        return times;
    }
}
