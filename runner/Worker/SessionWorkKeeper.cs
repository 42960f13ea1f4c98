using Konduktor.Core.Changes;
using Konduktor.Core.Sessions;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Worker;

/// <summary>
/// After every session: the transcript goes to storage (so any runner can resume), commits the agent left on the task
/// branch are pushed (so the work is never only on this machine), and what the branch changes goes to the board. Best
/// effort, reported in the log.
/// </summary>
public sealed class SessionWorkKeeper(SessionJob job, RunnerApi api, GitWorkspaces git, string workDirectory, SecretMask mask, ILogger logger)
{
    /// <summary>The task branch as pushed (how far ahead of the default branch, its head), and why its commits were not pushed, if they were not.</summary>
    public sealed record Kept((int Ahead, string Head)? Branch, string? NotPushed);

    /// <param name="agentHome">The agent's home, where its transcript is; null when the agent never had one.</param>
    /// <param name="conversationReported">Reporting the conversation's id, which the transcript waits for.</param>
    public async Task<Kept> KeepAsync(string worktree, string? agentHome, string? claudeSessionId, Task conversationReported, LogShipper shipper)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        (int Ahead, string Head)? branch = null;
        string? notPushed = null;
        try
        {
            // The commits first: they need only git's remote, which may be reachable when Konduktor is not.
            // A scheduled agent's worktree is refreshed on its next run; what it makes goes through tasks, not this branch.
            if (!job.FreshWorktree)
            {
                notPushed = await PushAsync(worktree, shipper, limit.Token);
                branch = await git.AheadOfDefaultAsync(worktree, job.DefaultBranch, limit.Token);
                await KeepChangesAsync(worktree, shipper, limit.Token);
            }

            if (claudeSessionId is not null && agentHome is not null)
            {
                await KeepTranscriptAsync(agentHome, claudeSessionId, conversationReported, shipper, limit.Token);
            }
        }
        catch (Exception e) when (e is RunnerApiException or ProcessFailedException or IOException or OperationCanceledException)
        {
            shipper.Add("konduktor", $"could not keep everything of this session: {e.Message}");
        }

        return new Kept(branch, notPushed);
    }

    /// <summary>Pushes the commits the agent left; why not, when they could not be pushed.</summary>
    private async Task<string?> PushAsync(string worktree, LogShipper shipper, CancellationToken ct)
    {
        if (await git.UnpushedCommitsAsync(worktree, job.Branch, job.DefaultBranch, ct) == 0)
        {
            return null;
        }

        try
        {
            await git.PushAsync(worktree, job.Branch, ct);
            shipper.Add("konduktor", $"pushed the agent's commits on {job.Branch} so they are kept");
            return null;
        }
        catch (Exception e) when (e is ProcessFailedException or OperationCanceledException)
        {
            var notPushed = e is OperationCanceledException ? "the push timed out" : e.Message;
            shipper.Add("konduktor", $"could not push the agent's commits on {job.Branch}: {notPushed}");
            return notPushed;
        }
    }

    private async Task KeepTranscriptAsync(string agentHome, string claudeSessionId, Task conversationReported, LogShipper shipper, CancellationToken ct)
    {
        var (transcript, refusal) = ClaudeTranscripts.Take(agentHome, workDirectory, claudeSessionId);
        if (transcript is null)
        {
            var why = refusal ?? $"no transcript of conversation {claudeSessionId} in the agent's home";
            shipper.Add("konduktor", $"warning: {why}; a resume starts a new conversation with what is known of this one");
            logger.LogWarning("Session {SessionId}: transcript of conversation {Conversation} not kept: {Why}", job.Session.Id, claudeSessionId, why);
            return;
        }

        await conversationReported.WaitAsync(ct);
        await Retry.UntilAcceptedAsync(async token =>
        {
            await api.SaveTranscriptAsync(job.Session.WorkspaceId, job.Session.Id, transcript, mask, token);
            return true;
        }, logger, "keep the transcript", ct);
    }

    /// <summary>What the branch changes against its base goes to Konduktor (the board's Changes tab), the session's secrets masked in it.</summary>
    private async Task KeepChangesAsync(string worktree, LogShipper shipper, CancellationToken ct)
    {
        ChangeSet changes;
        try
        {
            changes = await git.ChangeSetAsync(worktree, job.DefaultBranch, job.Branch, ct);
            changes = changes with
            {
                Diff = mask.Apply(changes.Diff),
                Commits = changes.Commits.Select(c => c with { Subject = mask.Apply(c.Subject), Trailers = c.Trailers.Select(mask.Apply).ToList() }).ToList(),
            };
            await Retry.UntilAcceptedAsync(token => api.SaveChangesAsync(job.Session.WorkspaceId, job.Session.Id, changes, token), logger, "keep the branch's changes", ct);
        }
        catch (Exception e) when (e is ProcessFailedException or RunnerApiException)
        {
            // The transcript and the commits matter more: the next session keeps the changes again.
            shipper.Add("konduktor", $"could not keep the branch's changes for the board: {e.Message}");
            return;
        }

        shipper.Add("konduktor", $"kept the branch's changes against {job.DefaultBranch}: {changes.Files.Count + changes.MoreFiles} file(s), +{changes.Added} -{changes.Removed}, {changes.Commits.Count} commit(s)"
            + (changes.Truncated ? $" (the diff is cut at {ChangeSetRules.MaxDiffChars:N0} characters)" : ""));
    }
}
