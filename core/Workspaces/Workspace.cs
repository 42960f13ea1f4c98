namespace Konduktor.Core.Workspaces;

/// <summary>A repository Konduktor works on, with its board columns and the agents' configuration.</summary>
public sealed record Workspace
{
    public required Guid Id { get; init; }

    public required string Name { get; init; }

    public required string Repository { get; init; }

    public string? GitHubRepository { get; init; }

    public required string DefaultBranch { get; init; }

    public required IReadOnlyList<string> Columns { get; init; }

    public required WorkspaceConfig Config { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The storage ETag: pass it back to update only if nobody changed the workspace since.</summary>
    public required string Version { get; init; }

    public string ShortId => Core.ShortId.Of(Id);

    /// <summary>The column a name refers to (case-insensitive), as the board spells it.</summary>
    public string? FindColumn(string name) =>
        Columns.FirstOrDefault(c => string.Equals(c, name.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>How the workspace's agents work.</summary>
public sealed record WorkspaceConfig
{
    public required string SystemPrompt { get; init; }

    public required bool AutoFixConflicts { get; init; }

    public required bool AutoFixCi { get; init; }

    /// <summary>A review requesting changes on a task's PR resumes the agent with the review (off unless turned on).</summary>
    public bool AutoFixReviews { get; init; }

    /// <summary>Claude Code's <c>--permission-mode</c> for this workspace's agents.</summary>
    public required string PermissionMode { get; init; }

    /// <summary>Claude Code's <c>--model</c>; null for Claude Code's own default.</summary>
    public string? Model { get; init; }

    /// <summary>Whether a GitHub token is configured (the token itself is never shown).</summary>
    public bool GitHubTokenSet { get; init; }

    public int AutoFixLimit { get; init; } = WorkspaceRules.DefaultAutoFixLimit;

    /// <summary>Who opens a task's pull request: konduktor, agent or off (<see cref="WorkspaceRules.PullRequestModes"/>).</summary>
    public string PullRequests { get; init; } = WorkspaceRules.DefaultPullRequestMode;

    /// <summary>Runs in each worktree before its agent (wins over the repository's <c>.konduktor/setup</c>).</summary>
    public string? SetupScript { get; init; }

    /// <summary>Runs in a worktree before it is removed (wins over the repository's <c>.konduktor/cleanup</c>).</summary>
    public string? CleanupScript { get; init; }

    public int SetupTimeoutMinutes { get; init; } = WorkspaceRules.DefaultSetupTimeoutMinutes;

    /// <summary>A session that stopped at its account's usage limit continues by itself after the reset (else a person resumes it).</summary>
    public bool AutoResume { get; init; } = true;

    /// <summary>What a task may spend over all its sessions, unless the task says otherwise; null: no limit.</summary>
    public decimal? TaskBudgetUsd { get; init; }

    /// <summary>What the workspace's sessions may spend in a day (UTC); null: no limit.</summary>
    public decimal? DailyBudgetUsd { get; init; }

    /// <summary>Hosts (<c>host:port</c>) its agents may reach besides Anthropic's API, Konduktor and the repository's remote.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>
    /// Where a task goes when its session left commits and no pull request can be opened (not on GitHub, no token,
    /// pull requests off); null: it stays where it is, with a note on its card saying why.
    /// </summary>
    public string? WithoutPullRequest { get; init; }

    /// <summary>
    /// Which open issues of the repository become tasks: null none, <see cref="WorkspaceRules.AllIssues"/> every one,
    /// otherwise those with this label.
    /// </summary>
    public string? FollowIssues { get; init; }

    /// <summary>A question an agent asks about a task made from an issue is also asked on the issue, and answered there.</summary>
    public bool MirrorQuestions { get; init; }
}
