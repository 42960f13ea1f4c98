namespace Konduktor.Core.Changes;

/// <summary>
/// What a task's branch changes against its base, as its runner saw it after the latest session: the files with their
/// lines added and removed, the commits (with their trailers), and the unified diff, cut at
/// <see cref="ChangeSetRules.MaxDiffChars"/> with <see cref="Truncated"/> set.
/// </summary>
public sealed record ChangeSet
{
    public required string Branch { get; init; }

    /// <summary>The branch it is compared with (the workspace's default branch).</summary>
    public required string Base { get; init; }

    /// <summary>Where the branch left the base (their merge base): the diff is from here.</summary>
    public required string BaseCommit { get; init; }

    public required string HeadCommit { get; init; }

    public required IReadOnlyList<ChangedFile> Files { get; init; }

    /// <summary>Oldest first.</summary>
    public required IReadOnlyList<ChangeCommit> Commits { get; init; }

    /// <summary><c>git diff</c> of the base and the head, without colour; cut when longer than the limit.</summary>
    public required string Diff { get; init; }

    public bool Truncated { get; init; }

    /// <summary>More files than listed (the list is cut at <see cref="ChangeSetRules.MaxFiles"/>).</summary>
    public int MoreFiles { get; init; }

    /// <summary>The session after which the runner made it.</summary>
    public Guid? SessionId { get; init; }

    public DateTimeOffset? At { get; init; }

    public int Added => Files.Sum(f => f.Added ?? 0);

    public int Removed => Files.Sum(f => f.Removed ?? 0);
}

/// <param name="Added">Lines added; null for a binary file.</param>
/// <param name="OldPath">Where a renamed file was before.</param>
public sealed record ChangedFile(string Path, int? Added = null, int? Removed = null, string? OldPath = null);

/// <param name="Trailers">The commit message's trailers ("Co-authored-by: …", "Konduktor-Task: …"), one per entry.</param>
public sealed record ChangeCommit(string Sha, string Author, DateTimeOffset At, string Subject, IReadOnlyList<string> Trailers);

/// <summary>The limits a change set keeps to: what a runner sends and what Konduktor accepts.</summary>
public static class ChangeSetRules
{
    public const int MaxDiffChars = 1_000_000;
    public const int MaxFiles = 3_000;
    public const int MaxCommits = 500;
    public const int MaxTextChars = 4_096;
}
