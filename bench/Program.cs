using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Konduktor.Cli.Commands;

// Konduktor's benchmarks: figures printed, never asserted (tests check correctness; this measures speed).
//   dotnet run --project bench -c Release -- board [--tasks N]
var which = args.FirstOrDefault() ?? "board";
var taskCount = args.SkipWhile(a => a != "--tasks").Skip(1).Select(int.Parse).FirstOrDefault(10_000);
if (which != "board")
{
    Console.Error.WriteLine($"error: unknown bench '{which}'; available: board");
    return 2;
}

var root = FindRoot();
var cli = Path.Combine(root, "cli", "bin", "Release", "net10.0", "konduktor");
var home = Directory.CreateTempSubdirectory("konduktor-bench-").FullName;
Console.WriteLine($"bench board: {taskCount:N0} tasks, `konduktor up` with its own Azurite (data on disk), home {home}");

using var up = Process.Start(Start(cli, home, "up", "--port", "0"))!;
var url = await ReadyUrl(up);
try
{
    var token = (await File.ReadAllTextAsync(Path.Combine(home, "token"))).Trim();
    using var http = new HttpClient { BaseAddress = new Uri(url) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    (await http.PostAsJsonAsync("api/workspaces", new { repository = "bench/bench" })).EnsureSuccessStatusCode();

    var seeding = Stopwatch.StartNew();
    string[] columns = ["Ideas", "To do", "In progress", "PR Submitted", "Done", "Closed"];
    string[] priorities = ["none", "low", "medium", "high", "urgent"];
    await Parallel.ForEachAsync(Enumerable.Range(0, taskCount), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
    {
        var task = new { title = $"Task {i}: make the thing number {i} faster", status = columns[i % columns.Length], priority = priorities[i % priorities.Length], tags = new[] { $"area-{i % 20}" }, description = $"Details for task {i}." };
        (await http.PostAsJsonAsync("api/workspaces/bench/tasks", task, ct)).EnsureSuccessStatusCode();
    });
    Console.WriteLine($"seeded {taskCount:N0} tasks through the API in {seeding.Elapsed.TotalSeconds:0.0} s ({taskCount / seeding.Elapsed.TotalSeconds:0} tasks/s)");

    await Measure("board query (GET /api/workspaces/bench/board, one partition query)", 30, async () =>
    {
        using var response = await http.GetAsync("api/workspaces/bench/board");
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
    });
    var state = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(home, "up.json"))).RootElement;
    var tablePort = state.GetProperty("azuriteEndpoints").GetString()!.Split('/')[^1];
    var tables = new Azure.Data.Tables.TableServiceClient(
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Konduktor.Cli.Hosting.Azurite.AccountKey};TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;");
    var taskTable = tables.GetTableClient(state.GetProperty("storagePrefix").GetString() + Konduktor.Core.Storage.TableNames.Tasks);
    await Measure("storage floor: the same partition query straight to Azurite with the SDK", 30, async () =>
    {
        await foreach (var _ in taskTable.QueryAsync<Azure.Data.Tables.TableEntity>(maxPerPage: 1000, select: Konduktor.Core.Tasks.TaskEntity.ListColumns))
        {
        }
    });
    await Measure($"`konduktor tasks list` process round trip ({taskCount:N0} rows)", 15, () => RunCli(cli, home, "-w", "bench", "tasks", "list"));
    await Measure("`konduktor tasks list --tag area-3 --priority high` process round trip", 15, () => RunCli(cli, home, "-w", "bench", "tasks", "list", "--tag", "area-3", "--priority", "high"));
    await Measure("`konduktor status` process round trip (the CLI floor: one small request)", 15, () => RunCli(cli, home, "status"));
}
finally
{
    await StopAsync(up);
}

return 0;

static async Task Measure(string what, int runs, Func<Task> action)
{
    await action();
    var times = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        var watch = Stopwatch.StartNew();
        await action();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }

    times.Sort();
    double Percentile(double p) => times[(int)Math.Min(times.Count - 1, Math.Ceiling(p * times.Count) - 1)];
    Console.WriteLine($"{what}: p50 {Percentile(0.50):0} ms, p95 {Percentile(0.95):0} ms ({runs} runs after 1 warm-up)");
}

static async Task RunCli(string cli, string home, params string[] arguments)
{
    using var process = Process.Start(Start(cli, home, arguments))!;
    await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"konduktor {string.Join(' ', arguments)} failed: {await process.StandardError.ReadToEndAsync()}");
    }
}

static ProcessStartInfo Start(string cli, string home, params string[] arguments)
{
    var start = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }

    start.Environment["KONDUKTOR_HOME"] = home;
    return start;
}

static async Task<string> ReadyUrl(Process up)
{
    while (await up.StandardOutput.ReadLineAsync() is { } line)
    {
        if (line.StartsWith(UpCommand.ReadyPrefix, StringComparison.Ordinal))
        {
            _ = up.StandardOutput.ReadToEndAsync();
            return line[UpCommand.ReadyPrefix.Length..].Split(' ')[0];
        }
    }

    throw new InvalidOperationException("konduktor up ended before it was ready: " + await up.StandardError.ReadToEndAsync());
}

static async Task StopAsync(Process up) => await Konduktor.Cli.Hosting.ProcessSignals.StopAsync(up, TimeSpan.FromSeconds(30));

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Konduktor.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("run the bench from inside the repository");
}
