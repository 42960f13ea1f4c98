using System.Runtime.Serialization;
using System.Text.Json.Serialization;
using Azure.Data.Tables;
using Azure;
using Konduktor.Core.Json;

namespace Konduktor.Core.Agents;

/// <summary>A scheduled agent: a cron job that runs a Claude Code session which works through the Konduktor CLI.</summary>
public sealed record Agent
{
    /// <summary>Unique in the workspace; how the CLI names it.</summary>
    public required string Name { get; init; }

    public required Guid WorkspaceId { get; init; }

    /// <summary>The preset it was made from, if any (its prompt is the preset's unless <see cref="Prompt"/> overrides it).</summary>
    public string? Preset { get; init; }

    /// <summary>Its own prompt; null when it runs its preset's.</summary>
    public string? Prompt { get; init; }

    /// <summary>How often, e.g. <c>30m</c>, <c>12h</c>, <c>1d</c>; or null with <see cref="Cron"/>.</summary>
    public string? Every { get; init; }

    /// <summary>A five-field cron expression, evaluated in <see cref="TimeZone"/>.</summary>
    public string? Cron { get; init; }

    /// <summary>An IANA time zone for <see cref="Cron"/>; UTC when not given.</summary>
    public required string TimeZone { get; init; }

    public required bool Enabled { get; init; }

    public string? Model { get; init; }

    public int? MaxTurns { get; init; }

    /// <summary>Claude Code's spending cap per run, in US dollars.</summary>
    public decimal? MaxBudgetUsd { get; init; }

    /// <summary>What its runs may spend in a day (UTC), in US dollars: a run due past it is skipped, and a run gets only what is left.</summary>
    public decimal? DailyBudgetUsd { get; init; }

    /// <summary>When the scheduler will next queue a run (null while disabled).</summary>
    public DateTimeOffset? NextRunAt { get; init; }

    public DateTimeOffset? LastRunAt { get; init; }

    public Guid? LastSessionId { get; init; }

    public required int RunCount { get; init; }

    public required int SkippedCount { get; init; }

    /// <summary>What its runs cost so far (filled in by show and list).</summary>
    public decimal CostUsd { get; init; }

    /// <summary>Its latest runs, newest first (filled in by show).</summary>
    public IReadOnlyList<AgentRun>? Runs { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public required string Version { get; init; }
}

/// <summary>One time the agent was due (or asked to run now): queued as a session, or skipped and why.</summary>
/// <summary>What became of a due or asked-for run of a scheduled agent.</summary>
[JsonConverter(typeof(JsonEnumName<AgentRunOutcome>))]
public enum AgentRunOutcome
{
    /// <summary>Its session was queued.</summary>
    Queued,

    /// <summary>Not run: the previous run is still going.</summary>
    Skipped,

    /// <summary>Storage refused the run; it is tried again when next due.</summary>
    Failed,
}

public sealed record AgentRun(DateTimeOffset At, AgentRunOutcome Outcome, Guid? SessionId = null, string? Reason = null, string? Status = null, decimal? CostUsd = null);

/// <summary>A preset: a good prompt for a common job, kept as a file in the repository.</summary>
public sealed record AgentPreset(string Name, string Every, string Description, string Prompt);

public sealed record NewAgent
{
    /// <summary>Default: the preset's name.</summary>
    public string? Name { get; init; }

    public string? Preset { get; init; }

    public string? Prompt { get; init; }

    public string? Every { get; init; }

    public string? Cron { get; init; }

    public string? TimeZone { get; init; }

    public string? Model { get; init; }

    public int? MaxTurns { get; init; }

    public decimal? MaxBudgetUsd { get; init; }

    public decimal? DailyBudgetUsd { get; init; }
}

/// <summary>A change to an agent: fields left null stay. Giving <see cref="Every"/> clears the cron and the other way round.</summary>
public sealed record AgentChanges
{
    public string? Prompt { get; init; }

    public string? Every { get; init; }

    public string? Cron { get; init; }

    public string? TimeZone { get; init; }

    public string? Model { get; init; }

    public int? MaxTurns { get; init; }

    public decimal? MaxBudgetUsd { get; init; }

    /// <summary>0 removes the daily budget.</summary>
    public decimal? DailyBudgetUsd { get; init; }

    public bool? Enabled { get; init; }
}

/// <summary>What one pass of the scheduler did.</summary>
public sealed record SchedulerPass(int Queued, int Skipped, int Failed);

/// <summary>PartitionKey = workspace UUID, RowKey = the agent's name.</summary>
internal sealed class AgentEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string? Preset { get; set; }

    public string? Prompt { get; set; }

    public string? Every { get; set; }

    public string? Cron { get; set; }

    public string TimeZone { get; set; } = "UTC";

    public bool Enabled { get; set; } = true;

    public string? Model { get; set; }

    public int? MaxTurns { get; set; }

    public double? MaxBudgetUsd { get; set; }

    public double? DailyBudgetUsd { get; set; }

    public DateTimeOffset? NextRunAt { get; set; }

    public DateTimeOffset? LastRunAt { get; set; }

    public string? LastSessionId { get; set; }

    public int RunCount { get; set; }

    public int SkippedCount { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    [IgnoreDataMember]
    public Guid WorkspaceId => Guid.Parse(PartitionKey);

    public Agent ToAgent() => new()
    {
        Name = RowKey,
        WorkspaceId = WorkspaceId,
        Preset = Preset,
        Prompt = Prompt,
        Every = Every,
        Cron = Cron,
        TimeZone = TimeZone,
        Enabled = Enabled,
        Model = Model,
        MaxTurns = MaxTurns,
        MaxBudgetUsd = MaxBudgetUsd is { } budget ? (decimal)budget : null,
        DailyBudgetUsd = DailyBudgetUsd is { } daily ? (decimal)daily : null,
        NextRunAt = NextRunAt,
        LastRunAt = LastRunAt,
        LastSessionId = LastSessionId is null ? null : Guid.Parse(LastSessionId),
        RunCount = RunCount,
        SkippedCount = SkippedCount,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        Version = ETag.ToString(),
    };
}

/// <summary>PartitionKey = workspace UUID, RowKey = <c>{agent}:{inverted ticks}</c> (newest first).</summary>
internal sealed class AgentRunEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Agent { get; set; } = "";

    public DateTimeOffset At { get; set; }

    public string Outcome { get; set; } = "";

    public string? SessionId { get; set; }

    public string? Reason { get; set; }

    public static string Row(string agent, DateTimeOffset at) => $"{agent}:{DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks:D19}";
}
