namespace Konduktor.Core.Tasks;

/// <summary>The unit of work, like an issue. Its status is the board column it sits in.</summary>
public sealed record TaskItem
{
    public required Guid Id { get; init; }

    public required Guid WorkspaceId { get; init; }

    public required string Title { get; init; }

    /// <summary>Markdown; null in listings, where only <see cref="DescriptionLength"/> is given.</summary>
    public string? Description { get; init; }

    public required int DescriptionLength { get; init; }

    public required string Status { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    public required Priority Priority { get; init; }

    /// <summary>Position within the column: the board orders cards by it, ascending.</summary>
    public required double Rank { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Who created the task: a person, or an agent's session (e.g. <c>agent ideator (session 5e1f0a2b)</c>).</summary>
    public string? CreatedBy { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When the task last moved to another column (null if it never moved).</summary>
    public DateTimeOffset? StatusChangedAt { get; init; }

    /// <summary>The storage ETag: send it back (If-Match) to update only if nobody changed the task since.</summary>
    public required string Version { get; init; }

    public string? Branch { get; init; }

    /// <summary>The task's most recent session (the board shows its state on the card).</summary>
    public SessionSummary? LatestSession { get; init; }

    public int SessionCount { get; init; }

    /// <summary>The Claude conversation a resume continues; null until a session has started one.</summary>
    public string? ClaudeSessionId { get; init; }

    public int? PullRequestNumber { get; init; }

    public string? PullRequestUrl { get; init; }

    /// <summary>The pull request's checks on its head commit: pending, passing or failing.</summary>
    public string? ChecksState { get; init; }

    /// <summary>The pull request's latest decisive review: approved or changes_requested.</summary>
    public string? ReviewState { get; init; }

    /// <summary>The failing checks of the pull request's head commit, with links (read with the task, not on the board).</summary>
    public IReadOnlyList<FailingCheck>? FailingChecks { get; init; }

    /// <summary>Something Konduktor wants the person to see (e.g. why automatic fixes stopped).</summary>
    public string? Note { get; init; }

    public Guid? ProjectId { get; init; }

    public Guid? PhaseId { get; init; }

    /// <summary>On the board and when read alone: why the task may not run yet (its project phase has not opened, or it waits for unfinished tasks); null when it may.</summary>
    public string? Blocked { get; init; }

    /// <summary>The tasks this one waits for: it may run once each is Done (a deleted one no longer counts).</summary>
    public IReadOnlyList<Guid> BlockedBy { get; init; } = [];

    /// <summary>On the board and when read alone: the blockers that are not Done yet, with their titles and columns.</summary>
    public IReadOnlyList<TaskBlocker>? Blockers { get; init; }

    /// <summary>The task starts by itself once nothing it waits for is unfinished (once: any run of it clears this).</summary>
    public bool AutoRun { get; init; }

    /// <summary>The repository's issue the task was made from (and follows while the workspace follows issues).</summary>
    public int? IssueNumber { get; init; }

    public string? IssueUrl { get; init; }

    public decimal CostUsd { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    /// <summary>Its session waits for quota: when the account's usage limit is over.</summary>
    public DateTimeOffset? QuotaResetsAt { get; init; }

    /// <summary>Its session waits for quota: when Konduktor continues it; null when only a person will (automatic resumes are off).</summary>
    public DateTimeOffset? ResumesAt { get; init; }

    /// <summary>What the task may spend over all its sessions; null: the workspace's default (if any).</summary>
    public decimal? BudgetUsd { get; init; }

    public string ShortId => Core.ShortId.Of(Id);
}

/// <param name="Status">queued, running, succeeded, … (the session's status, camel case).</param>
/// <param name="Active">Whether it is still queued, claimed or running.</param>
/// <param name="Error">Why it failed (or was stopped, or lost), when it did.</param>
/// <param name="Since">On the board, while it is active: when its agent started (or its runner took it).</param>
/// <param name="Activity">On the board, while it is active: what its agent is doing, in one line (the tool it uses, or its last words).</param>
/// <param name="ActivityAt">When <paramref name="Activity"/> was seen.</param>
public sealed record SessionSummary(Guid Id, string Status, bool Active, string? Error = null, DateTimeOffset? Since = null, string? Activity = null, DateTimeOffset? ActivityAt = null);

/// <summary>What a person or an agent gives to create a task.</summary>
public sealed record NewTask
{
    public required string Title { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }

    public Priority? Priority { get; init; }

    public string? Status { get; init; }

    /// <summary>A project (id or prefix) to put the task in, with <see cref="Phase"/>.</summary>
    public string? Project { get; init; }

    /// <summary>The project's phase, from 1.</summary>
    public int? Phase { get; init; }

    /// <summary>Tasks (ids or prefixes) of the workspace the new task waits for.</summary>
    public IReadOnlyList<string>? BlockedBy { get; init; }

    /// <summary>Start by itself once nothing it waits for is unfinished.</summary>
    public bool? AutoRun { get; init; }
}

/// <summary>A partial update: fields left null stay as they are.</summary>
public sealed record TaskChanges
{
    public string? Title { get; init; }

    public string? Description { get; init; }

    /// <summary>Replaces all tags.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    public IReadOnlyList<string>? AddTags { get; init; }

    public IReadOnlyList<string>? RemoveTags { get; init; }

    public Priority? Priority { get; init; }

    public string? Status { get; init; }

    /// <summary>The card's place in its column (the board sends the midpoint of its new neighbours).</summary>
    public double? Rank { get; init; }

    /// <summary>Move the task into this project (with <see cref="Phase"/>); "" takes it out of its project.</summary>
    public string? Project { get; init; }

    public int? Phase { get; init; }

    /// <summary>What the task may spend over all its sessions, in US dollars; 0 goes back to the workspace's default. A person's call, never an agent's.</summary>
    public decimal? BudgetUsd { get; init; }

    /// <summary>Replaces the tasks (ids or prefixes) this one waits for; empty: it waits for none.</summary>
    public IReadOnlyList<string>? BlockedBy { get; init; }

    /// <summary>Start by itself once nothing it waits for is unfinished (at once if nothing is), or not.</summary>
    public bool? AutoRun { get; init; }
}

/// <summary>Filters for a task listing; all optional, combined with AND.</summary>
public sealed record TaskFilter
{
    public string? Status { get; init; }

    public string? Tag { get; init; }

    public Priority? Priority { get; init; }

    /// <summary>Case-insensitive text found in the title or the short id.</summary>
    public string? Text { get; init; }
}

/// <summary>The board: every column in order, each with its tasks in rank order.</summary>
/// <param name="AccountLimits">The Claude accounts at, or close to, their usage limit now: the board says so above the columns.</param>
/// <param name="Cursor">Where the workspace's change feed was when the board was read: follow it from there.</param>
public sealed record Board(Guid WorkspaceId, string WorkspaceName, IReadOnlyList<BoardColumn> Columns, IReadOnlyList<Quota.AccountLimit>? AccountLimits = null, string? Cursor = null);

public sealed record BoardColumn(string Name, IReadOnlyList<TaskItem> Tasks);

/// <summary>A check run that failed on a pull request's head commit.</summary>
public sealed record FailingCheck(string Name, string Url);

/// <param name="Rank">Where in the column (see <see cref="TaskChanges.Rank"/>); default: the end of a new column, unchanged in the same one.</param>
public sealed record MoveRequest(string Status, double? Rank = null);
