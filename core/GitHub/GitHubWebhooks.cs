using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Octokit.Webhooks;
using Octokit.Webhooks.Events;
using Octokit.Webhooks.Events.PullRequest;

namespace Konduktor.Core.GitHub;

/// <summary>What a delivery did (or why it did nothing): GitHub shows it in the repository's webhook log.</summary>
public sealed record WebhookOutcome(string Result);

/// <summary>A delivery's workspace and headers, known before its body is read; <paramref name="Signature"/> is the expected HMAC.</summary>
public sealed record WebhookTarget(Workspace Workspace, string Secret, byte[] Signature, string Delivery, string Event);

/// <summary>
/// GitHub webhook deliveries for one workspace: the signature is checked (with the workspace's own secret) before
/// anything in the delivery is trusted, each delivery id has an effect at most once (a conditional insert), and
/// typed events from Octokit.Webhooks move tasks with their pull requests.
/// </summary>
public sealed class GitHubWebhooks(WorkspaceService workspaces, TaskService tasks, IssueFollowing issues, QuestionMirror mirror, GitHubWork work, StorageClients storage, TimeProvider clock, ILogger<GitHubWebhooks> logger)
{
    public const int MaxBodyBytes = 25 * 1024 * 1024;

    /// <summary>The events a workspace's webhook should send; others are acknowledged and not even parsed.</summary>
    public static readonly IReadOnlySet<string> UsedEvents = new HashSet<string>(StringComparer.Ordinal) { "pull_request", "check_suite", "workflow_run", "push", "pull_request_review", "issues", "issue_comment" };

    /// <summary>
    /// Whose delivery is it, before a byte of its body is read: the workspace, its secret, the signature, the delivery id
    /// and event. A delivery for no workspace, or without these headers, is refused here.
    /// </summary>
    public async Task<Result<WebhookTarget>> TargetAsync(string workspaceId, IDictionary<string, StringValues> headers, CancellationToken ct)
    {
        if (!Guid.TryParse(workspaceId, out var id) || await workspaces.FindByIdAsync(id, ct) is not { } workspace)
        {
            return new NotFound($"no workspace matches '{ShortId.Shorten(workspaceId)}': use the payload URL `konduktor workspaces webhook` prints");
        }

        if (!SignedDeliveryReader.ExpectedSignature(Header(headers, "X-Hub-Signature-256")).TryGet(out var signature, out var failure))
        {
            return failure;
        }

        var secret = await workspaces.WebhookSecretAsync(workspace.Id, ct);
        if (string.IsNullOrEmpty(secret))
        {
            return new Unauthorized("this workspace has no webhook secret; nothing was done");
        }

        var delivery = Header(headers, "X-GitHub-Delivery");
        var eventName = Header(headers, "X-GitHub-Event");
        if (string.IsNullOrWhiteSpace(delivery) || delivery.Length > 100 || string.IsNullOrWhiteSpace(eventName) || eventName.Length > 100)
        {
            return new Invalid("the delivery has no X-GitHub-Delivery or X-GitHub-Event header");
        }

        return new WebhookTarget(workspace, secret, signature, delivery, eventName);
    }

    /// <summary>
    /// A delivery whose signature matched: it has an effect at most once — recognised by its delivery id and by its
    /// body's hash, so a signed body replayed under a new delivery id does nothing again.
    /// </summary>
    public async Task<Result<WebhookOutcome>> ReceiveAsync(WebhookTarget target, IDictionary<string, StringValues> headers, SignedDelivery verified, CancellationToken ct)
    {
        var (workspace, delivery, eventName) = (target.Workspace, target.Delivery, target.Event);
        if (!UsedEvents.Contains(eventName))
        {
            return new WebhookOutcome($"ignored: Konduktor does not use {eventName} events");
        }

        var deliveries = await storage.Table(TableNames.WebhookDeliveries);
        var partition = ShortId.Format(workspace.Id);
        var now = clock.GetUtcNow();
        TableTransactionAction[] seen =
        [
            new(TableTransactionActionType.Add, new TableEntity(partition, SafeKey(delivery)) { ["Event"] = eventName, ["ReceivedAt"] = now }),
            new(TableTransactionActionType.Add, new TableEntity(partition, "body-" + verified.Sha256) { ["Event"] = eventName, ["Delivery"] = SafeKey(delivery), ["ReceivedAt"] = now }),
        ];
        try
        {
            await deliveries.SubmitTransactionAsync(seen, ct);
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            return new WebhookOutcome($"delivery {delivery} (or the same payload under another delivery id) was already processed; nothing done again");
        }

        try
        {
            var processor = new Processor(this, workspace);
            await processor.ProcessWebhookAsync(headers, new ReadOnlyMemory<byte>(verified.Body), ct);
            logger.LogInformation("GitHub {Event} delivery {Delivery} for workspace {Workspace}: {Result}", eventName, delivery, workspace.Name, processor.Result);
            return new WebhookOutcome(processor.Result);
        }
        catch (JsonException e)
        {
            await ForgetAsync(deliveries, seen);
            return new Invalid($"the {eventName} payload is not valid JSON of that event's shape{(e.Path is null ? "" : $" (at {e.Path})")}");
        }
        catch
        {
            // Not done: GitHub's redelivery must be able to try again.
            await ForgetAsync(deliveries, seen);
            throw;
        }
    }

    private static async Task ForgetAsync(TableClient deliveries, IEnumerable<TableTransactionAction> seen)
    {
        foreach (var action in seen)
        {
            await deliveries.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All, CancellationToken.None);
        }
    }

    private async Task<string> PullRequestAsync(Workspace workspace, PullRequestEvent pullRequest, CancellationToken ct)
    {
        if (!IsWorkspaceRepository(workspace, pullRequest.Repository?.FullName))
        {
            return $"ignored: {pullRequest.Repository?.FullName} is not this workspace's repository";
        }

        var branch = pullRequest.PullRequest.Head.Ref;
        if (SessionPrompts.TaskShortIdOf(branch) is not { } shortId)
        {
            return $"ignored: branch {branch} is not a task's";
        }

        string? status = pullRequest.Action switch
        {
            PullRequestActionValue.Opened or PullRequestActionValue.Reopened or PullRequestActionValue.ReadyForReview => BoardColumns.PrSubmitted,
            PullRequestActionValue.Closed when pullRequest.PullRequest.Merged == true || pullRequest.PullRequest.MergedAt is not null => BoardColumns.Done,
            PullRequestActionValue.Closed => BoardColumns.Closed,
            _ => null,
        };
        var happenedAt = pullRequest.PullRequest.ClosedAt ?? pullRequest.PullRequest.UpdatedAt;
        var (result, _) = await tasks.ApplyPullRequestAsync(workspace, shortId, new PullRequestFacts((int)pullRequest.PullRequest.Number, pullRequest.PullRequest.HtmlUrl, status, happenedAt, pullRequest.PullRequest.Head.Sha), ct);
        if (pullRequest.Action == PullRequestActionValue.Synchronize)
        {
            result += "; " + (workspace.Config.AutoFixConflicts
                ? await QueueAsync(new GitHubWorkItem(GitHubWorkKind.PullRequestUpdated, workspace.Id, Branch: branch, Sha: pullRequest.PullRequest.Base.Sha), ct)
                : "auto-fix of merge conflicts is off");
        }

        return result;
    }

    /// <summary>The slow part (GitHub calls, sessions) goes to the work queue: a webhook answers GitHub at once.</summary>
    private async Task<string> QueueAsync(GitHubWorkItem item, CancellationToken ct)
    {
        await work.EnqueueAsync(item, ct);
        return $"queued: {Json.KonduktorJson.Name(item.Kind)}";
    }

    private static bool IsWorkspaceRepository(Workspace workspace, string? fullName) =>
        fullName is not null && string.Equals(workspace.GitHubRepository, fullName, StringComparison.OrdinalIgnoreCase);

    private static string? Header(IDictionary<string, StringValues> headers, string name) =>
        headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value.ToString() is { Length: > 0 } value ? value : null;

    private static string SafeKey(string delivery) => string.Concat(delivery.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-'));


    private async Task<string> IssueAsync(Workspace workspace, IssuesEvent issuesEvent, CancellationToken ct)
    {
        if (!IsWorkspaceRepository(workspace, issuesEvent.Repository?.FullName))
        {
            return $"ignored: {issuesEvent.Repository?.FullName} is not this workspace's repository";
        }

        var issue = issuesEvent.Issue;
        var facts = new IssueFacts((int)issue.Number, issue.Title ?? "", issue.Body, issue.Labels?.Select(l => l.Name).ToList() ?? [],
            issuesEvent.Action is not ("closed" or "deleted") && !string.Equals(issue.State?.StringValue, "closed", StringComparison.OrdinalIgnoreCase), issue.HtmlUrl, issue.UpdatedAt);
        return (await issues.ApplyAsync(workspace, facts, ct)).Outcome;
    }

    private async Task<string> IssueCommentAsync(Workspace workspace, IssueCommentEvent commentEvent, CancellationToken ct)
    {
        if (!IsWorkspaceRepository(workspace, commentEvent.Repository?.FullName))
        {
            return $"ignored: {commentEvent.Repository?.FullName} is not this workspace's repository";
        }

        if (commentEvent.Action != "created")
        {
            return $"ignored: a comment {commentEvent.Action}, not created";
        }

        var comment = commentEvent.Comment;
        return await mirror.AnswerAsync(workspace, new IssueComment((int)commentEvent.Issue.Number, comment.Id, comment.User.Login, comment.Body ?? "", comment.CreatedAt), ct);
    }

    /// <summary>Octokit.Webhooks' one processor: typed events in, a sentence about what happened out.</summary>
    private sealed class Processor(GitHubWebhooks webhooks, Workspace workspace) : WebhookEventProcessor
    {
        public string Result { get; private set; } = "ignored: Konduktor does not use this event";

        protected override async ValueTask ProcessPullRequestWebhookAsync(WebhookHeaders headers, PullRequestEvent pullRequestEvent, PullRequestAction action, CancellationToken cancellationToken = default) =>
            Result = await webhooks.PullRequestAsync(workspace, pullRequestEvent, cancellationToken);

        protected override async ValueTask ProcessIssuesWebhookAsync(WebhookHeaders headers, IssuesEvent issuesEvent, Octokit.Webhooks.Events.Issues.IssuesAction action, CancellationToken cancellationToken = default) =>
            Result = await webhooks.IssueAsync(workspace, issuesEvent, cancellationToken);

        protected override async ValueTask ProcessIssueCommentWebhookAsync(WebhookHeaders headers, IssueCommentEvent issueCommentEvent, Octokit.Webhooks.Events.IssueComment.IssueCommentAction action, CancellationToken cancellationToken = default) =>
            Result = await webhooks.IssueCommentAsync(workspace, issueCommentEvent, cancellationToken);

        protected override async ValueTask ProcessCheckSuiteWebhookAsync(WebhookHeaders headers, CheckSuiteEvent checkSuiteEvent, Octokit.Webhooks.Events.CheckSuite.CheckSuiteAction action, CancellationToken cancellationToken = default)
        {
            var suite = checkSuiteEvent.CheckSuite;
            Result = !IsWorkspaceRepository(workspace, checkSuiteEvent.Repository?.FullName) ? "ignored: not this workspace's repository"
                : checkSuiteEvent.Action != "completed" || suite.Conclusion?.StringValue is not ("failure" or "timed_out" or "startup_failure") ? "ignored: not a failed check suite"
                : !workspace.Config.AutoFixCi ? "ignored: auto-fix of CI failures is off for this workspace"
                : await webhooks.QueueAsync(new GitHubWorkItem(GitHubWorkKind.CiFailed, workspace.Id, Branch: suite.HeadBranch ?? "", Sha: suite.HeadSha, Detail: $"check suite ({suite.Conclusion?.StringValue})"), cancellationToken);
        }

        protected override async ValueTask ProcessWorkflowRunWebhookAsync(WebhookHeaders headers, WorkflowRunEvent workflowRunEvent, Octokit.Webhooks.Events.WorkflowRun.WorkflowRunAction action, CancellationToken cancellationToken = default)
        {
            var run = workflowRunEvent.WorkflowRun;
            Result = !IsWorkspaceRepository(workspace, workflowRunEvent.Repository?.FullName) ? "ignored: not this workspace's repository"
                : workflowRunEvent.Action != "completed" || run.Conclusion?.StringValue != "failure" ? "ignored: not a failed workflow run"
                : !workspace.Config.AutoFixCi ? "ignored: auto-fix of CI failures is off for this workspace"
                : await webhooks.QueueAsync(new GitHubWorkItem(GitHubWorkKind.CiFailed, workspace.Id, Branch: run.HeadBranch ?? "", Sha: run.HeadSha, Detail: $"workflow {run.Name} (failure)"), cancellationToken);
        }

        protected override async ValueTask ProcessPushWebhookAsync(WebhookHeaders headers, PushEvent pushEvent, CancellationToken cancellationToken = default) =>
            Result = !IsWorkspaceRepository(workspace, pushEvent.Repository?.FullName) ? "ignored: not this workspace's repository"
                : pushEvent.Ref != $"refs/heads/{workspace.DefaultBranch}" || pushEvent.Deleted ? $"ignored: a push to {pushEvent.Ref}, not to {workspace.DefaultBranch}"
                : !workspace.Config.AutoFixConflicts ? "ignored: auto-fix of merge conflicts is off for this workspace"
                : await webhooks.QueueAsync(new GitHubWorkItem(GitHubWorkKind.BaseMoved, workspace.Id, Sha: pushEvent.After), cancellationToken);

        protected override async ValueTask ProcessPullRequestReviewWebhookAsync(WebhookHeaders headers, PullRequestReviewEvent reviewEvent, Octokit.Webhooks.Events.PullRequestReview.PullRequestReviewAction action, CancellationToken cancellationToken = default)
        {
            var review = reviewEvent.Review;
            Result = !IsWorkspaceRepository(workspace, reviewEvent.Repository?.FullName) ? "ignored: not this workspace's repository"
                : reviewEvent.Action != "submitted" || !string.Equals(review.State?.StringValue, "changes_requested", StringComparison.OrdinalIgnoreCase) ? "ignored: not a review requesting changes"
                : !workspace.Config.AutoFixReviews ? "ignored: auto-fix of review feedback is off for this workspace"
                : await webhooks.QueueAsync(new GitHubWorkItem(GitHubWorkKind.ChangesRequested, workspace.Id, Branch: reviewEvent.PullRequest.Head.Ref, Sha: review.CommitId,
                    Number: (int)reviewEvent.PullRequest.Number, ReviewId: review.Id), cancellationToken);
        }
    }
}
