using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Konduktor.LocalHost;
using Konduktor.LocalHost.Bindings;
using Konduktor.Core.Json;
using Konduktor.Core.Sessions;

namespace Konduktor.Bench;

/// <summary>
/// The chaos soak: runners work through tasks of the stand-in agent (each holding its task's lock for its whole life,
/// logging, committing, sleeping) while a driver SIGKILLs and freezes runners, restarts the host and takes storage
/// away for 30 s, and a person resumes whatever did not finish. Then it checks what must always hold: no two agents of
/// a task at once, every stored log gapless, every session ended, every succeeded session's commit on the remote, no
/// task stuck without a reason. Exit code 1 when any is broken.
/// </summary>
public static class ChaosBench
{
    private static readonly JsonSerializerOptions Json = new(KonduktorJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };
    private static readonly TimeSpan StorageOutage = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(TimeSpan duration, int runnerCount, int taskCount, int seed)
    {
        var random = new Random(seed);
        await using var world = await ChaosWorld.StartAsync(runnerCount);
        var (remote, tasks) = await SetUpAsync(world, taskCount);
        Console.WriteLine($"bench chaos: {duration.TotalMinutes:0.#} min, {runnerCount} runners of capacity 2, {taskCount} tasks, seed {seed}; lease 20 s");

        using var stopDriving = new CancellationTokenSource();
        var person = new Person(world, tasks);
        var driving = person.DriveAsync(stopDriving.Token);
        var actions = new Dictionary<string, int>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            await Task.Delay(TimeSpan.FromSeconds(random.Next(3, 10)));
            var (what, act) = random.Next(100) switch
            {
                < 35 => ("runner SIGKILLed, restarted", (Func<Task>)(() => world.KillRunnerAsync(random.Next(runnerCount), TimeSpan.FromSeconds(random.Next(2, 8))))),
                < 70 => ("runner frozen (SIGSTOP) 5-35 s", () => world.FreezeRunnerAsync(random.Next(runnerCount), TimeSpan.FromSeconds(random.Next(5, 36)))),
                < 85 => ("host restarted", world.RestartHostAsync),
                _ => ("storage stopped for 30 s", () => world.StorageOutageAsync(StorageOutage)),
            };
            actions[what] = actions.GetValueOrDefault(what) + 1;
            world.ReviveCrashedRunners();
            await act();
        }

        world.ReviveCrashedRunners();

        person.KeepWorking = false;
        var quiet = Stopwatch.StartNew();
        var settled = await person.WaitUntilEveryTaskSucceededAsync(TimeSpan.FromMinutes(5));
        await stopDriving.CancelAsync();
        await driving;
        Console.WriteLine($"chaos for {watch.Elapsed.TotalMinutes:0.0} min: {string.Join(", ", actions.OrderByDescending(a => a.Value).Select(a => $"{a.Value} × {a.Key}"))}");
        Console.WriteLine($"after the chaos every task's latest session succeeded within {quiet.Elapsed.TotalSeconds:0} s: {(settled ? "yes" : "no")}; the person ran or resumed {person.Starts} times");
        var violations = await CheckAsync(world, remote, tasks) + world.Crashes.Count;
        foreach (var crash in world.Crashes)
        {
            Console.WriteLine("VIOLATION " + crash);
        }

        Console.WriteLine($"violations: {violations} (logs of this run: {world.Root})");
        return violations == 0 ? 0 : 1;
    }

    private static async Task<(string Remote, IReadOnlyList<ChaosTask> Tasks)> SetUpAsync(ChaosWorld world, int taskCount)
    {
        var remote = await BenchHost.NewRemoteAsync();
        using var http = world.Http();
        (await http.PostAsJsonAsync("api/workspaces", new { repository = remote, name = "chaos" })).EnsureSuccessStatusCode();
        var tasks = new List<ChaosTask>();
        for (var i = 0; i < taskCount; i++)
        {
            var script = JsonSerializer.Serialize(new object[]
            {
                new { @lock = Path.Combine(world.Locks, $"task-{i}.lock"), overlap = world.Overlaps },
                new { flood = 150, delay = 10 },
                new { sh = "echo \"$KONDUKTOR_SESSION\" >> chaos.txt" },
                new { commit = "chaos %KONDUKTOR_SESSION%" },
                new { sleep = 2000 + (i * 397 % 5000) },
                new { flood = 100, delay = 10 },
            });
            var description = $"Work through the chaos.\n\n```standin\n{script}\n```\n";
            var created = await http.PostAsJsonAsync("api/workspaces/chaos/tasks", new { title = $"Chaos {i}", description });
            created.EnsureSuccessStatusCode();
            var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
            tasks.Add(new ChaosTask(id, description));
        }

        return (remote, tasks);
    }

    /// <summary>Every invariant over every session of every task; prints what broke and the figures, returns how many broke.</summary>
    private static async Task<int> CheckAsync(ChaosWorld world, string remote, IReadOnlyList<ChaosTask> tasks)
    {
        using var http = world.Http();
        var problems = new List<string>();
        var overlaps = File.Exists(world.Overlaps) ? await File.ReadAllLinesAsync(world.Overlaps) : [];
        problems.AddRange(overlaps.Select(o => "two agents of one task at once: " + o));
        var (sessionCount, eventCount, commits) = (0, 0L, 0);
        var statuses = new Dictionary<SessionStatus, int>();
        foreach (var task in tasks)
        {
            var sessions = (await http.GetFromJsonAsync<List<Session>>($"api/workspaces/chaos/sessions?task={task.Id}&limit=1000", Json))!;
            sessionCount += sessions.Count;
            foreach (var session in sessions)
            {
                statuses[session.Status] = statuses.GetValueOrDefault(session.Status) + 1;
                if (session.IsActive)
                {
                    problems.Add($"session {session.Id} is still {session.Status} after the chaos");
                }

                var seqs = await SequencesAsync(http, session.Id);
                eventCount += seqs.Count;
                if (!seqs.SequenceEqual(Enumerable.Range(1, seqs.Count).Select(s => (long)s)))
                {
                    problems.Add($"session {session.Id} ({session.Status}): its log is not 1..N in order ({seqs.Count} events, last {seqs.LastOrDefault()})");
                }
                else if (session.LastSequence is { } last && last != seqs.Count)
                {
                    problems.Add($"session {session.Id} ({session.Status}): the runner acknowledged {last} events, {seqs.Count} are stored");
                }

                if (session.Status == SessionStatus.Succeeded)
                {
                    var log = await GitOutputAsync(remote, "log", "--format=%s", session.Branch!);
                    commits++;
                    if (!log.Contains($"chaos {session.Id:D}", StringComparison.Ordinal))
                    {
                        problems.Add($"session {session.Id} succeeded but its commit is not on {session.Branch} at the remote");
                    }
                }
            }

            if (sessions.OrderByDescending(s => s.CreatedAt).FirstOrDefault() is var latest && latest?.Status != SessionStatus.Succeeded && latest?.Error is not { Length: > 0 })
            {
                problems.Add($"task {task.Id}: its latest session ({latest?.Status.ToString() ?? "none"}) did not succeed and gives no reason");
            }
        }

        Console.WriteLine($"sessions: {sessionCount} ({string.Join(", ", statuses.OrderByDescending(s => s.Value).Select(s => $"{s.Value} {s.Key}"))}); log events checked: {eventCount:N0}; succeeded sessions' commits checked on the remote: {commits}");
        Console.WriteLine($"two agents of one task at once: {overlaps.Length}");
        foreach (var problem in problems.Take(30))
        {
            Console.WriteLine("VIOLATION " + problem);
        }

        return problems.Count;
    }

    /// <summary>
    /// A page of the log; a 503 (storage still coming back from the last outage, as the API says it) is asked again for
    /// up to 30 s — the check is of what was kept, not of how soon storage recovers.
    /// </summary>
    private static async Task<LogPage> ReadPageAsync(HttpClient http, string path)
    {
        var patience = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync(path);
            if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || patience.Elapsed > TimeSpan.FromSeconds(30))
            {
                response.EnsureSuccessStatusCode();
                return (await response.Content.ReadFromJsonAsync<LogPage>(Json))!;
            }

            await Task.Delay(500);
        }
    }

    private static async Task<List<long>> SequencesAsync(HttpClient http, Guid session)
    {
        var seqs = new List<long>();
        var after = 0L;
        while (true)
        {
            var page = await ReadPageAsync(http, $"api/workspaces/chaos/sessions/{session}/logs?after={after}&limit=5000");
            seqs.AddRange(page.Events.Select(e => e.Seq));
            if (page.Events.Count == 0)
            {
                return seqs;
            }

            after = page.Next;
        }
    }

    private static async Task<string> GitOutputAsync(string gitDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["--git-dir", gitDirectory, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start)!;
        var output = await git.StandardOutput.ReadToEndAsync();
        await git.WaitForExitAsync();
        return output;
    }

    private sealed record ChaosTask(Guid Id, string Script);

    /// <summary>The person at the board: every few seconds, a task whose latest session ended without success is resumed (or run again).</summary>
    private sealed class Person(ChaosWorld world, IReadOnlyList<ChaosTask> tasks)
    {
        private readonly HashSet<Guid> _succeeded = [];

        /// <summary>While the chaos lasts, every task is kept at work: a succeeded one is resumed for another round.</summary>
        public bool KeepWorking { get; set; } = true;

        public int Starts { get; private set; }

        public async Task DriveAsync(CancellationToken ct)
        {
            using (var http = world.Http())
            {
                foreach (var task in tasks)
                {
                    await TryAsync(() => http.PostAsync($"api/workspaces/chaos/tasks/{task.Id}/run", null, ct));
                }
            }

            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(3), ct);
                    using var http = world.Http();
                    foreach (var task in tasks.Where(t => !_succeeded.Contains(t.Id)))
                    {
                        var sessions = await http.GetFromJsonAsync<List<Session>>($"api/workspaces/chaos/sessions?task={task.Id}&limit=1000", Json, ct);
                        var latest = sessions!.OrderByDescending(s => s.CreatedAt).FirstOrDefault();
                        if (!KeepWorking && latest is { Status: SessionStatus.Succeeded })
                        {
                            _succeeded.Add(task.Id);
                        }
                        else if (!sessions!.Any(s => s.IsActive))
                        {
                            var conversation = sessions!.Any(s => s.ClaudeSessionId is not null);
                            await TryAsync(() => conversation
                                ? http.PostAsJsonAsync($"api/workspaces/chaos/tasks/{task.Id}/resume", new { message = task.Script }, ct)
                                : http.PostAsync($"api/workspaces/chaos/tasks/{task.Id}/run", null, ct));
                        }
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
                {
                    // The host is restarting or storage is away: look again in a moment.
                }
            }
        }

        public async Task<bool> WaitUntilEveryTaskSucceededAsync(TimeSpan limit)
        {
            var watch = Stopwatch.StartNew();
            while (_succeeded.Count < tasks.Count && watch.Elapsed < limit)
            {
                await Task.Delay(1000);
            }

            return _succeeded.Count == tasks.Count;
        }

        private async Task TryAsync(Func<Task<HttpResponseMessage>> start)
        {
            try
            {
                using var response = await start();
                Starts += response.IsSuccessStatusCode ? 1 : 0;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Tried again on the next look.
            }
        }
    }

    /// <summary>Azurite, `up` and the runners as separate processes the chaos can kill, freeze and restart where they were.</summary>
    private sealed class ChaosWorld : IAsyncDisposable
    {
        private static readonly Dictionary<string, string> Environment = new()
        {
            ["Konduktor__Sessions__OrphanAfterSeconds"] = "20",
            ["Konduktor__Sessions__LostAfterSeconds"] = "15",
            ["Konduktor__Timers__SessionJanitor"] = "*/2 * * * * *",
        };

        private readonly string _script;
        private readonly int _port;
        private readonly Process?[] _runners;
        private Azurite _storage;
        private BenchHost _host;

        private ChaosWorld(string root, string script, Azurite storage, BenchHost host, int port, int runners)
        {
            (Root, _script, _storage, _host, _port) = (root, script, storage, host, port);
            _runners = new Process?[runners];
        }

        public string Root { get; }

        /// <summary>Runners that ended without the chaos ending them: each is a violation.</summary>
        public List<string> Crashes { get; } = [];

        /// <summary>A runner that exited by itself is noted and started again.</summary>
        public void ReviveCrashedRunners()
        {
            for (var i = 0; i < _runners.Length; i++)
            {
                if (_runners[i] is { HasExited: true } crashed)
                {
                    Crashes.Add($"runner r{i} exited by itself with code {crashed.ExitCode} (see r{i}.log)");
                    StartRunner(i);
                }
            }
        }

        /// <summary>Where agents lock their task and note overlaps: shared with every agent (<c>runner start --share</c>), as the sandbox shows them nothing else of this machine.</summary>
        public string Locks => Path.Combine(Root, "locks");

        public string Overlaps => Path.Combine(Locks, "overlaps.txt");

        private string Home => Path.Combine(Root, "home");

        private string Url => $"http://127.0.0.1:{_port}";

        public static async Task<ChaosWorld> StartAsync(int runners)
        {
            var root = Directory.CreateTempSubdirectory("konduktor-chaos-").FullName;
            Directory.CreateDirectory(Path.Combine(root, "locks"));
            var script = await Azurite.EnsureInstalledAsync(Path.Combine(Path.GetTempPath(), "konduktor-test-tools"), _ => { }, CancellationToken.None);
            var storage = await Azurite.StartAsync(script, Path.Combine(root, "azurite"), Path.Combine(root, "azurite.log"), CancellationToken.None);
            var port = FreePort();
            var host = await StartHostAsync(Path.Combine(root, "home"), port, storage);
            var world = new ChaosWorld(root, script, storage, host, port, runners);
            for (var i = 0; i < runners; i++)
            {
                world.StartRunner(i);
            }

            return world;
        }

        public HttpClient Http()
        {
            var http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(Home, "token")).Trim());
            return http;
        }

        public async Task KillRunnerAsync(int runner, TimeSpan down)
        {
            _runners[runner]!.Kill(entireProcessTree: false);
            await _runners[runner]!.WaitForExitAsync();
            await Task.Delay(down);
            StartRunner(runner);
        }

        public async Task FreezeRunnerAsync(int runner, TimeSpan frozen)
        {
            Signal(_runners[runner]!.Id, "STOP");
            await Task.Delay(frozen);
            Signal(_runners[runner]!.Id, "CONT");
        }

        public async Task RestartHostAsync()
        {
            await _host.DisposeAsync();
            _host = await StartHostAsync(Home, _port, _storage);
        }

        public async Task StorageOutageAsync(TimeSpan outage)
        {
            var (ports, key) = (_storage.Ports, _storage.AccountKey);
            await _storage.DisposeAsync();
            await Task.Delay(outage);
            _storage = await Azurite.StartAsync(_script, Path.Combine(Root, "azurite"), Path.Combine(Root, "azurite.log"), CancellationToken.None, ports, key);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var runner in _runners.OfType<Process>())
            {
                Signal(runner.Id, "CONT");
                await Konduktor.Runner.Processes.ProcessSignals.StopAsync(runner, TimeSpan.FromSeconds(30));
                runner.Dispose();
            }

            await _host.DisposeAsync();
            await _storage.DisposeAsync();
        }

        private static Task<BenchHost> StartHostAsync(string home, int port, Azurite storage) =>
            BenchHost.StartAsync(Environment, home, port, Path.Combine(Path.GetDirectoryName(home)!, "up.log"), "--no-runner", "--storage", storage.ConnectionString, "--storage-prefix", "chaos");

        private void StartRunner(int runner)
        {
            var work = Path.Combine(Root, "runners", $"r{runner}");
            var start = BenchHost.StartInfo(Home, ["runner", "start", "--name", $"r{runner}", "--capacity", "2", "--agent-command", BenchHost.StandIn, "--work-dir", work, "--url", Url, "--share", Directory.CreateDirectory(Locks).FullName]);
            var process = Process.Start(start)!;
            _ = BenchHost.KeepAsync(process.StandardOutput, Path.Combine(Root, $"r{runner}.log"));
            _ = BenchHost.KeepAsync(process.StandardError, Path.Combine(Root, $"r{runner}.log"));
            _runners[runner]?.Dispose();
            _runners[runner] = process;
        }

        private static void Signal(int pid, string signal)
        {
            using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
