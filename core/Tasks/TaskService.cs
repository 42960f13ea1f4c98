using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Tasks;

public sealed class TaskService(WorkspaceService workspaces, Projects.ProjectService projects, StorageClients storage, TextStore texts, TimeProvider clock, IIdGenerator ids, ILogger<TaskService> logger)
{
    public async Task<Result<TaskItem>> CreateAsync(Principal caller, string workspaceRef, NewTask input, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure)
            || !TaskRules.Title(input.Title).TryGet(out var title, out failure)
            || !TaskRules.Description(input.Description).TryGet(out var description, out failure)
            || !TaskRules.Tags(input.Tags ?? []).TryGet(out var tags, out failure)
            || !TaskRules.Status(workspace, input.Status ?? TaskRules.DefaultStatus).TryGet(out var status, out failure))
        {
            return failure;
        }

        (Guid Project, Guid Phase)? membership = null;
        if (input.Project is not null || input.Phase is not null)
        {
            if (input.Project is null || input.Phase is null)
            {
                return new Invalid("give both a project and a phase (--project ID --phase N)", "phase");
            }

            if (!(await projects.PhaseOfAsync(workspace, input.Project, input.Phase.Value, ct)).TryGet(out var found, out failure))
            {
                return failure;
            }

            membership = found;
        }

        var id = ids.NewId();
        var now = clock.GetUtcNow();
        var entity = new TaskEntity
        {
            PartitionKey = ShortId.Format(workspace.Id),
            RowKey = ShortId.Format(id),
            Title = title,
            DescriptionLength = description.Length,
            Status = status,
            Tags = JsonSerializer.Serialize(tags),
            Priority = (input.Priority ?? Priority.None).ToString(),
            Rank = RankAt(now),
            CreatedAt = now,
            CreatedBy = caller.Name,
            UpdatedAt = now,
            ProjectId = membership is { } m ? ShortId.Format(m.Project) : null,
            PhaseId = membership is { } p ? ShortId.Format(p.Phase) : null,
        };
        var stored = await texts.SaveAsync(TextOwner(entity), description, ct);
        (entity.Description, entity.DescriptionBlob) = (stored.Inline, stored.BlobName);

        var table = await storage.Table(TableNames.Tasks);
        try
        {
            var response = await table.AddEntityAsync(entity, ct);
            entity.ETag = response.Headers.ETag ?? default;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            await texts.ForgetAsync(stored);
            return new Conflict($"a task with id {entity.RowKey} already exists");
        }

        logger.LogInformation("Task {TaskId} created in workspace {WorkspaceId} by {Principal}", id, workspace.Id, caller.Name);
        await projects.SignalAsync(workspace.Id, entity.ProjectId, ct);
        return entity.ToTask(description);
    }

    public async Task<Result<TaskItem>> GetAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var task = found.Entity.ToTask(await texts.LoadAsync(found.Entity.StoredDescription, ct));
        return task.PhaseId is { } phase && (await projects.BlockedPhasesAsync(found.Workspace, ct)).TryGetValue(phase, out var reason)
            ? task with { Blocked = reason }
            : task;
    }

    public async Task<Result<IReadOnlyList<TaskItem>>> ListAsync(Principal caller, string workspaceRef, TaskFilter filter, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        string? status = null;
        if (filter.Status is not null && !TaskRules.Status(workspace, filter.Status).TryGet(out status, out failure))
        {
            return failure;
        }

        var tag = filter.Tag?.Trim().ToLowerInvariant();
        var text = filter.Text?.Trim();
        var tasks = await QueryPartitionAsync(workspace, status, filter.Priority, ct);
        return tasks
            .Where(t => tag is null || t.Tags.Contains(tag))
            .Where(t => string.IsNullOrEmpty(text)
                || t.Title.Contains(text, StringComparison.OrdinalIgnoreCase)
                || t.ShortId.StartsWith(text, StringComparison.OrdinalIgnoreCase))
            .OrderBy(t => ColumnIndex(workspace, t.Status))
            .ThenBy(t => t.Rank)
            .ToList();
    }

    /// <summary>The board: one partition query, grouped into the workspace's columns in order.</summary>
    public async Task<Result<Board>> BoardAsync(Principal caller, string workspaceRef, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var blocked = await projects.BlockedPhasesAsync(workspace, ct);
        var byColumn = (await QueryPartitionAsync(workspace, null, null, ct))
            .Select(t => t.PhaseId is { } phase && blocked.TryGetValue(phase, out var reason) ? t with { Blocked = reason } : t)
            .ToLookup(t => t.Status, StringComparer.OrdinalIgnoreCase);
        var columns = workspace.Columns
            .Select(column => new BoardColumn(column, byColumn[column].OrderBy(t => t.Rank).ToList()))
            .ToList();
        return new Board(workspace.Id, workspace.Name, columns);
    }

    public Task<Result<TaskItem>> MoveAsync(Principal caller, string workspaceRef, string taskRef, string status, double? rank, string? ifMatch, CancellationToken ct) =>
        UpdateAsync(caller, workspaceRef, taskRef, new TaskChanges { Status = status, Rank = rank }, ifMatch, ct);

    public async Task<Result<TaskItem>> UpdateAsync(Principal caller, string workspaceRef, string taskRef, TaskChanges changes, string? ifMatch, CancellationToken ct)
    {
        string? projectBefore = null;
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

            if (changes.Project == "")
            {
                (entity.ProjectId, entity.PhaseId) = (null, null);
            }
            else if (changes.Project is not null || changes.Phase is not null)
            {
                var projectRef = changes.Project ?? entity.ProjectId;
                if (projectRef is null || changes.Phase is null)
                {
                    return new Invalid("give both a project and a phase (--project ID --phase N)", "phase");
                }

                if (!(await projects.PhaseOfAsync(workspace, projectRef, changes.Phase.Value, token)).TryGet(out var membership, out failure))
                {
                    return failure;
                }

                (entity.ProjectId, entity.PhaseId) = (ShortId.Format(membership.Project), ShortId.Format(membership.Phase));
            }

            var now = clock.GetUtcNow();
            var oldDescription = entity.StoredDescription;
            var newDescription = changes.Description is null ? oldDescription : await texts.SaveAsync(TextOwner(entity), description, token);
            entity.Title = title;
            (entity.Description, entity.DescriptionBlob) = (newDescription.Inline, newDescription.BlobName);
            entity.DescriptionLength = changes.Description is null ? entity.DescriptionLength : description.Length;
            entity.Tags = JsonSerializer.Serialize(validTags.Except(removedTags).ToList());
            entity.Priority = (changes.Priority ?? entity.PriorityValue).ToString();
            if (changes.Rank is { } rank && !double.IsFinite(rank))
            {
                return new Invalid("rank must be a finite number", "rank");
            }

            entity.Rank = changes.Rank ?? (string.Equals(status, entity.Status, StringComparison.Ordinal) ? entity.Rank : RankAt(now));
            entity.StatusChangedAt = string.Equals(status, entity.Status, StringComparison.Ordinal) ? entity.StatusChangedAt : now;
            entity.Status = status;
            entity.UpdatedAt = now;

            var table = await storage.Table(TableNames.Tasks);
            try
            {
                var response = await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, token);
                entity.ETag = response.Headers.ETag ?? default;
            }
            catch (RequestFailedException e) when (Optimistic.IsLostRace(e))
            {
                if (newDescription != oldDescription)
                {
                    await texts.ForgetAsync(newDescription);
                }

                if (ifMatch is not null)
                {
                    return new Conflict($"task {ShortId.Of(Guid.Parse(entity.RowKey))} was changed since you read it; reload and try again");
                }

                throw;
            }

            if (newDescription != oldDescription)
            {
                await texts.ForgetAsync(oldDescription);
            }

            var text = changes.Description ?? await texts.LoadAsync(newDescription, token);
            return entity.ToTask(text);
        }, "the task", ct);
        if (updated.TryGet(out var task, out _))
        {
            await SignalProjectsAsync(task.WorkspaceId, projectBefore, task.ProjectId is { } after ? ShortId.Format(after) : null, ct);
        }

        return updated;
    }

    public async Task<Result<TaskItem>> DeleteAsync(Principal caller, string workspaceRef, string taskRef, string? ifMatch, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var entity = found.Entity;
        var table = await storage.Table(TableNames.Tasks);
        try
        {
            await table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, ifMatch is null ? entity.ETag : new ETag(ifMatch), ct);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return new Conflict($"task {ShortId.Of(Guid.Parse(entity.RowKey))} was changed while it was being deleted; nothing was deleted, reload and try again");
        }

        await texts.ForgetAsync(entity.StoredDescription);
        logger.LogInformation("Task {TaskId} deleted from workspace {WorkspaceId} by {Principal}", entity.RowKey, entity.PartitionKey, caller.Name);
        await projects.SignalAsync(found.Workspace.Id, entity.ProjectId, ct);
        return entity.ToTask(null);
    }

    internal async Task<Result<(Workspace Workspace, TaskEntity Entity)>> FindAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.Tasks);
        var found = await PrefixLookup.FindAsync<TaskEntity>(
            table, ShortId.Format(workspace.Id), taskRef, "task", e => $"{e.RowKey} \"{e.Title}\"", ct);
        return found.Map(entity => (workspace, entity));
    }

    /// <summary>
    /// Applies a change to one task on fresh state, conditionally on its ETag, retrying a lost race: how sessions
    /// (and later webhooks and projects) change a task without ever overwriting someone else's change.
    /// </summary>
    internal async Task<Result<TaskEntity>> ChangeAsync(Guid workspaceId, Guid taskId, Func<TaskEntity, Task<Result<Done>>> change, CancellationToken ct)
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
            if ((await change(entity)).Failure is { } failure)
            {
                return failure;
            }

            entity.UpdatedAt = clock.GetUtcNow();
            var response = await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, token);
            entity.ETag = response.Headers.ETag ?? default;
            return entity;
        }, "the task", ct);
        if (changed.TryGet(out var task, out _) && task.Status != statusBefore)
        {
            await projects.SignalAsync(workspaceId, task.ProjectId, ct);
        }

        return changed;
    }

    /// <summary>
    /// A task's pull request changed on GitHub: record it and move the task — unless a person (or anything else)
    /// moved the task after the event happened, in which case the later move wins.
    /// </summary>
    internal async Task<string> ApplyPullRequestAsync(Workspace workspace, string shortId, int number, string url, string? status, DateTimeOffset happenedAt, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Tasks);
        var found = await PrefixLookup.FindAsync<TaskEntity>(table, ShortId.Format(workspace.Id), shortId, "task", e => e.RowKey, ct);
        if (!found.TryGet(out var task, out _))
        {
            return $"ignored: no task {shortId} in this workspace";
        }

        var outcome = "";
        var changed = await ChangeAsync(workspace.Id, Guid.Parse(task.RowKey), entity =>
        {
            entity.PullRequestNumber = number;
            entity.PullRequestUrl = url;
            var target = status is null ? null : workspace.FindColumn(status);
            if (target is null || target == entity.Status)
            {
                outcome = $"task {shortId}: pull request #{number} recorded";
            }
            else if (entity.StatusChangedAt is { } moved && moved > happenedAt + GitHubTimePrecision)
            {
                outcome = $"task {shortId}: pull request #{number} recorded; not moved to {target}, it was moved after this event";
            }
            else
            {
                entity.Status = target;
                entity.Rank = RankAt(clock.GetUtcNow());
                entity.StatusChangedAt = happenedAt;
                outcome = $"task {shortId} moved to {target} (pull request #{number})";
            }

            return Task.FromResult<Result<Done>>(Done.Value);
        }, ct);
        return changed.IsSuccess ? outcome : $"ignored: {changed.Failure!.Message}";
    }

    /// <summary>GitHub's timestamps are whole seconds.</summary>
    private static readonly TimeSpan GitHubTimePrecision = TimeSpan.FromSeconds(1);

    internal async Task<string?> StatusOfAsync(Guid workspaceId, Guid taskId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Tasks);
        var found = await table.GetEntityIfExistsAsync<TaskEntity>(ShortId.Format(workspaceId), ShortId.Format(taskId), select: ["Status"], cancellationToken: ct);
        return found.HasValue ? found.Value?.Status : null;
    }

    internal async Task<string> DescriptionOfAsync(TaskEntity entity, CancellationToken ct) => await texts.LoadAsync(entity.StoredDescription, ct);

    private async Task<List<TaskItem>> QueryPartitionAsync(Workspace workspace, string? status, Priority? priority, CancellationToken ct)
    {
        var partition = ShortId.Format(workspace.Id);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        if (status is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Status eq {status}");
        }

        if (priority is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Priority eq {priority.Value.ToString()}");
        }

        var table = await storage.Table(TableNames.Tasks);
        var result = new List<TaskItem>();
        await foreach (var entity in table.QueryAsync<TaskEntity>(filter, maxPerPage: 1000, select: TaskEntity.ListColumns, cancellationToken: ct))
        {
            result.Add(entity.ToTask(null));
        }

        return result;
    }

    private static int ColumnIndex(Workspace workspace, string status)
    {
        var index = workspace.Columns.ToList().FindIndex(c => string.Equals(c, status, StringComparison.OrdinalIgnoreCase));
        return index < 0 ? int.MaxValue : index;
    }

    /// <summary>A task's change may finish (or reopen) a phase of the project it left and of the one it is in.</summary>
    private async Task SignalProjectsAsync(Guid workspaceId, string? before, string? after, CancellationToken ct)
    {
        await projects.SignalAsync(workspaceId, before, ct);
        if (after != before)
        {
            await projects.SignalAsync(workspaceId, after, ct);
        }
    }

    internal static double RankAt(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static string TextOwner(TaskEntity entity) => $"tasks/{entity.PartitionKey}/{entity.RowKey}";
}
