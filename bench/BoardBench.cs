using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;

namespace Konduktor.Bench;

/// <summary>10,000 tasks in one workspace: the board query and CLI round trips.</summary>
public static class BoardBench
{
    public static async Task RunAsync(int taskCount)
    {
        await using var host = await BenchHost.StartAsync("--no-runner");
        Console.WriteLine($"bench board: {taskCount:N0} tasks, `konduktor up` with its own Azurite (data on disk)");
        var http = host.Http;
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

        await Figures.MeasureAsync("board query (GET /api/workspaces/bench/board, one partition query)", 30, async () =>
        {
            using var response = await http.GetAsync("api/workspaces/bench/board");
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        });

        var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(host.Home, "up.json"))).RootElement;
        var tablePort = state.GetProperty("azuriteEndpoints").GetString()!.Split('/')[^1];
        var tables = new TableServiceClient(
            $"DefaultEndpointsProtocol=http;AccountName={Konduktor.LocalHost.Azurite.AccountName};AccountKey={(await File.ReadAllTextAsync(Path.Combine(host.Home, "azurite-key"))).Trim()};TableEndpoint=http://127.0.0.1:{tablePort}/{Konduktor.LocalHost.Azurite.AccountName};");
        var taskTable = tables.GetTableClient(state.GetProperty("storagePrefix").GetString() + Konduktor.Core.Storage.TableNames.Tasks);
        await Figures.MeasureAsync("storage floor: the same partition query straight to Azurite with the SDK", 30, async () =>
        {
            await foreach (var _ in taskTable.QueryAsync<TableEntity>(maxPerPage: 1000, select: Konduktor.Core.Tasks.TaskEntity.ListColumns))
            {
            }
        });
        await Figures.MeasureAsync($"`konduktor tasks list` process round trip ({taskCount:N0} rows)", 15, () => host.RunCliAsync("-w", "bench", "tasks", "list"));
        await Figures.MeasureAsync("`konduktor tasks list --tag area-3 --priority high` process round trip", 15, () => host.RunCliAsync("-w", "bench", "tasks", "list", "--tag", "area-3", "--priority", "high"));
        await Figures.MeasureAsync("`konduktor status` process round trip (the CLI floor: one small request)", 15, () => host.RunCliAsync("status"));
    }
}
