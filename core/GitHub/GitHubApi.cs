using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Octokit;

namespace Konduktor.Core.GitHub;

/// <summary>Where GitHub's API is (tests point it at a local stand-in server).</summary>
public sealed record GitHubOptions(Uri ApiUrl)
{
    public static readonly Uri Default = new("https://api.github.com/");
}

/// <summary>A review comment as GitHub's API gives it, with the file line Octokit's own model leaves out.</summary>
public sealed class ReviewComment
{
    public string? Path { get; set; }

    public int? Line { get; set; }

    public int? OriginalLine { get; set; }

    public string? Body { get; set; }
}

/// <summary>A pull request as Konduktor keeps it on a task.</summary>
public sealed record PullRequestLink(int Number, string Url);

/// <summary>What the reconciler reads of a pull request: open, merged or closed since when, its head, checks and review.</summary>
public sealed record PullRequestStatus(int Number, string Url, bool Merged, bool Closed, DateTimeOffset Since, string Head, string? Checks, string? Review, IReadOnlyList<FailingCheck> FailingChecks);

/// <summary>The few GitHub API calls Konduktor makes, through Octokit, with the workspace's token when it has one.</summary>
public sealed class GitHubApi(WorkspaceService workspaces, GitHubOptions options, GitHubResponseCache cache)
{
    private static readonly string[] FailedConclusions = ["failure", "timed_out", "startup_failure", "cancelled", "action_required"];

    /// <summary>The failing check runs of a commit, with their summaries and first annotations, as lines for a prompt.</summary>
    public async Task<IReadOnlyList<string>> FailingChecksAsync(Workspace workspace, string headSha, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        var runs = await client.Check.Run.GetAllForReference(owner, name, headSha);
        var lines = new List<string>();
        foreach (var run in runs.CheckRuns.Where(r => r.Conclusion is { } c && FailedConclusions.Contains(c.StringValue)))
        {
            lines.Add($"- {run.Name}: {run.Conclusion?.StringValue}{(string.IsNullOrWhiteSpace(run.Output?.Title) ? "" : $" — {run.Output.Title}")}");
            if (!string.IsNullOrWhiteSpace(run.Output?.Summary))
            {
                lines.Add($"  {Shorten(run.Output.Summary, 1500).ReplaceLineEndings("\n  ")}");
            }

            var annotations = await client.Check.Run.GetAllAnnotations(owner, name, run.Id);
            lines.AddRange(annotations.Take(20).Select(a => $"  {a.Path}:{a.StartLine}: {a.AnnotationLevel?.StringValue} {Shorten(a.Message, 300)}"));
        }

        return lines;
    }

    /// <summary>Creates the repository's webhook pointing at this workspace (needs a token with admin:repo_hook).</summary>
    public async Task<long> RegisterWebhookAsync(Workspace workspace, string payloadUrl, string secret, IEnumerable<string> events, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        var config = new Dictionary<string, string> { ["url"] = payloadUrl, ["content_type"] = "json", ["secret"] = secret, ["insecure_ssl"] = "0" };
        var hook = await client.Repository.Hooks.Create(owner, name, new NewRepositoryHook("web", config) { Events = events.ToList(), Active = true });
        return hook.Id;
    }

    /// <summary>The open pull request whose head is <paramref name="branch"/> in the repository itself; null when there is none.</summary>
    public async Task<PullRequestLink?> FindOpenPullRequestAsync(Workspace workspace, string branch, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        var open = await client.PullRequest.GetAllForRepository(owner, name, new PullRequestRequest { State = ItemStateFilter.Open, Head = $"{owner}:{branch}" });
        return open.FirstOrDefault(p => p.Head.Ref == branch) is { } found ? new PullRequestLink(found.Number, found.HtmlUrl) : null;
    }

    /// <summary>Opens a pull request from the task branch into the default branch; when GitHub says one exists already, that one.</summary>
    public async Task<PullRequestLink> OpenPullRequestAsync(Workspace workspace, string branch, string title, string body, bool draft, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        try
        {
            var created = await client.PullRequest.Create(owner, name, new NewPullRequest(title, branch, workspace.DefaultBranch) { Body = body, Draft = draft });
            return new PullRequestLink(created.Number, created.HtmlUrl);
        }
        catch (ApiValidationException)
        {
            // Opened by someone else between our look and our create (the agent, another pass): that one is the task's.
            return await FindOpenPullRequestAsync(workspace, branch, ct) ?? throw new InvalidOperationException($"GitHub refused a pull request for {branch} and shows none open");
        }
    }

    /// <summary>A review and its inline comments, as lines for a prompt: the review's body, then each comment at file:line.</summary>
    public async Task<IReadOnlyList<string>> ReviewAsync(Workspace workspace, int number, long reviewId, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        var review = await client.PullRequest.Review.Get(owner, name, number, reviewId);
        // Octokit's review comment has no file line (GitHub's `line`), so this one call reads it into a model that does.
        var comments = (await client.Connection.Get<List<ReviewComment>>(new Uri($"repos/{owner}/{name}/pulls/{number}/reviews/{reviewId}/comments", UriKind.Relative), null)).Body;
        var lines = new List<string>();
        if (!string.IsNullOrWhiteSpace(review.Body))
        {
            lines.Add(Shorten(review.Body.Trim(), 4000));
        }

        lines.AddRange(comments.Take(50).Select(c => $"- {c.Path}:{c.Line ?? c.OriginalLine}: {Shorten(c.Body?.Trim(), 1000).ReplaceLineEndings("\n  ")}"));
        return lines;
    }

    /// <summary>Posts a review (approve, request changes, comment) on a pull request; its address on GitHub.</summary>
    public async Task<string> PostReviewAsync(Workspace workspace, int number, PullRequestReviewEvent verdict, string? body, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        var review = await client.PullRequest.Review.Create(owner, name, number, new PullRequestReviewCreate { Event = verdict, Body = body });
        return review.HtmlUrl;
    }

    /// <summary>Posts a comment on a pull request's conversation; its address on GitHub.</summary>
    public async Task<string> PostCommentAsync(Workspace workspace, int number, string body, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        return (await client.Issue.Comment.Create(owner, name, number, body)).HtmlUrl;
    }

    /// <summary>A pull request's state as the reconciler needs it (a conditional request: unchanged answers cost nothing).</summary>
    public async Task<(PullRequestStatus Status, RateLimit? Limit)> PullRequestStatusAsync(Workspace workspace, int number, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        var pull = await client.PullRequest.Get(owner, name, number);
        var (checks, failing) = await ChecksAsync(client, owner, name, pull.Head.Sha);
        var reviews = await client.PullRequest.Review.GetAll(owner, name, number);
        var decisive = reviews.Where(r => r.State.StringValue is "APPROVED" or "CHANGES_REQUESTED").OrderBy(r => r.SubmittedAt).LastOrDefault();
        var status = new PullRequestStatus(
            pull.Number, pull.HtmlUrl, pull.Merged, pull.State.StringValue == "closed", pull.MergedAt ?? pull.ClosedAt ?? pull.CreatedAt, pull.Head.Sha, checks,
            decisive?.State.StringValue.ToLowerInvariant(), failing);
        return (status, client.GetLastApiInfo()?.RateLimit);
    }

    /// <summary>pending, passing or failing, from the check runs of a commit (null when it has none), and the failing ones.</summary>
    private static async Task<(string? State, IReadOnlyList<FailingCheck> Failing)> ChecksAsync(GitHubClient client, string owner, string name, string sha)
    {
        var runs = (await client.Check.Run.GetAllForReference(owner, name, sha)).CheckRuns;
        var failing = runs.Where(r => r.Conclusion is { } c && FailedConclusions.Contains(c.StringValue)).Select(r => new FailingCheck(r.Name, r.HtmlUrl)).Take(20).ToList();
        var state = runs.Count == 0 ? null
            : runs.Any(r => r.Status.StringValue != "completed") ? "pending"
            : failing.Count > 0 ? "failing"
            : "passing";
        return (state, failing);
    }

    /// <summary>
    /// The repository's issues (never its pull requests, which GitHub lists with them): every open one with the label
    /// (or every open one) when <paramref name="since"/> is null, else every one changed since then, open or closed,
    /// oldest change first. Each page is a conditional request: an unchanged listing costs no rate limit.
    /// </summary>
    public async Task<(IReadOnlyList<IssueFacts> Issues, RateLimit? Limit)> IssuesAsync(Workspace workspace, string? label, DateTimeOffset? since, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        var request = new RepositoryIssueRequest
        {
            State = since is null ? ItemStateFilter.Open : ItemStateFilter.All,
            Since = since,
            SortProperty = IssueSort.Updated,
            SortDirection = SortDirection.Ascending,
        };
        if (since is null && label is not null)
        {
            request.Labels.Add(label);
        }

        var issues = await client.Issue.GetAllForRepository(owner, name, request, new ApiOptions { PageSize = 100 });
        var facts = issues.Where(i => i.PullRequest is null).Select(i => new IssueFacts(
            i.Number, i.Title ?? "", i.Body, i.Labels.Select(l => l.Name).ToList(), i.State.StringValue == "open", i.HtmlUrl, i.UpdatedAt ?? i.CreatedAt)).ToList();
        return (facts, client.GetLastApiInfo()?.RateLimit);
    }

    /// <summary>The comments on an issue made since a moment (a conditional request: unchanged answers cost nothing).</summary>
    public async Task<IReadOnlyList<IssueComment>> IssueCommentsAsync(Workspace workspace, int issue, DateTimeOffset since, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        var comments = await client.Issue.Comment.GetAllForIssue(owner, name, issue, new IssueCommentRequest { Since = since });
        return comments.Select(c => new IssueComment(issue, c.Id, c.User?.Login ?? "", c.Body ?? "", c.CreatedAt)).ToList();
    }

    /// <summary>Whether a GitHub user may write to the workspace's repository (admin, maintain or write).</summary>
    public async Task<bool> MayWriteAsync(Workspace workspace, string login, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        try
        {
            var permission = await client.Repository.Collaborator.ReviewPermission(owner, name, login);
            return permission.Permission is "admin" or "maintain" or "write";
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    /// <summary>GitHub computes mergeability lazily: null means "not known yet, ask again shortly".</summary>
    public async Task<bool?> MergeableAsync(Workspace workspace, int number, CancellationToken ct)
    {
        var (owner, name, client) = await ClientAsync(workspace, ct);
        return (await client.PullRequest.Get(owner, name, number)).Mergeable;
    }

    private async Task<(string Owner, string Name, GitHubClient Client)> ClientAsync(Workspace workspace, CancellationToken ct)
    {
        var parts = (workspace.GitHubRepository ?? throw new InvalidOperationException($"workspace {workspace.Name} is not a GitHub repository")).Split('/');
        var client = new GitHubClient(new ProductHeaderValue("konduktor"), options.ApiUrl) { ResponseCache = cache };
        if (await workspaces.GitHubTokenAsync(workspace.Id, ct) is { } token)
        {
            client.Credentials = new Credentials(token);
        }

        return (parts[0], parts[1], client);
    }

    private static string Shorten(string? text, int max) => text is null ? "" : text.Length <= max ? text : text[..max] + "…";
}
