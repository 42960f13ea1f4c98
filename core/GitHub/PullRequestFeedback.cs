namespace Konduktor.Core.GitHub;

/// <summary>A review to post on one of the workspace's pull requests.</summary>
public sealed record NewPullRequestReview
{
    /// <summary><c>approve</c>, <c>request-changes</c> or <c>comment</c>.</summary>
    public required string Verdict { get; init; }

    /// <summary>The findings, in markdown (required unless it approves).</summary>
    public string? Body { get; init; }
}

/// <summary>A comment to post on one of the workspace's pull requests.</summary>
public sealed record NewPullRequestComment
{
    public required string Body { get; init; }
}

/// <summary>A task's pull request, opened through Konduktor with the agent's (or person's) own title and description.</summary>
public sealed record NewTaskPullRequest
{
    public required string Title { get; init; }

    /// <summary>What changed and how it was tested, in markdown; Konduktor adds a line linking the task.</summary>
    public string? Body { get; init; }
}

/// <summary>What was posted on GitHub (a review, a comment, a pull request) and where to see it.</summary>
public sealed record PostedOnGitHub(int Number, string Kind, string Url);
