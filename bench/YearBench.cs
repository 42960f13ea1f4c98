using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Konduktor.Core.Contract;
using Konduktor.Core.Json;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;

namespace Konduktor.Bench;

/// <summary>
/// A busy person's year seeded into <c>up</c> (tasks, sessions with their logs, docs, questions), then what a restart
/// costs: Azurite's table file, how soon <c>up</c> is ready, Azurite's memory, and reading one session's whole log —
/// beside the same read on a new install, in the same run. <c>--old-layout</c> keeps logs as table rows (compaction
/// off), the layout before chunks, for the same figures.
/// </summary>
public static class YearBench
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(KonduktorJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    // Longer than a method should be, on purpose: a bench reads top to bottom as the steps it measures and the figures it prints.
    public static async Task RunAsync(double scale, bool oldLayout)
    {
        var (tasks, sessions, eventsPerSession, docs, questions) = ((int)(20_000 * scale), (int)(5_000 * scale), 600, (int)(500 * scale), (int)(1_000 * scale));
        Console.WriteLine($"bench year{(oldLayout ? " (old layout: logs as table rows)" : "")}: {tasks:N0} tasks, {sessions:N0} sessions of {eventsPerSession} events ({(long)sessions * eventsPerSession:N0} events), {docs:N0} docs, {questions:N0} questions");
        Console.WriteLine("(up's output is kept in up.log in the seeded home, which stays under the temporary folder)");
        var environment = oldLayout ? new Dictionary<string, string> { ["Konduktor__Logs__Compaction"] = "off" } : new Dictionary<string, string>();
        var floor = await FreshReadAsync(environment, eventsPerSession);

        var home = Directory.CreateTempSubdirectory("konduktor-bench-year-").FullName;
        var seeding = Stopwatch.StartNew();
        List<Guid> seeded;
        await using (var host = await BenchHost.StartAsync(environment, home, 0, Path.Combine(home, "up.log"), "--no-runner"))
        {
            await CreateWorkspaceAsync(host);
            seeded = await SeedAsync(host, tasks, sessions, eventsPerSession, docs, questions);
            Console.WriteLine($"seeded in {seeding.Elapsed.TotalSeconds:N0} s (slowest write: {Interlocked.Read(ref _slowestWrite) / 1000.0:N1} s)");
            if (!oldLayout)
            {
                var moving = Stopwatch.StartNew();
                await WaitForLogsMovedAsync(home);
                Console.WriteLine($"logs moved into chunks {moving.Elapsed.TotalSeconds:N0} s after the last was written");
            }
        }

        var tableFile = new FileInfo(Path.Combine(home, "azurite", "__azurite_db_table__.json")).Length;
        var restart = Stopwatch.StartNew();
        await using var restarted = await BenchHost.StartAsync(environment, home, 0, Path.Combine(home, "up.log"), "--no-runner");
        var ready = restart.Elapsed;
        var reads = new List<double>();
        var lost = 0;
        foreach (var session in seeded.OrderBy(_ => Random.Shared.Next()).Take(30))
        {
            var watch = Stopwatch.StartNew();
            var events = await ReadAllAsync(restarted, session);
            reads.Add(watch.Elapsed.TotalMilliseconds);
            lost += events.Select(e => e.Seq).SequenceEqual(Enumerable.Range(1, eventsPerSession).Select(i => (long)i)) ? 0 : 1;
        }

        var board = await restarted.Http.GetFromJsonAsync<List<TaskItem>>("api/workspaces/bench/tasks", Json);
        var azuriteMemory = ResidentMegabytes(new Konduktor.Cli.KonduktorHome(home).ReadUpState()!.AzuritePid!.Value);
        Console.WriteLine($"nothing lost: {board!.Count:N0} of {tasks:N0} tasks on the board, {30 - lost} of 30 sampled sessions' logs whole and gap-free");
        Console.WriteLine($"Azurite's table file: {tableFile / 1e6:N1} MB (target under 50 MB)");
        Console.WriteLine($"up ready after a restart: {ready.TotalSeconds:N2} s (target under 5 s)");
        Console.WriteLine($"Azurite's memory after the restart and the reads: {azuriteMemory:N0} MB (target under 300 MB)");
        Console.WriteLine($"reading one session's whole log ({eventsPerSession} events): {Figures.Summary(reads, 0.5, 0.95)}; on a new install: {Figures.Summary(floor, 0.5, 0.95)}");
    }

    /// <summary>The floor: one session's whole log read on a new install with nothing else in it.</summary>
    private static async Task<List<double>> FreshReadAsync(IReadOnlyDictionary<string, string> environment, int events)
    {
        await using var fresh = await BenchHost.StartAsync(environment, Directory.CreateTempSubdirectory("konduktor-bench-fresh-").FullName, 0, null, "--no-runner");
        await CreateWorkspaceAsync(fresh);
        var session = (await SeedAsync(fresh, 1, 1, events, 0, 0))[0];
        var reads = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var watch = Stopwatch.StartNew();
            await ReadAllAsync(fresh, session);
            reads.Add(watch.Elapsed.TotalMilliseconds);
        }

        return reads;
    }

    /// <summary>Tasks, the sessions of some of them (claimed, running, logged, ended, as a runner does), docs and questions.</summary>
    private static async Task<List<Guid>> SeedAsync(BenchHost host, int tasks, int sessions, int eventsPerSession, int docs, int questions)
    {
        // A write slower than HttpClient's default 100 s is a figure to print (the slowest), not a reason to lose the run.
        using var person = new HttpClient { BaseAddress = host.Http.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        person.DefaultRequestHeaders.Authorization = host.Http.DefaultRequestHeaders.Authorization;
        var registration = await PostAsync<RunnerRegistration>(person, "api/" + Operations.RegisterRunner.Path(), new RegisterRunner { Name = "year", Capacity = 64 });
        using var runner = new HttpClient { BaseAddress = host.Http.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        runner.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", registration.Token);
        var seeded = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        var at = DateTimeOffset.UtcNow.AddDays(-365);
        await Parallel.ForAsync(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var task = await PostAsync<TaskItem>(person, "api/" + Operations.CreateTask.Path("bench"), new NewTask { Title = $"Task {i} of the year", Description = $"What task {i} is about, in a paragraph or two of markdown." });
            if (i >= sessions)
            {
                return;
            }

            var session = await PostAsync<Session>(person, "api/" + Operations.RunTask.Path("bench", task.Id.ToString()), null);
            var (workspace, id) = (session.WorkspaceId.ToString(), session.Id.ToString());
            await PostAsync<SessionJob>(runner, "api/" + Operations.ClaimSession.Path(workspace, id), null);
            await PostAsync<Session>(runner, "api/" + Operations.ReportSession.Path(workspace, id), new SessionReport { Status = SessionStatus.Running });
            var events = Enumerable.Range(1, eventsPerSession).Select(seq => new LogEvent(seq, at.AddMinutes(i * 10).AddSeconds(seq), "stdout",
                $$$"""{"type":"assistant","message":{"content":[{"type":"text","text":"Step {{{seq}}} of task {{{i}}}: reading the code, running the tests, changing what they asked for."}]}}""")).ToList();
            await PostAsync<LogAppended>(runner, "api/" + Operations.AppendSessionLogs.Path(workspace, id), new LogAppend(events));
            await PostAsync<Session>(runner, "api/" + Operations.ReportSession.Path(workspace, id), new SessionReport { Status = SessionStatus.Succeeded, ExitCode = 0, LastSequence = eventsPerSession });
            seeded.Add(session.Id);
        });
        await Parallel.ForAsync(0, docs, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await PostAsync<Konduktor.Core.Docs.Doc>(person, "api/" + Operations.CreateDoc.Path("bench"), new Konduktor.Core.Docs.NewDoc { Title = $"Doc {i}", Content = $"# Doc {i}\n\nWhat was decided, and why." }));
        await Parallel.ForAsync(0, questions, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await PostAsync<Konduktor.Core.Questions.Question>(person, "api/" + Operations.AskQuestion.Path("bench"), new Konduktor.Core.Questions.NewQuestion($"Question {i}: which way should this go?")));
        return [.. seeded];
    }

    /// <summary>Until no session log is waiting in table rows (the compactor's notes are gone).</summary>
    private static async Task WaitForLogsMovedAsync(string home)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(30))
        {
            if (await PendingNotesAsync(home) == 0)
            {
                return;
            }

            await Task.Delay(1000);
        }

        throw new TimeoutException("the logs were still not moved into chunks after 30 minutes");
    }

    private static async Task<int> PendingNotesAsync(string home)
    {
        var up = new Konduktor.Cli.KonduktorHome(home).ReadUpState()!;
        var key = File.ReadAllText(Path.Combine(home, "azurite-key")).Trim();
        var ports = up.AzuriteEndpoints!.Split(':')[1].Split('/');
        var connection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};TableEndpoint=http://127.0.0.1:{ports[2]}/devstoreaccount1;";
        var table = new Azure.Data.Tables.TableClient(connection, LogCompactor.PendingTable);
        var count = 0;
        await foreach (var _ in table.QueryAsync<Azure.Data.Tables.TableEntity>(select: ["RowKey"]))
        {
            count++;
        }

        return count;
    }

    private static async Task<List<LogEvent>> ReadAllAsync(BenchHost host, Guid session)
    {
        var events = new List<LogEvent>();
        while (true)
        {
            var page = (await host.Http.GetFromJsonAsync<LogPage>($"api/workspaces/bench/sessions/{session}/logs?after={(events.Count == 0 ? 0 : events[^1].Seq)}&limit=5000", Json))!;
            events.AddRange(page.Events);
            if (page.Complete || page.Events.Count == 0)
            {
                return events;
            }
        }
    }

    private static async Task CreateWorkspaceAsync(BenchHost host) =>
        (await host.Http.PostAsJsonAsync("api/workspaces", new { repository = "myorg/year", name = "bench" })).EnsureSuccessStatusCode();

    /// <summary>The slowest write while seeding, in milliseconds.</summary>
    private static long _slowestWrite;

    private static async Task<T> PostAsync<T>(HttpClient http, string path, object? body)
    {
        var watch = Stopwatch.StartNew();
        using var response = body is null ? await http.PostAsync(path, null) : await http.PostAsync(path, JsonContent.Create(body, body.GetType(), options: Json));
        var elapsed = (long)watch.Elapsed.TotalMilliseconds;
        for (var slowest = Interlocked.Read(ref _slowestWrite); elapsed > slowest; slowest = Interlocked.Read(ref _slowestWrite))
        {
            if (Interlocked.CompareExchange(ref _slowestWrite, elapsed, slowest) == slowest)
            {
                break;
            }
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }

    /// <summary>A process's resident memory, as <c>ps</c> reports it (Linux and macOS).</summary>
    private static long ResidentMegabytes(int pid)
    {
        using var ps = Process.Start(new ProcessStartInfo("ps", ["-o", "rss=", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
        var kilobytes = long.Parse(ps.StandardOutput.ReadToEnd().Trim(), System.Globalization.CultureInfo.InvariantCulture);
        ps.WaitForExit();
        return kilobytes / 1024;
    }
}
