using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Storage;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;
using Octokit;

namespace Konduktor.Core.GitHub;

/// <summary>What an issue pass did: issues looked at, and how many of them changed something.</summary>
public sealed record IssuePass(int Looked, int Changed, DateTimeOffset? PausedUntil = null);

/// <summary>
/// Finds the issues a workspace follows without a webhook (a laptop has no public URL) and after missed deliveries.
/// The first pass lists the open issues with the label; every later one asks only for issues changed since the newest
/// change it saw — one conditional request, a free 304 while nothing changed — and sees closes, reopens and removed
/// labels that way too. Where it got to is kept per workspace (the <c>cursor</c> row of the issues table), written only
/// when it moves. Its news goes through <see cref="IssueFollowing.ApplyAsync"/>, as the webhook's does.
/// </summary>
public sealed class IssueReconciler(WorkspaceService workspaces, IssueFollowing following, QuestionMirror mirror, Questions.QuestionService questions, GitHubApi gitHub, StorageClients storage, TimeProvider clock, ILogger<IssueReconciler> logger)
{
    private const int ReserveCalls = 100;
    private const string CursorRow = "cursor";
    private static readonly TimeSpan ClockMargin = TimeSpan.FromMinutes(5);
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;

    public async Task<IssuePass> RunAsync(CancellationToken ct)
    {
        if (clock.GetUtcNow() < _pausedUntil)
        {
            return new IssuePass(0, 0, _pausedUntil);
        }

        var (looked, changed) = (0, 0);
        foreach (var workspace in (await workspaces.ListAsync(Principal.Konduktor("issues"), ct)).Where(w => w.GitHubRepository is not null && w.Config.FollowIssues is not null))
        {
            try
            {
                var (seen, applied, limit) = await PassAsync(workspace, ct);
                (looked, changed) = (looked + seen, changed + applied);
                if (limit is { Remaining: < ReserveCalls } low)
                {
                    _pausedUntil = low.Reset;
                    logger.LogWarning("GitHub's rate limit is low ({Remaining} calls left); issues wait until {Reset}", low.Remaining, low.Reset);
                    return new IssuePass(looked, changed, _pausedUntil);
                }
            }
            catch (ApiException e)
            {
                logger.LogWarning("Following the issues of workspace {Workspace} failed: {Status} {Reason}", workspace.Name, e.StatusCode, e.Message);
            }
        }

        return new IssuePass(looked, changed);
    }

    private async Task<(int Looked, int Changed, RateLimit? Limit)> PassAsync(Workspace workspace, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Issues);
        var partition = ShortId.Format(workspace.Id);
        var found = await table.GetEntityIfExistsAsync<TableEntity>(partition, CursorRow, cancellationToken: ct);
        var cursor = found.HasValue ? found.Value : null;
        var label = workspace.Config.FollowIssues == WorkspaceRules.AllIssues ? null : workspace.Config.FollowIssues;
        // A label changed since the cursor was kept means a first pass again, for the new label.
        var since = cursor is not null && cursor.GetString("Label") == workspace.Config.FollowIssues ? cursor.GetDateTimeOffset("Since") : null;
        var (issues, limit) = await gitHub.IssuesAsync(workspace, label, since, ct);
        var changed = 0;
        foreach (var issue in issues)
        {
            changed += (await following.ApplyAsync(workspace, issue, ct)).Changed ? 1 : 0;
        }

        // With nothing listed, from a little before now: GitHub's clock may be behind ours, and listing a change twice writes nothing.
        var newest = issues.Count == 0 ? since ?? clock.GetUtcNow() - ClockMargin : issues.Max(i => i.UpdatedAt);
        if (since is null || newest > since)
        {
            await table.UpsertEntityAsync(new TableEntity(partition, CursorRow) { ["Since"] = newest, ["Label"] = workspace.Config.FollowIssues }, TableUpdateMode.Replace, ct);
        }

        if (workspace.Config.MirrorQuestions)
        {
            changed += await AnswersAsync(workspace, ct);
        }

        return (issues.Count, changed, limit);
    }

    /// <summary>Answers given on issues to the questions asked there, without a webhook: the comments since each open question was asked.</summary>
    private async Task<int> AnswersAsync(Workspace workspace, CancellationToken ct)
    {
        var open = await questions.ListAsync(Principal.Konduktor("issues"), ShortId.Format(workspace.Id), new Questions.QuestionFilter(OpenOnly: true), ct);
        var answered = 0;
        foreach (var asked in (open.Value ?? []).Where(q => q.MirroredOnIssue is not null).GroupBy(q => q.MirroredOnIssue!.Value))
        {
            foreach (var comment in await gitHub.IssueCommentsAsync(workspace, asked.Key, asked.Min(q => q.AskedAt), ct))
            {
                answered += (await mirror.AnswerAsync(workspace, comment, ct)).StartsWith("question ", StringComparison.Ordinal) ? 1 : 0;
            }
        }

        return answered;
    }
}
