using System.Text.Json.Serialization;
using Konduktor.Core.Json;

namespace Konduktor.Core.Sessions;

/// <summary>Why a session runs; every kind is a Claude Code process in a worktree on a runner.</summary>
[JsonConverter(typeof(JsonEnumName<SessionKind>))]
public enum SessionKind
{
    [JsonStringEnumMemberName("task")]
    Task,

    [JsonStringEnumMemberName("resume")]
    Resume,

    [JsonStringEnumMemberName("auto-fix-conflicts")]
    AutoFixConflicts,

    [JsonStringEnumMemberName("auto-fix-ci")]
    AutoFixCi,

    [JsonStringEnumMemberName("auto-fix-review")]
    AutoFixReview,

    [JsonStringEnumMemberName("scheduled-agent")]
    ScheduledAgent,
}

[JsonConverter(typeof(JsonEnumName<SessionStatus>))]
public enum SessionStatus
{
    Queued,
    Claimed,
    Running,
    Succeeded,

    /// <summary>The agent finished, but Claude Code refused some of its tool calls (permission mode): a person should look.</summary>
    [JsonStringEnumMemberName("needs-attention")]
    NeedsAttention,
    Failed,
    Stopped,
    Orphaned,

    /// <summary>The agent stopped at its account's usage limit: the conversation is kept, and continues after the reset (automatically, once, unless the workspace says not to).</summary>
    [JsonStringEnumMemberName("waiting-for-quota")]
    WaitingForQuota,
}

/// <summary>One run of an agent. Its logs are kept forever in the session log table.</summary>
public sealed record Session
{
    public required Guid Id { get; init; }

    public required Guid WorkspaceId { get; init; }

    public Guid? TaskId { get; init; }

    /// <summary>The scheduled agent it runs, for a <c>scheduled-agent</c> session.</summary>
    public string? AgentName { get; init; }

    public required SessionKind Kind { get; init; }

    public required SessionStatus Status { get; init; }

    /// <summary>What the person added for a resume, if anything.</summary>
    public string? Message { get; init; }

    /// <summary>Who started it: the person (or agent) who ran or resumed the task, or Konduktor itself.</summary>
    public string? StartedBy { get; init; }

    public Guid? RunnerId { get; init; }

    public string? RunnerName { get; init; }

    /// <summary>Claude Code's own session id (from its <c>system/init</c> event): what a resume continues.</summary>
    public string? ClaudeSessionId { get; init; }

    public string? Branch { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? ClaimedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>Why it failed: the result's error or the tail of the agent's stderr.</summary>
    public string? Error { get; init; }

    public SessionOutcome? Outcome { get; init; }

    /// <summary>The sequence number of the last log event, known once the session has ended.</summary>
    public long? LastSequence { get; init; }

    public DateTimeOffset? StopRequestedAt { get; init; }

    /// <summary>The Claude account its runner uses (a label), once claimed.</summary>
    public string? Account { get; init; }

    /// <summary>Waiting for quota: when the usage limit is over (its reset, clamped to a sane range).</summary>
    public DateTimeOffset? QuotaResetsAt { get; init; }

    /// <summary>Waiting for quota: when Konduktor continues it; null when the workspace turned automatic resumes off.</summary>
    public DateTimeOffset? ResumesAt { get; init; }

    /// <summary>How many times it waited for quota and went on (each run after the first continues the conversation).</summary>
    public int Continuations { get; init; }

    /// <summary>Not stored: what the person who just queued it should know (no runner can take it now, and why).</summary>
    public string? Notice { get; init; }

    public required string Version { get; init; }

    public string ShortId => Core.ShortId.Of(Id);

    public bool IsActive => SessionStates.IsActive(Status);
}

/// <summary>What Claude Code's final <c>result</c> event said.</summary>
public sealed record SessionOutcome
{
    public required string Subtype { get; init; }

    public required bool IsError { get; init; }

    public int? NumTurns { get; init; }

    public long? DurationMs { get; init; }

    /// <summary>This run's cost: what a task or an agent adds up. Never the conversation's total (a resume would count earlier runs again).</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>The whole conversation's cost so far, as Claude Code reports it (<c>total_cost_usd</c>, earlier runs included).</summary>
    public decimal? ConversationCostUsd { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public long CacheReadTokens { get; init; }

    public long CacheCreationTokens { get; init; }

    /// <summary>The agent's final text, shortened.</summary>
    public string? Result { get; init; }

    /// <summary>Why an error result ended the run (Claude Code's <c>errors</c>), shortened.</summary>
    public IReadOnlyList<string>? Errors { get; init; }

    /// <summary>The HTTP status of the API failure that ended the run, if one did.</summary>
    public int? ApiErrorStatus { get; init; }

    /// <summary>Tool calls Claude Code refused under the session's permission mode.</summary>
    public IReadOnlyList<PermissionDenial>? PermissionDenials { get; init; }

    /// <summary><c>success</c> with <c>is_error: true</c> is a failure too.</summary>
    public bool Succeeded => Subtype == "success" && !IsError;

    /// <summary>
    /// Fills in this run's cost when Claude Code reported only the conversation's total (versions before
    /// <c>model_usage_since_last_result</c>): the total less what the conversation had cost before this run.
    /// </summary>
    public SessionOutcome WithRunCost(decimal? earlierConversationCost) =>
        CostUsd is null && ConversationCostUsd is { } total ? this with { CostUsd = Math.Max(0, total - (earlierConversationCost ?? 0)) } : this;

    /// <summary>
    /// One agent process answered several turns (people spoke to it while it worked), a result each: the run ends as the
    /// last one says, and costs, tokens, turns and time are the sums of all.
    /// </summary>
    public SessionOutcome After(SessionOutcome earlier) => this with
    {
        NumTurns = Sum(NumTurns, earlier.NumTurns),
        DurationMs = Sum(DurationMs, earlier.DurationMs),
        CostUsd = CostUsd is null && earlier.CostUsd is null ? null : (CostUsd ?? 0) + (earlier.CostUsd ?? 0),
        InputTokens = InputTokens + earlier.InputTokens,
        OutputTokens = OutputTokens + earlier.OutputTokens,
        CacheReadTokens = CacheReadTokens + earlier.CacheReadTokens,
        CacheCreationTokens = CacheCreationTokens + earlier.CacheCreationTokens,
        PermissionDenials = earlier.PermissionDenials is not { Count: > 0 } ? PermissionDenials
            : PermissionDenials is not { Count: > 0 } ? earlier.PermissionDenials
            : [.. earlier.PermissionDenials.Concat(PermissionDenials).Distinct()],
    };

    private static T? Sum<T>(T? later, T? earlier)
        where T : struct, System.Numerics.INumber<T> =>
        later is null && earlier is null ? null : (later ?? T.Zero) + (earlier ?? T.Zero);

    /// <summary>Why the run failed, in Claude Code's words: its errors, else its result text; null when it says nothing.</summary>
    public string? Reason => Errors is { Count: > 0 } errors ? string.Join("; ", errors)
        : string.IsNullOrWhiteSpace(Result) ? null : Result;
}

/// <summary>A tool call Claude Code refused: the tool and the gist of what it was asked to do.</summary>
public sealed record PermissionDenial(string Tool, string? Input);

/// <summary>The life of a session: which changes are allowed, enforced here and nowhere else.</summary>
public static class SessionStates
{
    private static readonly Dictionary<SessionStatus, SessionStatus[]> Allowed = new()
    {
        [SessionStatus.Queued] = [SessionStatus.Claimed, SessionStatus.Failed, SessionStatus.Stopped],
        [SessionStatus.Claimed] = [SessionStatus.Running, SessionStatus.Failed, SessionStatus.Stopped, SessionStatus.Orphaned],
        [SessionStatus.Running] = [SessionStatus.Succeeded, SessionStatus.NeedsAttention, SessionStatus.Failed, SessionStatus.Stopped, SessionStatus.Orphaned, SessionStatus.WaitingForQuota],
        [SessionStatus.WaitingForQuota] = [SessionStatus.Queued, SessionStatus.Stopped, SessionStatus.Failed],
        [SessionStatus.Succeeded] = [],
        [SessionStatus.NeedsAttention] = [],
        [SessionStatus.Failed] = [],
        [SessionStatus.Stopped] = [],
        [SessionStatus.Orphaned] = [],
    };

    /// <summary>Not over yet: it holds its task (one active session per task). Waiting for quota counts: it continues.</summary>
    public static bool IsActive(SessionStatus status) => status is SessionStatus.Queued or SessionStatus.Claimed or SessionStatus.Running or SessionStatus.WaitingForQuota;

    /// <summary>A runner has it (its heartbeats must name it).</summary>
    public static bool OnRunner(SessionStatus status) => status is SessionStatus.Claimed or SessionStatus.Running;

    public static bool IsFinal(SessionStatus status) => !IsActive(status);

    public static bool CanMove(SessionStatus from, SessionStatus to) => Allowed[from].Contains(to);
}

/// <param name="Message">What to tell the agent as it picks up the conversation.</param>
public sealed record ResumeRequest(string? Message = null);
