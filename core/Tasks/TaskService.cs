using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Tasks;

public sealed partial class TaskService(WorkspaceService workspaces, Projects.ProjectService projects, TaskDependencies dependencies, Quota.AccountLimits accountLimits, BoardFeed feed, Sessions.ActiveSessions activeSessions, GitHub.GitHubWork work, StorageClients storage, TextStore texts, TimeProvider clock, IIdGenerator ids, ILogger<TaskService> logger)
{
    public async Task<Result<TaskItem>> CreateAsync(Principal caller, string workspaceRef, NewTask input, CancellationToken ct) =>
        (await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure)
            ? await CreateAsync(caller, workspace, input, ids.NewId(), null, ct)
            : failure;

    /// <summary>Makes the task of a followed issue with the id chosen for it: false when it was made already (by another host, or a redelivery).</summary>
    internal async Task<bool> CreateFromIssueAsync(Workspace workspace, Guid id, NewTask input, int issueNumber, string issueUrl, CancellationToken ct)
    {
        var created = await CreateAsync(Principal.Konduktor("issues"), workspace, input, id, (issueNumber, issueUrl), ct);
        return created.IsSuccess ? true
            : created.Failure is Conflict ? false
            : throw new InvalidOperationException($"the task of issue #{issueNumber} could not be made: {created.Failure!.Message}");
    }

    private async Task<Result<TaskItem>> CreateAsync(Principal caller, Workspace workspace, NewTask input, Guid id, (int Number, string Url)? issue, CancellationToken ct)
    {
        if (!TaskRules.Title(input.Title).TryGet(out var title, out var failure)
            || !TaskRules.Description(input.Description).TryGet(out var description, out failure)
            || !TaskRules.Tags(input.Tags ?? []).TryGet(out var tags, out failure)
            || !TaskRules.Status(workspace, input.Status ?? TaskRules.DefaultStatus).TryGet(out var status, out failure))
        {
            return failure;
        }

        if (!(await MembershipAsync(workspace, input.Project, input.Phase, ct)).TryGet(out var membership, out failure))
        {
            return failure;
        }

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
            IssueNumber = issue?.Number,
            IssueUrl = issue?.Url,
        };
        if (input.AutoRun == true && Policy.Authorize(caller, Act.RunTasks).Failure is { } refused)
        {
            return refused;
        }

        if (!(await dependencies.ResolveAsync(workspace, entity, input.BlockedBy ?? [], ct)).TryGet(out var blockers, out failure))
        {
            return failure;
        }

        (entity.BlockedBy, entity.AutoRun) = (TaskDependencies.Store(blockers), input.AutoRun == true);
        await dependencies.LinkAsync(workspace.Id, id, blockers, entity.AutoRun, ct);
        var stored = await texts.SaveAsync(TextOwner(entity), description, ct);
        (entity.Description, entity.DescriptionBlob) = (stored.Inline, stored.BlobName);

        var table = await storage.Table(TableNames.Tasks);
        try
        {
            var response = await table.AddEntityAsync(entity, ct);
            entity.ETag = response.Headers.ETag ?? default;
            await feed.ChangedAsync(Guid.Parse(entity.PartitionKey), ct);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            await texts.ForgetAsync(stored);
            return new Conflict($"a task with id {entity.RowKey} already exists");
        }

        logger.LogInformation("Task {TaskId} created in workspace {WorkspaceId} by {Principal}", id, workspace.Id, caller.Name);
        await projects.SignalAsync(workspace.Id, entity.ProjectId, ct);
        if (entity.AutoRun)
        {
            await dependencies.MayUnblockAsync(workspace.Id, id, ct);
        }

        return TaskDependencies.WithBlockers(entity.ToTask(description), await dependencies.UnfinishedAsync(workspace.Id, blockers, ct));
    }

    /// <summary>The project phase a new task joins: none, or both a project and a phase that exist.</summary>
    private async Task<Result<(Guid Project, Guid Phase)?>> MembershipAsync(Workspace workspace, string? project, int? phase, CancellationToken ct)
    {
        if (project is null && phase is null)
        {
            return Result.Ok<(Guid Project, Guid Phase)?>(null);
        }

        if (project is null || phase is null)
        {
            return new Invalid("give both a project and a phase (--project ID --phase N)", "phase");
        }

        return (await projects.PhaseOfAsync(workspace, project, phase.Value, ct)).Map(found => ((Guid Project, Guid Phase)?)found);
    }

    public async Task<Result<TaskItem>> GetAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var task = found.Entity.ToTask(await texts.LoadAsync(found.Entity.StoredDescription, ct));
        task = task.PhaseId is { } phase && (await projects.BlockedPhasesAsync(found.Workspace, ct)).TryGetValue(phase, out var reason)
            ? task with { Blocked = reason }
            : task;
        return TaskDependencies.WithBlockers(task, await dependencies.UnfinishedAsync(found.Workspace.Id, task.BlockedBy, ct));
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
        // The whole board was read: what a task waits for is in it (a filtered read would miss blockers in other columns).
        return (status is null && filter.Priority is null ? TaskDependencies.MarkBlocked(tasks) : tasks)
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

        // The cursor first: a change made while the board is read wakes the board's feed after it, never before.
        var cursor = feed.CursorOf(workspace.Id);
        var readBlocked = projects.BlockedPhasesAsync(workspace, ct);
        var readActive = activeSessions.OfWorkspaceAsync(workspace.Id, ct);
        var tasks = await QueryPartitionAsync(workspace, null, null, ct);
        var (blocked, active) = (await readBlocked, await readActive);
        var byColumn = TaskDependencies.MarkBlocked(tasks)
            .Select(t => t.PhaseId is { } phase && blocked.TryGetValue(phase, out var reason) ? t with { Blocked = reason } : t)
            .Select(t => t.LatestSession is { Active: true } session && active.TryGetValue(session.Id, out var now)
                ? t with { LatestSession = session with { Since = now.Since, Activity = now.Activity, ActivityAt = now.ActivityAt } }
                : t)
            .ToLookup(t => t.Status, StringComparer.OrdinalIgnoreCase);
        var columns = workspace.Columns
            .Select(column => new BoardColumn(column, byColumn[column].OrderBy(t => t.Rank).ToList()))
            .ToList();
        return new Board(workspace.Id, workspace.Name, columns, await accountLimits.CurrentAsync(ct), cursor);
    }

    public async Task<Result<TaskItem>> DeleteAsync(Principal caller, string workspaceRef, string taskRef, string? ifMatch, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var entity = found.Entity;
        if (entity.ActiveSessionId is { } activeId && await IsActiveAsync(found.Workspace.Id, Guid.Parse(activeId), ct))
        {
            var shortId = ShortId.Of(Guid.Parse(entity.RowKey));
            return new Conflict($"task {shortId} has an active session {ShortId.Of(Guid.Parse(activeId))}: an agent is working on it; stop it first (konduktor tasks stop {shortId}), then delete the task");
        }

        var table = await storage.Table(TableNames.Tasks);
        try
        {
            await table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, ifMatch is null ? entity.ETag : new ETag(ifMatch), ct);
            await feed.ChangedAsync(Guid.Parse(entity.PartitionKey), ct);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return new Conflict($"task {ShortId.Of(Guid.Parse(entity.RowKey))} was changed while it was being deleted; nothing was deleted, reload and try again");
        }

        await texts.ForgetAsync(entity.StoredDescription);
        await dependencies.BlockerFinishedAsync(found.Workspace.Id, Guid.Parse(entity.RowKey), ct);
        logger.LogInformation("Task {TaskId} deleted from workspace {WorkspaceId} by {Principal}", entity.RowKey, entity.PartitionKey, caller.Name);
        await projects.SignalAsync(found.Workspace.Id, entity.ProjectId, ct);
        return entity.ToTask(null);
    }

    /// <summary>Whether the session a task points at has not ended (a pointer left behind by a crash is no reason to refuse).</summary>
    private async Task<bool> IsActiveAsync(Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Sessions);
        var found = await table.GetEntityIfExistsAsync<Sessions.SessionEntity>(ShortId.Format(workspaceId), ShortId.Format(sessionId), ["Status"], ct);
        return found.HasValue && Sessions.SessionStates.IsActive(found.Value!.StatusValue);
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

    internal async Task<string?> StatusOfAsync(Guid workspaceId, Guid taskId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Tasks);
        var found = await table.GetEntityIfExistsAsync<TaskEntity>(ShortId.Format(workspaceId), ShortId.Format(taskId), select: ["Status"], cancellationToken: ct);
        return found.HasValue ? found.Value?.Status : null;
    }

    /// <summary>The session the task points at as active, or null (none, or the task is gone).</summary>
    internal async Task<Guid?> ActiveSessionIdAsync(Guid workspaceId, Guid taskId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Tasks);
        var found = await table.GetEntityIfExistsAsync<TaskEntity>(ShortId.Format(workspaceId), ShortId.Format(taskId), select: ["ActiveSessionId"], cancellationToken: ct);
        return found.HasValue && found.Value?.ActiveSessionId is { } id ? Guid.Parse(id) : null;
    }

    /// <summary>The task's title, or null when it is gone.</summary>
    internal async Task<string?> TitleOfAsync(Guid workspaceId, Guid taskId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Tasks);
        var found = await table.GetEntityIfExistsAsync<TaskEntity>(ShortId.Format(workspaceId), ShortId.Format(taskId), select: ["Title"], cancellationToken: ct);
        return found.HasValue ? found.Value?.Title : null;
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

/// <summary>What a change to a task decided: save the edited entity, or keep the task as it was.</summary>
internal enum TaskEdit
{
    Save,
    Keep,
}
