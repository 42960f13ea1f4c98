using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Json;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Tasks;

/// <summary>Changing tasks: a person's or an agent's edit (with its version), Konduktor's own read-modify-writes, and pull requests moving a task.</summary>
public sealed partial class TaskService
{
    public Task<Result<TaskItem>> MoveAsync(Principal caller, string workspaceRef, string taskRef, string status, double? rank, string? ifMatch, CancellationToken ct) =>
        UpdateAsync(caller, workspaceRef, taskRef, new TaskChanges { Status = status, Rank = rank }, ifMatch, ct);

    public async Task<Result<TaskItem>> UpdateAsync(Principal caller, string workspaceRef, string taskRef, TaskChanges changes, string? ifMatch, CancellationToken ct)
    {
        string? projectBefore = null;
        IReadOnlyList<Guid> unlinked = [];
        var (mayUnblock, finished) = (false, false);
        var updated = await Optimistic.UpdateAsync<TaskItem>(async token =>
        {
            if (!(await FindAsync(caller, workspaceRef, taskRef, token)).TryGet(out var found, out var failure))
            {
                return failure;
            }

            var (workspace, entity) = found;
            projectBefore = entity.ProjectId;
            if (ifMatch is not null && ifMatch != entity.ETag.ToString())
            {
                return new Conflict($"task {ShortId.Of(Guid.Parse(entity.RowKey))} was changed since you read it; reload and try again");
            }

            var tags = (changes.Tags ?? entity.TagList).Concat(changes.AddTags ?? []).ToList();
            if (!TaskRules.Title(changes.Title ?? entity.Title).TryGet(out var title, out failure)
                || !TaskRules.Description(changes.Description ?? "").TryGet(out var description, out failure)
                || !TaskRules.Tags(tags).TryGet(out var validTags, out failure)
                || !TaskRules.Tags(changes.RemoveTags ?? []).TryGet(out var removedTags, out failure)
                || !TaskRules.Status(workspace, changes.Status ?? entity.Status).TryGet(out var status, out failure))
            {
                return failure;
            }

            // An agent that could raise its own task's budget would have none.
            if (changes.BudgetUsd is not null && (Policy.Authorize(caller, Act.Configure).Failure ?? Workspaces.WorkspaceRules.Budget(changes.BudgetUsd, "budgetUsd")) is { } refused)
            {
                return refused;
            }

            if (changes.Rank is { } rank && !double.IsFinite(rank))
            {
                return new Invalid("rank must be a finite number", "rank");
            }

            if (!(await PlaceAsync(workspace, entity, changes, token)).TryGet(out _, out failure)
                || !(await WaitForAsync(caller, workspace, entity, changes, token)).TryGet(out var waits, out failure))
            {
                return failure;
            }

            (unlinked, mayUnblock, finished) = (waits.Unlinked, waits.MayUnblock, TaskDependencies.IsFinished(status) && !TaskDependencies.IsFinished(entity.Status));
            var now = clock.GetUtcNow();
            entity.Title = title;
            entity.Tags = JsonSerializer.Serialize(validTags.Except(removedTags).ToList());
            entity.Priority = (changes.Priority ?? entity.PriorityValue).ToString();
            entity.BudgetUsd = changes.BudgetUsd is { } budget ? (budget == 0 ? null : (double)budget) : entity.BudgetUsd;
            entity.Rank = changes.Rank ?? (string.Equals(status, entity.Status, StringComparison.Ordinal) ? entity.Rank : RankAt(now));
            entity.StatusChangedAt = string.Equals(status, entity.Status, StringComparison.Ordinal) ? entity.StatusChangedAt : now;
            entity.Status = status;
            entity.UpdatedAt = now;
            return await SaveAsync(entity, changes.Description is null ? null : description, ifMatch is not null, token);
        }, "the task", ct);
        if (updated.TryGet(out var task, out _))
        {
            await SignalProjectsAsync(task.WorkspaceId, projectBefore, task.ProjectId is { } after ? ShortId.Format(after) : null, ct);
            await dependencies.UnlinkAsync(task.WorkspaceId, task.Id, unlinked, ct);
            if (mayUnblock)
            {
                await dependencies.MayUnblockAsync(task.WorkspaceId, task.Id, ct);
            }
            else if (finished)
            {
                await dependencies.BlockerFinishedAsync(task.WorkspaceId, task.Id, ct);
            }

            return TaskDependencies.WithBlockers(task, await dependencies.UnfinishedAsync(task.WorkspaceId, task.BlockedBy, ct));
        }

        return updated;
    }

    /// <summary>
    /// Applies a change's blockers and auto-run to the entity: the blockers resolved and checked for a cycle, the links
    /// they need written first. Says which links to forget once the task is saved, and whether a task may now be free to start.
    /// </summary>
    private async Task<Result<(IReadOnlyList<Guid> Unlinked, bool MayUnblock)>> WaitForAsync(Principal caller, Workspace workspace, TaskEntity entity, TaskChanges changes, CancellationToken ct)
    {
        if (changes.AutoRun == true && Policy.Authorize(caller, Act.RunTasks).Failure is { } refused)
        {
            return refused;
        }

        var before = TaskDependencies.BlockersOf(entity);
        var after = before;
        if (changes.BlockedBy is { } references)
        {
            if (!(await dependencies.ResolveAsync(workspace, entity, references, ct)).TryGet(out var resolved, out var failure))
            {
                return failure;
            }

            after = resolved;
        }

        var autoRunSet = changes.AutoRun == true && !entity.AutoRun;
        var blockersChanged = !after.Order().SequenceEqual(before.Order());
        if (blockersChanged || autoRunSet)
        {
            await dependencies.LinkAsync(workspace.Id, Guid.Parse(entity.RowKey), after.Except(before), autoRunSet, ct);
        }

        (entity.BlockedBy, entity.AutoRun) = (TaskDependencies.Store(after), changes.AutoRun ?? entity.AutoRun);
        return (before.Except(after).ToList(), (blockersChanged && entity.AutoRun) || autoRunSet);
    }

    /// <summary>Puts the task into the project phase the change names, or out of its project ("" as the project).</summary>
    private async Task<Result<Done>> PlaceAsync(Workspace workspace, TaskEntity entity, TaskChanges changes, CancellationToken ct)
    {
        if (changes.Project == "")
        {
            (entity.ProjectId, entity.PhaseId) = (null, null);
            return Done.Value;
        }

        if (changes.Project is null && changes.Phase is null)
        {
            return Done.Value;
        }

        var projectRef = changes.Project ?? entity.ProjectId;
        if (projectRef is null || changes.Phase is null)
        {
            return new Invalid("give both a project and a phase (--project ID --phase N)", "phase");
        }

        if (!(await projects.PhaseOfAsync(workspace, projectRef, changes.Phase.Value, ct)).TryGet(out var membership, out var failure))
        {
            return failure;
        }

        (entity.ProjectId, entity.PhaseId) = (ShortId.Format(membership.Project), ShortId.Format(membership.Phase));
        return Done.Value;
    }

    /// <summary>
    /// Writes the changed task with its ETag. A new description is stored first (a large one as a blob) and the one it
    /// replaces is forgotten only once the task points at the new one; a lost race forgets the new one instead.
    /// </summary>
    private async Task<Result<TaskItem>> SaveAsync(TaskEntity entity, string? newDescriptionText, bool versionGiven, CancellationToken ct)
    {
        var oldDescription = entity.StoredDescription;
        var newDescription = newDescriptionText is null ? oldDescription : await texts.SaveAsync(TextOwner(entity), newDescriptionText, ct);
        (entity.Description, entity.DescriptionBlob) = (newDescription.Inline, newDescription.BlobName);
        entity.DescriptionLength = newDescriptionText?.Length ?? entity.DescriptionLength;
        var table = await storage.Table(TableNames.Tasks);
        try
        {
            var response = await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct);
            entity.ETag = response.Headers.ETag ?? default;
            await feed.ChangedAsync(Guid.Parse(entity.PartitionKey), ct);
        }
        catch (RequestFailedException e) when (Optimistic.IsLostRace(e))
        {
            if (newDescription != oldDescription)
            {
                await texts.ForgetAsync(newDescription);
            }

            if (versionGiven)
            {
                return new Conflict($"task {ShortId.Of(Guid.Parse(entity.RowKey))} was changed since you read it; reload and try again");
            }

            throw;
        }

        if (newDescription != oldDescription)
        {
            await texts.ForgetAsync(oldDescription);
        }

        return entity.ToTask(newDescriptionText ?? await texts.LoadAsync(newDescription, ct));
    }

    /// <summary>
    /// Applies a change to one task on fresh state, conditionally on its ETag, retrying a lost race: how sessions
    /// (and later webhooks and projects) change a task without ever overwriting someone else's change.
    /// </summary>
    /// <summary>
    /// A read-modify-write of one task with its ETag (a lost race is retried on fresh state): <paramref name="change"/>
    /// edits the entity and says whether to save it, or refuses with a failure (nothing is written either way then).
    /// </summary>
    internal async Task<Result<TaskEntity>> ChangeAsync(Guid workspaceId, Guid taskId, Func<TaskEntity, Task<Result<TaskEdit>>> change, CancellationToken ct)
    {
        string? statusBefore = null;
        var changed = await Optimistic.UpdateAsync<TaskEntity>(async token =>
        {
            var table = await storage.Table(TableNames.Tasks);
            var found = await table.GetEntityIfExistsAsync<TaskEntity>(ShortId.Format(workspaceId), ShortId.Format(taskId), cancellationToken: token);
            if (!found.HasValue || found.Value is not { } entity)
            {
                return new NotFound($"no task matches '{ShortId.Of(taskId)}'");
            }

            statusBefore = entity.Status;
            if (!(await change(entity)).TryGet(out var edit, out var failure))
            {
                return failure;
            }

            if (edit == TaskEdit.Keep)
            {
                return entity;
            }

            entity.UpdatedAt = clock.GetUtcNow();
            var response = await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, token);
            entity.ETag = response.Headers.ETag ?? default;
            await feed.ChangedAsync(workspaceId, token);
            return entity;
        }, "the task", ct);
        if (changed.TryGet(out var task, out _) && task.Status != statusBefore)
        {
            await projects.SignalAsync(workspaceId, task.ProjectId, ct);
            if (TaskDependencies.IsFinished(task.Status))
            {
                await dependencies.BlockerFinishedAsync(workspaceId, taskId, ct);
            }
        }

        return changed;
    }

    /// <summary>
    /// Leaves Konduktor's note on a task (shown on its card and by `tasks show`), e.g. why no pull request was opened,
    /// and moves it to <paramref name="column"/> when one is given and it is not there yet.
    /// </summary>
    internal Task<Result<TaskEntity>> NoteAsync(Guid workspaceId, Guid taskId, string note, CancellationToken ct, string? column = null) =>
        ChangeAsync(workspaceId, taskId, task =>
        {
            task.Note = note;
            if (column is not null && column != task.Status)
            {
                var now = clock.GetUtcNow();
                (task.Status, task.Rank, task.StatusChangedAt) = (column, RankAt(now), now);
            }

            return Task.FromResult<Result<TaskEdit>>(TaskEdit.Save);
        }, ct);

    /// <summary>
    /// What GitHub says of a task's pull request — from a webhook, the reconciler or Konduktor opening it — applied by one
    /// rule: the PR is recorded, the task moves to the column it implies unless a person moved it after the event, and
    /// nothing is written when nothing changed (the reconciler says the same thing every minute).
    /// </summary>
    internal async Task<(string Outcome, bool Changed)> ApplyPullRequestAsync(Workspace workspace, string shortId, PullRequestFacts facts, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Tasks);
        var found = await PrefixLookup.FindAsync<TaskEntity>(table, ShortId.Format(workspace.Id), shortId, "task", e => e.RowKey, ct);
        return found.TryGet(out var task, out _)
            ? await ApplyPullRequestAsync(workspace, Guid.Parse(task.RowKey), facts, ct)
            : ($"ignored: no task {shortId} in this workspace", false);
    }

    /// <summary>The same, for a task whose id is known (the reconciler's): one read, and a write only when something changed.</summary>
    internal async Task<(string Outcome, bool Changed)> ApplyPullRequestAsync(Workspace workspace, Guid taskId, PullRequestFacts facts, CancellationToken ct)
    {
        var (number, url, status, happenedAt) = (facts.Number, facts.Url, facts.Column, facts.HappenedAt);
        var shortId = ShortId.Of(taskId);
        var (outcome, saved, announce) = ("", false, false);
        var changed = await ChangeAsync(workspace.Id, taskId, entity =>
        {
            var target = status is null ? null : workspace.FindColumn(status);
            var movedSince = entity.StatusChangedAt is { } moved && moved > happenedAt + GitHubTimePrecision;
            var move = target is not null && target != entity.Status && !movedSince;
            var news = entity.PullRequestNumber != number || entity.PullRequestUrl != url
                || (facts.Head is not null && facts.Head != entity.PullRequestHead) || (facts.Checks is not null && facts.Checks != entity.ChecksState)
                || (facts.Review is not null && facts.Review != entity.ReviewState)
                || (facts.FailingChecks is { } failing && KonduktorJson.Serialize(failing) != (entity.FailingChecks ?? "[]"));
            outcome = move ? $"task {shortId} moved to {target} (pull request #{number})"
                : target is not null && target != entity.Status ? $"task {shortId}: pull request #{number} recorded; not moved to {target}, it was moved after this event"
                : news ? $"task {shortId}: pull request #{number} recorded"
                : $"task {shortId}: pull request #{number} unchanged";
            if (!move && !news)
            {
                return Task.FromResult<Result<TaskEdit>>(TaskEdit.Keep);
            }

            saved = true;
            announce = entity.IssueNumber is not null && entity.PullRequestNumber != number;
            entity.PullRequestNumber = number;
            entity.PullRequestUrl = url;
            entity.PullRequestHead = facts.Head ?? entity.PullRequestHead;
            entity.ChecksState = facts.Checks ?? entity.ChecksState;
            entity.ReviewState = facts.Review ?? entity.ReviewState;
            entity.FailingChecks = facts.FailingChecks is { } checks ? KonduktorJson.Serialize(checks) : entity.FailingChecks;
            if (move)
            {
                entity.Status = target!;
                entity.Rank = RankAt(clock.GetUtcNow());
                entity.StatusChangedAt = happenedAt;
            }

            return Task.FromResult<Result<TaskEdit>>(TaskEdit.Save);
        }, ct);
        if (changed.IsSuccess && announce)
        {
            // The issue the task was made from hears of its pull request once, from the work queue.
            await work.EnqueueAsync(new GitHub.GitHubWorkItem(GitHub.GitHubWorkKind.AnnouncePullRequest, workspace.Id, taskId, Number: number), ct);
        }

        return changed.IsSuccess ? (outcome, saved) : ($"ignored: {changed.Failure!.Message}", false);
    }

    /// <summary>GitHub's timestamps are whole seconds.</summary>
    private static readonly TimeSpan GitHubTimePrecision = TimeSpan.FromSeconds(1);
}

/// <summary>What GitHub says of a task's pull request, and when; head, checks and review when they are known.</summary>
/// <param name="Column">The board column the PR's state implies (PR Submitted, Done, Closed); null to only record it.</param>
public sealed record PullRequestFacts(int Number, string Url, string? Column, DateTimeOffset HappenedAt, string? Head = null, string? Checks = null, string? Review = null, IReadOnlyList<FailingCheck>? FailingChecks = null);
