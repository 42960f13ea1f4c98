using Konduktor.Core.Auth;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;
using Octokit;

namespace Konduktor.Core.GitHub;

/// <summary>What a reconciler pass did.</summary>
/// <param name="Looked">Task pull requests (or branches without one) looked at on GitHub.</param>
/// <param name="Changed">Tasks whose pull request news changed them.</param>
/// <param name="PausedUntil">Set when GitHub's rate limit ran low: no calls until then.</param>
public sealed record ReconcilePass(int Looked, int Changed, DateTimeOffset? PausedUntil = null);

/// <summary>
/// Brings every task that has a branch or a pull request and is not Done or Closed in line with GitHub, whether or not a webhook ever
/// arrives (`up` on a laptop has no public URL; a delivery GitHub gave up on is never resent): the PR opened for its
/// branch, merged or closed, its head commit, checks and review. Conditional requests make an unchanged PR cost no
/// rate limit; when the limit runs low the reconciler waits for its reset. Its news goes through the same rule as the
/// webhook's (<see cref="TaskService.ApplyPullRequestAsync"/>), so a person's later move still wins.
/// </summary>
public sealed class PullRequestReconciler(WorkspaceService workspaces, TaskService tasks, GitHubApi gitHub, TimeProvider clock, ILogger<PullRequestReconciler> logger)
{
    /// <summary>Below this many calls left in GitHub's window, the reconciler stops until the window resets.</summary>
    private const int ReserveCalls = 100;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;

    public async Task<ReconcilePass> RunAsync(CancellationToken ct)
    {
        if (clock.GetUtcNow() < _pausedUntil)
        {
            return new ReconcilePass(0, 0, _pausedUntil);
        }

        var caller = Principal.Konduktor("reconciler");
        var (looked, changed) = (0, 0);
        foreach (var workspace in (await workspaces.ListAsync(caller, ct)).Where(w => w.GitHubRepository is not null))
        {
            if (!(await tasks.ListAsync(caller, workspace.Id.ToString(), new TaskFilter(), ct)).TryGet(out var list, out _))
            {
                continue;
            }

            foreach (var task in list.Where(t => (t.Branch is not null || t.PullRequestNumber is not null) && t.Status != workspace.FindColumn(BoardColumns.Done) && t.Status != workspace.FindColumn(BoardColumns.Closed)))
            {
                try
                {
                    looked++;
                    var (didChange, limit) = await LookAsync(workspace, task, ct);
                    changed += didChange ? 1 : 0;
                    if (limit is { Remaining: < ReserveCalls } low)
                    {
                        _pausedUntil = low.Reset;
                        logger.LogWarning("GitHub's rate limit is low ({Remaining} calls left); the reconciler waits until {Reset}", low.Remaining, low.Reset);
                        return new ReconcilePass(looked, changed, _pausedUntil);
                    }
                }
                catch (ApiException e)
                {
                    logger.LogWarning("Reconciling task {TaskId} of workspace {Workspace} failed: {Status} {Reason}", task.Id, workspace.Name, e.StatusCode, e.Message);
                }
            }
        }

        return new ReconcilePass(looked, changed);
    }

    private async Task<(bool Changed, RateLimit? Limit)> LookAsync(Workspace workspace, TaskItem task, CancellationToken ct)
    {
        if (task.PullRequestNumber is not { } number)
        {
            return await gitHub.FindOpenPullRequestAsync(workspace, task.Branch!, ct) is { } found
                ? ((await tasks.ApplyPullRequestAsync(workspace, task.Id, new PullRequestFacts(found.Number, found.Url, BoardColumns.PrSubmitted, clock.GetUtcNow()), ct)).Changed, null)
                : (false, null);
        }

        var (status, limit) = await gitHub.PullRequestStatusAsync(workspace, number, ct);
        var column = status.Merged ? BoardColumns.Done : status.Closed ? BoardColumns.Closed : BoardColumns.PrSubmitted;
        var facts = new PullRequestFacts(status.Number, status.Url, column, status.Since, status.Head, status.Checks, status.Review ?? "none", status.FailingChecks);
        return ((await tasks.ApplyPullRequestAsync(workspace, task.Id, facts, ct)).Changed, limit);
    }
}
