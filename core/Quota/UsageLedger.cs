using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Quota;

/// <summary>What one day (UTC) cost: the workspace's, a task's or a scheduled agent's runs.</summary>
public sealed record UsageDay(DateOnly Day, decimal CostUsd, int Runs);

/// <summary>A task's or an agent's spend over the days asked for.</summary>
/// <param name="Key">The task's id or the agent's name.</param>
public sealed record UsageTotal(string Key, decimal CostUsd, int Runs, string? Title = null);

/// <summary>A workspace's spend per day, per task and per agent, beside its budgets.</summary>
public sealed record UsageReport(string Workspace, DateOnly From, DateOnly To, IReadOnlyList<UsageDay> Days, IReadOnlyList<UsageTotal> Tasks, IReadOnlyList<UsageTotal> Agents,
    DateTimeOffset DayResetsAt, decimal? DailyBudgetUsd = null, decimal? TaskBudgetUsd = null);

/// <summary>
/// What runs cost, kept per day (UTC) in the workspace's partition: a row for the workspace, one per task and one per
/// scheduled agent that ran that day. Written when a run ends (a session, or its part before a usage limit), read by
/// budgets and by <c>konduktor usage</c>.
/// </summary>
public sealed class UsageLedger(StorageClients storage, TimeProvider clock, ILogger<UsageLedger> logger)
{
    public const int MaxDays = 366;

    /// <summary>Adds a run's cost to its day: the workspace's row, and its task's or agent's.</summary>
    public async Task AddAsync(Guid workspaceId, Guid? taskId, string? agentName, decimal? costUsd, CancellationToken ct)
    {
        if (costUsd is not > 0)
        {
            return;
        }

        var day = Today();
        try
        {
            await AddToAsync(workspaceId, Key(day), costUsd.Value, ct);
            if (taskId is { } task)
            {
                await AddToAsync(workspaceId, Key(day) + ":t:" + ShortId.Format(task), costUsd.Value, ct);
            }

            if (agentName is { } agent)
            {
                await AddToAsync(workspaceId, Key(day) + ":a:" + agent.ToLowerInvariant(), costUsd.Value, ct);
            }
        }
        catch (RequestFailedException e)
        {
            // The task's card still has it; only the day's figures miss this run.
            logger.LogWarning(e, "Could not add ${Cost} to the usage of workspace {WorkspaceId}", costUsd, workspaceId);
        }
    }

    /// <summary>What the workspace (or one of its agents) has spent today, UTC.</summary>
    public async Task<decimal> SpentTodayAsync(Guid workspaceId, string? agentName, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Usage);
        var key = Key(Today()) + (agentName is null ? "" : ":a:" + agentName.ToLowerInvariant());
        var found = await table.GetEntityIfExistsAsync<UsageEntity>(ShortId.Format(workspaceId), key, cancellationToken: ct);
        return found.HasValue && found.Value is { } row ? (decimal)row.CostUsd : 0;
    }

    /// <summary>When today's spend starts again from nothing: the next midnight, UTC.</summary>
    public DateTimeOffset DayResetsAt() => new(Today().AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>Every row of the last <paramref name="days"/> days, today included.</summary>
    public async Task<(List<UsageDay> Days, List<UsageTotal> Tasks, List<UsageTotal> Agents, DateOnly From, DateOnly To)> ReadAsync(Guid workspaceId, int days, CancellationToken ct)
    {
        var to = Today();
        var from = to.AddDays(1 - Math.Clamp(days, 1, MaxDays));
        var table = await storage.Table(TableNames.Usage);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspaceId)} and RowKey ge {Key(from)} and RowKey lt {Key(to.AddDays(1))}");
        var byDay = new Dictionary<DateOnly, UsageDay>();
        var tasks = new Dictionary<string, UsageTotal>();
        var agents = new Dictionary<string, UsageTotal>();
        await foreach (var row in table.QueryAsync<UsageEntity>(filter, cancellationToken: ct))
        {
            var parts = row.RowKey.Split(':', 4);
            var cost = (decimal)row.CostUsd;
            if (parts.Length == 2)
            {
                var day = DateOnly.ParseExact(parts[1], "yyyy-MM-dd", CultureInfo.InvariantCulture);
                byDay[day] = new UsageDay(day, cost, row.Runs);
            }
            else if (parts.Length == 4)
            {
                var totals = parts[2] == "t" ? tasks : agents;
                totals[parts[3]] = totals.TryGetValue(parts[3], out var sum) ? sum with { CostUsd = sum.CostUsd + cost, Runs = sum.Runs + row.Runs } : new UsageTotal(parts[3], cost, row.Runs);
            }
        }

        var every = Enumerable.Range(0, to.DayNumber - from.DayNumber + 1).Select(i => from.AddDays(i)).Select(d => byDay.TryGetValue(d, out var found) ? found : new UsageDay(d, 0, 0)).ToList();
        return (every, tasks.Values.OrderByDescending(t => t.CostUsd).ToList(), agents.Values.OrderByDescending(a => a.CostUsd).ToList(), from, to);
    }

    private DateOnly Today() => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    private static string Key(DateOnly day) => "d:" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private async Task AddToAsync(Guid workspaceId, string rowKey, decimal costUsd, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Usage);
        var added = await Optimistic.UpdateAsync<bool>(async token =>
        {
            var found = await table.GetEntityIfExistsAsync<UsageEntity>(ShortId.Format(workspaceId), rowKey, cancellationToken: token);
            if (found.HasValue && found.Value is { } row)
            {
                row.CostUsd += (double)costUsd;
                row.Runs++;
                await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, token);
                return true;
            }

            try
            {
                await table.AddEntityAsync(new UsageEntity { PartitionKey = ShortId.Format(workspaceId), RowKey = rowKey, CostUsd = (double)costUsd, Runs = 1 }, token);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // Another run's end made the day's row first: a lost race like any other, so read it again and add on top.
                throw new RequestFailedException(412, "the row was added meanwhile");
            }

            return true;
        }, "the day's usage", ct);
        if (added.Failure is { } failure)
        {
            logger.LogWarning("Usage of workspace {WorkspaceId} not added to {Row}: {Reason}", workspaceId, rowKey, failure.Message);
        }
    }
}

internal sealed class UsageEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public double CostUsd { get; set; }

    public int Runs { get; set; }
}
