using Konduktor.Core.Workspaces;

namespace Konduktor.Core.Sessions;

/// <summary>Everything a runner needs to run a session it has claimed. Given once, to the runner that won the claim.</summary>
public sealed record SessionJob
{
    public required Session Session { get; init; }

    public required string WorkspaceName { get; init; }

    /// <summary>What git clones: a URL or a path the runner can reach.</summary>
    public required string Repository { get; init; }

    public required string DefaultBranch { get; init; }

    public required string Branch { get; init; }

    public required string Prompt { get; init; }

    public required string SystemPrompt { get; init; }

    public required string PermissionMode { get; init; }

    public string? Model { get; init; }

    /// <summary>The Claude conversation to continue (<c>--resume</c>), for resume and auto-fix sessions.</summary>
    public string? ResumeClaudeSessionId { get; init; }

    /// <summary>
    /// For a resume whose conversation cannot be continued (its transcript is kept nowhere): the prompt of a fresh
    /// conversation on the same branch, with the task and what the earlier sessions said.
    /// </summary>
    public string? PromptWithoutConversation { get; init; }

    /// <summary>What the resumed conversation had cost before this session, for a Claude Code that reports only totals.</summary>
    public decimal? EarlierConversationCostUsd { get; init; }

    /// <summary>The agent's credential: this workspace only, valid until the session ends.</summary>
    public required string Token { get; init; }

    /// <summary>A scheduled agent's run: the worktree is reset to the default branch first, and nothing is pushed after.</summary>
    public bool FreshWorktree { get; init; }

    /// <summary>Claude Code's <c>--max-turns</c>, when set (scheduled agents).</summary>
    public int? MaxTurns { get; init; }

    /// <summary>Claude Code's <c>--max-budget-usd</c>, when set (scheduled agents).</summary>
    public decimal? MaxBudgetUsd { get; init; }

    /// <summary>The workspace's setup script: it wins over the repository's <c>.konduktor/setup</c>.</summary>
    public string? SetupScript { get; init; }

    /// <summary>The workspace's cleanup script: it wins over the repository's <c>.konduktor/cleanup</c>.</summary>
    public string? CleanupScript { get; init; }

    /// <summary>The workspace's secrets, as environment variables for the setup script and the agent (masked in everything shipped back).</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    /// <summary>Hosts (<c>host:port</c>) the workspace lets its agents reach besides Anthropic's API, Konduktor and the repository's remote.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>How long a setup may take before the session fails without starting the agent.</summary>
    public int SetupTimeoutMinutes { get; init; } = WorkspaceRules.DefaultSetupTimeoutMinutes;
}

/// <summary>A runner's report on a session it runs.</summary>
public sealed record SessionReport
{
    public required SessionStatus Status { get; init; }

    public string? ClaudeSessionId { get; init; }

    public int? ExitCode { get; init; }

    public string? Error { get; init; }

    public SessionOutcome? Outcome { get; init; }

    public long? LastSequence { get; init; }

    /// <summary>Commits the task branch has that its default branch lacks, once the runner pushed them (null: unknown).</summary>
    public int? CommitsAhead { get; init; }

    /// <summary>The task branch's head commit after the session, as pushed.</summary>
    public string? HeadCommit { get; init; }

    /// <summary>
    /// What Claude Code said of its account's usage limit: a warning or a lift while the agent runs, or the rejection
    /// a <c>waiting-for-quota</c> report ended on.
    /// </summary>
    public Quota.UsageLimit? UsageLimit { get; init; }
}

/// <summary>Filters for a session listing.</summary>
public sealed record SessionFilter
{
    public string? Task { get; init; }

    public SessionStatus? Status { get; init; }

    public int Limit { get; init; } = 50;
}

/// <summary>A job message a runner could not get claimed after many deliveries.</summary>
public sealed record PoisonedJob
{
    public required Guid WorkspaceId { get; init; }

    public required Guid SessionId { get; init; }

    public required long DequeueCount { get; init; }

    public required string MessageText { get; init; }

    public required string Reason { get; init; }
}

/// <summary>A runner's question: which column is each of these tasks in now?</summary>
public sealed record WorktreeTasks(IReadOnlyList<WorktreeTask> Tasks);

/// <param name="Status">The task's column; null when the task (or its workspace) no longer exists.</param>
public sealed record WorktreeTask(Guid WorkspaceId, Guid TaskId, string? Status = null);

/// <summary>An automatic fix kept on a task until its running session ends.</summary>
public sealed record PendingAutoFix(SessionKind Kind, string Prompt);
