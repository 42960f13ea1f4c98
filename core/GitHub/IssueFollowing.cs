using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Json;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.GitHub;

/// <summary>What GitHub says of an issue, from a webhook or a listing, and when it last changed.</summary>
public sealed record IssueFacts(int Number, string Title, string? Body, IReadOnlyList<string> Labels, bool Open, string Url, DateTimeOffset UpdatedAt);

/// <summary>
/// Issues in: each open issue the workspace follows (by label, or all) becomes one task, and the task follows the issue
/// — title, body (with a link back) and labels (as tags); closed moves it to Closed unless its work is in review, reopened
/// back to To do; a removed label stops the following and leaves the task. One rule for the webhook and the reconciler.
/// </summary>
public sealed class IssueFollowing(TaskService tasks, StorageClients storage, IIdGenerator ids, ILogger<IssueFollowing> logger)
{
    private static readonly Principal Konduktor = Principal.Konduktor("issues");

    /// <summary>Whether the workspace follows an issue with these labels.</summary>
    public static bool Follows(Workspace workspace, IReadOnlyList<string> labels) =>
        workspace.Config.FollowIssues is { } label && (label == WorkspaceRules.AllIssues || labels.Contains(label, StringComparer.OrdinalIgnoreCase));

    /// <summary>Applies what GitHub says of one issue; says what happened and whether anything was written.</summary>
    public async Task<(string Outcome, bool Changed)> ApplyAsync(Workspace workspace, IssueFacts issue, CancellationToken ct)
    {
        if (workspace.Config.FollowIssues is null)
        {
            return ("ignored: this workspace does not follow issues", false);
        }

        var matches = Follows(workspace, issue.Labels);
        var table = await storage.Table(TableNames.Issues);
        var (partition, row) = (ShortId.Format(workspace.Id), IssueEntity.Row(issue.Number));
        var found = await table.GetEntityIfExistsAsync<IssueEntity>(partition, row, cancellationToken: ct);
        var entry = found.HasValue ? found.Value : null;
        if (entry is null)
        {
            if (!matches || !issue.Open)
            {
                return ($"ignored: issue #{issue.Number} is not one this workspace follows", false);
            }

            entry = new IssueEntity { PartitionKey = partition, RowKey = row, TaskId = ShortId.Format(ids.NewId()), Following = true };
            try
            {
                entry.ETag = (await table.AddEntityAsync(entry, ct)).Headers.ETag ?? default;
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                entry = (await table.GetEntityAsync<IssueEntity>(partition, row, cancellationToken: ct)).Value;
            }
        }

        var taskId = Guid.Parse(entry.TaskId);
        if (!entry.TaskCreated)
        {
            var made = await tasks.CreateFromIssueAsync(workspace, taskId, NewTaskOf(issue), issue.Number, issue.Url, ct);
            (entry.TaskCreated, entry.UpdatedAt, entry.LabelTags) = (true, issue.UpdatedAt, KonduktorJson.Serialize(IssueText.Tags(issue.Labels).ToList()));
            await SaveAsync(table, entry, ct);
            logger.LogInformation("Issue #{Number} of workspace {Workspace}: task {TaskId} {Made}", issue.Number, workspace.Name, taskId, made ? "created" : "was there");
            return ($"issue #{issue.Number}: task {ShortId.Of(taskId)} {(made ? "created" : "exists")}", made);
        }

        if (entry.UpdatedAt is { } applied && issue.UpdatedAt <= applied)
        {
            return ($"issue #{issue.Number}: nothing new (task {ShortId.Of(taskId)})", false);
        }

        if (!matches && issue.Open)
        {
            if (!entry.Following)
            {
                return ($"ignored: issue #{issue.Number} is no longer followed", false);
            }

            (entry.Following, entry.UpdatedAt) = (false, issue.UpdatedAt);
            await SaveAsync(table, entry, ct);
            return ($"issue #{issue.Number} lost its label: task {ShortId.Of(taskId)} stays and no longer follows it", true);
        }

        if (!entry.Following && !matches)
        {
            return ($"ignored: issue #{issue.Number} is no longer followed", false);
        }

        var (outcome, _) = await FollowAsync(workspace, taskId, issue, entry.LabelTagList, ct);
        (entry.Following, entry.UpdatedAt, entry.LabelTags) = (true, issue.UpdatedAt, KonduktorJson.Serialize(IssueText.Tags(issue.Labels).ToList()));
        await SaveAsync(table, entry, ct);
        return (outcome, true);
    }

    /// <summary>The task of a followed issue, and the pull request it announced last (null when the issue is not one's).</summary>
    internal async Task<IssueEntity?> EntryAsync(Guid workspaceId, int number, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Issues);
        var found = await table.GetEntityIfExistsAsync<IssueEntity>(ShortId.Format(workspaceId), IssueEntity.Row(number), cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>Records that a pull request was announced on its issue: false when another host did it first.</summary>
    internal async Task<bool> MarkAnnouncedAsync(IssueEntity entry, int? pullRequest, CancellationToken ct)
    {
        entry.AnnouncedPullRequest = pullRequest;
        return await SaveAsync(await storage.Table(TableNames.Issues), entry, ct);
    }

    /// <summary>Brings the task in line with its issue; nothing is written when it already is.</summary>
    private async Task<(string Outcome, bool Changed)> FollowAsync(Workspace workspace, Guid taskId, IssueFacts issue, IReadOnlyList<string> labelTagsBefore, CancellationToken ct)
    {
        var id = ShortId.Of(taskId);
        if (!(await tasks.GetAsync(Konduktor, ShortId.Format(workspace.Id), ShortId.Format(taskId), ct)).TryGet(out var task, out _))
        {
            return ($"issue #{issue.Number}: its task {id} was deleted; it is not made again", false);
        }

        var title = IssueText.Title(issue.Title);
        var description = IssueText.Description(issue);
        var tags = task.Tags.Except(labelTagsBefore).Concat(IssueText.Tags(issue.Labels)).Distinct().Take(TaskRules.MaxTags).ToList();
        var closed = workspace.FindColumn(BoardColumns.Closed);
        var status = issue.Open
            ? (task.Status == closed ? workspace.FindColumn(BoardColumns.ToDo) : null)
            : (task.Status == closed || task.Status == workspace.FindColumn(BoardColumns.Done) || task.Status == workspace.FindColumn(BoardColumns.PrSubmitted) ? null : closed);
        var changes = new TaskChanges
        {
            Title = title != task.Title ? title : null,
            Description = description != task.Description ? description : null,
            Tags = tags.SequenceEqual(task.Tags) ? null : tags,
            Status = status,
        };
        if (changes is { Title: null, Description: null, Tags: null, Status: null })
        {
            return ($"issue #{issue.Number}: task {id} is in line with it", false);
        }

        var updated = await tasks.UpdateAsync(Konduktor, ShortId.Format(workspace.Id), ShortId.Format(taskId), changes, null, ct);
        return updated.TryGet(out var now, out var failure)
            ? ($"issue #{issue.Number}: task {id} follows it{(status is null ? "" : $" (moved to {now.Status})")}", true)
            : ($"issue #{issue.Number}: task {id} could not follow it: {failure.Message}", false);
    }

    private static NewTask NewTaskOf(IssueFacts issue) => new()
    {
        Title = IssueText.Title(issue.Title),
        Description = IssueText.Description(issue),
        Tags = IssueText.Tags(issue.Labels).ToList(),
    };

    /// <summary>Saves the entry with its ETag; false when another host wrote it first (it applied the same or newer news: theirs stands).</summary>
    private static async Task<bool> SaveAsync(TableClient table, IssueEntity entry, CancellationToken ct)
    {
        try
        {
            entry.ETag = (await table.UpdateEntityAsync(entry, entry.ETag, TableUpdateMode.Replace, ct)).Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException e) when (Optimistic.IsLostRace(e))
        {
            return false;
        }
    }
}
