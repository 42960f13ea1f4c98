using Polly;
using Polly.Retry;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Json;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.GitHub;

/// <summary>
/// Keeps task PRs green and mergeable when the workspace asks for it: a failed CI run or a conflict with the base
/// branch starts a session that resumes the task's conversation with what went wrong — once per commit, never on
/// a closed PR, after any running session, and at most the workspace's limit in a row.
/// </summary>
public sealed class AutoFix(TaskService tasks, SessionStarts sessions, GitHubApi gitHub, StorageClients storage, ILogger<AutoFix> logger)
{
    private static readonly Principal Konduktor = Principal.Konduktor("auto-fix");

    public async Task<string> CiFailedAsync(Workspace workspace, string branch, string headSha, string checkName, CancellationToken ct)
    {
        if (!workspace.Config.AutoFixCi)
        {
            return "ignored: auto-fix of CI failures is off for this workspace";
        }

        if (await OpenTaskPrAsync(workspace, branch, ct) is not { } task)
        {
            return $"ignored: {branch} is not an open task pull request";
        }

        if (!await FirstTimeAsync(workspace, $"ci-{task.Id:N}-{headSha}", ct))
        {
            return $"ignored: CI failure of {headSha[..Math.Min(7, headSha.Length)]} already handled";
        }

        IReadOnlyList<string> details;
        try
        {
            details = await gitHub.FailingChecksAsync(workspace, headSha, ct);
        }
        catch (Exception e) when (e is Octokit.ApiException or HttpRequestException)
        {
            logger.LogWarning("Could not read the checks of {Sha} from GitHub: {Reason}", headSha, e.Message);
            details = [];
        }

        var prompt = $"""
            CI failed on your pull request #{task.PullRequestNumber} ({branch}) at commit {headSha}.
            Failing: {checkName}
            {(details.Count == 0 ? "(GitHub's API gave no more detail.)" : string.Join('\n', details))}

            Find the cause, fix it, run the tests, then commit and push to {branch}.
            """;
        return await sessions.StartAutoFixAsync(Konduktor, workspace, task.Id, SessionKind.AutoFixCi, prompt, workspace.Config.AutoFixLimit, ct);
    }

    /// <summary>The base branch moved: any open task PR that no longer merges gets a session to merge and resolve.</summary>
    public async Task<string> BaseMovedAsync(Workspace workspace, string baseSha, CancellationToken ct)
    {
        if (!workspace.Config.AutoFixConflicts)
        {
            return "ignored: auto-fix of merge conflicts is off for this workspace";
        }

        var results = new List<string>();
        var open = (await tasks.ListAsync(Konduktor, ShortId.Format(workspace.Id), new TaskFilter { Status = BoardColumns.PrSubmitted }, ct)).Value ?? [];
        foreach (var task in open.Where(t => t.PullRequestNumber is not null))
        {
            if (await ConflictAsync(workspace, task, baseSha, ct) is { } started)
            {
                results.Add(started);
            }
        }

        return results.Count == 0 ? "no task pull request conflicts with the new base" : string.Join("; ", results);
    }

    /// <summary>A reviewer requested changes on a task's PR: one session resumes the conversation with the review and its comments.</summary>
    public async Task<string> ChangesRequestedAsync(Workspace workspace, string branch, int number, long reviewId, string headSha, CancellationToken ct)
    {
        if (!workspace.Config.AutoFixReviews)
        {
            return "ignored: auto-fix of review feedback is off for this workspace";
        }

        if (await OpenTaskPrAsync(workspace, branch, ct) is not { } task || task.PullRequestNumber != number)
        {
            return $"ignored: #{number} ({branch}) is not an open task pull request";
        }

        if (!await FirstTimeAsync(workspace, $"review-{task.Id:N}-{headSha}", ct))
        {
            return $"ignored: review feedback on {headSha[..Math.Min(7, headSha.Length)]} already handled";
        }

        var review = await gitHub.ReviewAsync(workspace, number, reviewId, ct);
        var said = review.Count == 0 ? "(the review has no text)" : string.Join(Environment.NewLine, review);
        var prompt = $"""
            A reviewer requested changes on your pull request #{number} ({branch}) at commit {headSha}:

            {said}

            Address every point (reply in the code, not on GitHub), run the tests, then commit and push to {branch}.
            """;
        return await sessions.StartAutoFixAsync(Konduktor, workspace, task.Id, SessionKind.AutoFixReview, prompt, workspace.Config.AutoFixLimit, ct);
    }

    /// <summary>A task PR was updated (<c>synchronize</c>): does it still merge with its base?</summary>
    public async Task<string> PullRequestUpdatedAsync(Workspace workspace, string branch, string baseSha, CancellationToken ct)
    {
        if (!workspace.Config.AutoFixConflicts)
        {
            return "auto-fix of merge conflicts is off";
        }

        return await OpenTaskPrAsync(workspace, branch, ct) is { } task
            ? await ConflictAsync(workspace, task, baseSha, ct) ?? "it merges cleanly"
            : "not an open task pull request";
    }

    /// <summary>An automatic fix that waited for a session of the task to end: its turn now (it waits again if another started meanwhile).</summary>
    public async Task<string> StartWaitingAsync(Workspace workspace, Guid taskId, CancellationToken ct)
    {
        PendingAutoFix? waiting = null;
        await tasks.ChangeAsync(workspace.Id, taskId, task =>
        {
            waiting = task.PendingAutoFix is { } json ? KonduktorJson.Deserialize<PendingAutoFix>(json) : null;
            task.PendingAutoFix = null;
            return Task.FromResult<Result<TaskEdit>>(waiting is null ? TaskEdit.Keep : TaskEdit.Save);
        }, ct);
        return waiting is null
            ? $"task {ShortId.Of(taskId)}: no automatic fix waits"
            : await sessions.StartAutoFixAsync(Konduktor, workspace, taskId, waiting.Kind, waiting.Prompt, workspace.Config.AutoFixLimit, ct);
    }

    private async Task<string?> ConflictAsync(Workspace workspace, TaskItem task, string baseSha, CancellationToken ct)
    {
        var mergeable = await MergeableAsync(workspace, task.PullRequestNumber!.Value, ct);
        if (mergeable != false || !await FirstTimeAsync(workspace, $"conflict-{task.Id:N}-{baseSha}", ct))
        {
            return null;
        }

        var prompt = $"""
            Your pull request #{task.PullRequestNumber} ({task.Branch}) no longer merges cleanly with {workspace.DefaultBranch} (at {baseSha}).
            Fetch origin, merge origin/{workspace.DefaultBranch} into {task.Branch}, resolve the conflicts keeping both sides' intent,
            run the tests, then commit and push to {task.Branch}.
            """;
        return await sessions.StartAutoFixAsync(Konduktor, workspace, task.Id, SessionKind.AutoFixConflicts, prompt, workspace.Config.AutoFixLimit, ct);
    }

    /// <summary>GitHub answers null until it has computed mergeability: asked again with backoff (0.25 s doubling), six times at most.</summary>
    private static readonly ResiliencePipeline<bool?> UntilComputed = new ResiliencePipelineBuilder<bool?>()
        .AddRetry(new RetryStrategyOptions<bool?>
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome is { Exception: null, Result: null }),
            MaxRetryAttempts = 5,
            Delay = TimeSpan.FromMilliseconds(250),
            BackoffType = DelayBackoffType.Exponential,
        })
        .Build();

    private async Task<bool?> MergeableAsync(Workspace workspace, int number, CancellationToken ct)
    {
        try
        {
            return await UntilComputed.ExecuteAsync(async token => await gitHub.MergeableAsync(workspace, number, token), ct);
        }
        catch (Exception e) when (e is Octokit.ApiException or HttpRequestException)
        {
            logger.LogWarning("Could not read the mergeability of pull request #{Number}: {Reason}", number, e.Message);
            return null;
        }
    }

    private async Task<TaskItem?> OpenTaskPrAsync(Workspace workspace, string branch, CancellationToken ct)
    {
        if (SessionPrompts.TaskShortIdOf(branch) is not { } shortId || !(await tasks.GetAsync(Konduktor, ShortId.Format(workspace.Id), shortId, ct)).TryGet(out var task, out _))
        {
            return null;
        }

        return task.PullRequestNumber is not null && task.Status == workspace.FindColumn(BoardColumns.PrSubmitted) ? task : null;
    }

    /// <summary>A conditional insert: true for the first caller with this key, false for every later one.</summary>
    private async Task<bool> FirstTimeAsync(Workspace workspace, string key, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.AutoFixes);
        try
        {
            await table.AddEntityAsync(new TableEntity(ShortId.Format(workspace.Id), key), ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }
}
