using System.Text.Json;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Projects;

/// <summary>
/// Projects and their phases, and the rule that sequences them: a task of phase N+1 runs only once every task of
/// phases ≤ N is Done and phase N's review was approved. Tasks inside the open phase run in parallel.
/// </summary>
public sealed partial class ProjectService(WorkspaceService workspaces, StorageClients storage, TextStore texts, IProjectOrchestrations orchestrations, Tasks.BoardFeed feed, TimeProvider clock, IIdGenerator ids, ILogger<ProjectService> logger)
{
    public const int MaxPhases = 50;

    public async Task<Result<Project>> CreateAsync(Principal caller, string workspaceRef, NewProject input, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure)
            || !TaskRules.Title(input.Title).TryGet(out var title, out failure)
            || !TaskRules.Description(input.Spec).TryGet(out var spec, out failure)
            || !TaskRules.Tags(input.Tags ?? []).TryGet(out var tags, out failure))
        {
            return failure;
        }

        var phases = new List<StoredPhase>();
        foreach (var phase in input.Phases ?? [])
        {
            if (!TaskRules.Title(phase).TryGet(out var phaseTitle, out failure))
            {
                return failure;
            }

            phases.Add(new StoredPhase(ids.NewId(), phaseTitle, null, null, null));
        }

        if (phases.Count > MaxPhases)
        {
            return new TooLarge($"at most {MaxPhases} phases");
        }

        var now = clock.GetUtcNow();
        var entity = new ProjectEntity
        {
            PartitionKey = ShortId.Format(workspace.Id),
            RowKey = ShortId.Format(ids.NewId()),
            Title = title,
            Tags = JsonSerializer.Serialize(tags),
            AutoRun = input.AutoRun ?? false,
            PhaseList = phases,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var stored = await texts.SaveAsync($"projects/{entity.PartitionKey}/{entity.RowKey}", spec, ct);
        (entity.Spec, entity.SpecBlob) = (stored.Inline, stored.BlobName);
        var table = await storage.Table(TableNames.Projects);
        entity.ETag = (await table.AddEntityAsync(entity, ct)).Headers.ETag ?? default;
        logger.LogInformation("Project {ProjectId} created in workspace {WorkspaceId} by {Principal}", entity.RowKey, workspace.Id, caller.Name);
        return await ViewAsync(workspace, entity, spec, ct);
    }

    public async Task<Result<IReadOnlyList<Project>>> ListAsync(Principal caller, string workspaceRef, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.Projects);
        var projects = new List<Project>();
        await foreach (var entity in table.QueryAsync<ProjectEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspace.Id)}"), cancellationToken: ct))
        {
            projects.Add(await ViewAsync(workspace, entity, null, ct));
        }

        return projects.OrderByDescending(p => p.CreatedAt).ToList();
    }

    public async Task<Result<Project>> GetAsync(Principal caller, string workspaceRef, string projectRef, CancellationToken ct) =>
        await (await FindAsync(caller, workspaceRef, projectRef, ct)).Then(async found =>
            Result.Ok(await ViewAsync(found.Workspace, found.Entity, await texts.LoadAsync(found.Entity.StoredSpec, ct), ct)));

    public Task<Result<Project>> TagAsync(Principal caller, string workspaceRef, string projectRef, ProjectTags tags, CancellationToken ct) =>
        ChangeAsync(caller, workspaceRef, projectRef, (project, _) =>
        {
            var current = JsonSerializer.Deserialize<List<string>>(project.Tags) ?? [];
            if (!TaskRules.Tags(current.Concat(tags.Add ?? []).Except(tags.Remove ?? []).Distinct().ToList()).TryGet(out var valid, out var failure))
            {
                return failure;
            }

            project.Tags = JsonSerializer.Serialize(valid);
            return Done.Value;
        }, ct);

    /// <summary>The open phase's tasks that could run now: not Done, no session active.</summary>
    internal async Task<Result<(Workspace Workspace, IReadOnlyList<PhaseTask> Tasks)>> ReadyTasksAsync(Principal caller, string workspaceRef, string projectRef, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, projectRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var view = await ViewAsync(found.Workspace, found.Entity, null, ct);
        if (view.Status != ProjectStatus.Active)
        {
            return new Conflict($"project {view.ShortId} is {view.Status.ToString().ToLowerInvariant()}; start it first");
        }

        var open = view.Phases.FirstOrDefault(p => p.State == PhaseState.Open);
        IReadOnlyList<PhaseTask> ready = open?.Tasks.Where(t => t.Status != BoardColumns.Done && t.SessionStatus is not ("queued" or "claimed" or "running")).ToList() ?? [];
        return (found.Workspace, ready);
    }

    /// <summary>
    /// Opens the first phase (its tasks may run) and starts the project's orchestration, which sequences the rest.
    /// Starting an active project again only makes sure its orchestration runs (it is idempotent).
    /// </summary>
    public async Task<Result<Project>> StartAsync(Principal caller, string workspaceRef, string projectRef, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, projectRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var started = found.Entity.StatusValue == ProjectStatus.Active
            ? await ViewAsync(found.Workspace, found.Entity, await texts.LoadAsync(found.Entity.StoredSpec, ct), ct)
            : await ChangeAsync(caller, workspaceRef, projectRef, (project, _) =>
            {
                if (project.StatusValue != ProjectStatus.Draft)
                {
                    return new Conflict($"project {ShortId.Of(Guid.Parse(project.RowKey))} is already {project.Status.ToLowerInvariant()}");
                }

                if (project.PhaseList.Count == 0)
                {
                    return new Conflict("a project needs at least one phase to start: `konduktor projects phases add`");
                }

                project.StatusValue = ProjectStatus.Active;
                return Done.Value;
            }, ct);
        if (started.TryGet(out var view, out _))
        {
            await orchestrations.StartAsync(new ProjectRun(view.WorkspaceId, view.Id), ct);
            logger.LogInformation("Project {ProjectId} started by {Principal}", view.Id, caller.Name);
        }

        return started;
    }

    /// <summary>Resolves a project reference and a 1-based phase number to their ids, for putting a task in a phase.</summary>
    internal async Task<Result<(Guid Project, Guid Phase)>> PhaseOfAsync(Workspace workspace, string projectRef, int phase, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Projects);
        if (!(await PrefixLookup.FindAsync<ProjectEntity>(table, ShortId.Format(workspace.Id), projectRef, "project", e => $"{e.RowKey} \"{e.Title}\"", ct)).TryGet(out var project, out var failure))
        {
            return failure;
        }

        var phases = project.PhaseList;
        return phase >= 1 && phase <= phases.Count
            ? (Guid.Parse(project.RowKey), phases[phase - 1].Id)
            : new Invalid($"project {ShortId.Of(Guid.Parse(project.RowKey))} has phases 1 to {phases.Count}; there is no phase {phase}", "phase");
    }

    /// <summary>A change to the project that its orchestration must hear about (it may change what the current phase waits on).</summary>
    private async Task<Result<Project>> SignalledAsync(Principal caller, string workspaceRef, string projectRef, Func<ProjectEntity, Dictionary<Guid, List<PhaseTask>>, Result<Done>> change, CancellationToken ct)
    {
        var changed = await ChangeAsync(caller, workspaceRef, projectRef, change, ct);
        if (changed.TryGet(out var project, out _) && project.Status == ProjectStatus.Active)
        {
            await SignalAsync(project.WorkspaceId, ShortId.Format(project.Id), ct);
        }

        return changed;
    }

    private async Task<Result<(Workspace Workspace, ProjectEntity Entity)>> FindAsync(Principal caller, string workspaceRef, string projectRef, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.Projects);
        return (await PrefixLookup.FindAsync<ProjectEntity>(table, ShortId.Format(workspace.Id), projectRef, "project", e => $"{e.RowKey} \"{e.Title}\"", ct))
            .Map(entity => (workspace, entity));
    }

    private Task<Result<Project>> ChangeAsync(Principal caller, string workspaceRef, string projectRef, Func<ProjectEntity, Dictionary<Guid, List<PhaseTask>>, Task<Result<Done>>> change, CancellationToken ct) =>
        Optimistic.UpdateAsync<Project>(async token =>
        {
            if (!(await FindAsync(caller, workspaceRef, projectRef, token)).TryGet(out var found, out var failure))
            {
                return failure;
            }

            var (workspace, entity) = found;
            var tasks = await TasksByPhaseAsync(workspace.Id, entity, token);
            if ((await change(entity, tasks)).Failure is { } refused)
            {
                return refused;
            }

            entity.UpdatedAt = clock.GetUtcNow();
            var table = await storage.Table(TableNames.Projects);
            entity.ETag = (await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, token)).Headers.ETag ?? default;
            await feed.ChangedAsync(Guid.Parse(entity.PartitionKey), token); // a phase opening or closing changes which cards may run
            return await ViewAsync(workspace, entity, await texts.LoadAsync(entity.StoredSpec, token), token);
        }, "the project", ct);

    private Task<Result<Project>> ChangeAsync(Principal caller, string workspaceRef, string projectRef, Func<ProjectEntity, Dictionary<Guid, List<PhaseTask>>, Result<Done>> change, CancellationToken ct) =>
        ChangeAsync(caller, workspaceRef, projectRef, (entity, tasks) => Task.FromResult(change(entity, tasks)), ct);

    private async Task<Dictionary<Guid, List<PhaseTask>>> TasksByPhaseAsync(Guid workspaceId, ProjectEntity project, CancellationToken ct)
    {
        var byPhase = project.PhaseList.ToDictionary(p => p.Id, _ => new List<PhaseTask>());
        var table = await storage.Table(TableNames.Tasks);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspaceId)} and ProjectId eq {project.RowKey}");
        await foreach (var task in table.QueryAsync<TaskEntity>(filter, select: ["RowKey", "Title", "Status", "PhaseId", "LatestSessionStatus", "LatestSessionId", "PullRequestNumber", "PullRequestUrl", "ChecksState", "ReviewState", "CostUsd"], cancellationToken: ct))
        {
            if (task.PhaseId is { } phase && byPhase.TryGetValue(Guid.Parse(phase), out var list))
            {
                list.Add(new PhaseTask(Guid.Parse(task.RowKey), ShortId.Of(Guid.Parse(task.RowKey)), task.Title, task.Status, task.LatestSessionStatus,
                    task.PullRequestNumber, task.PullRequestUrl, task.ChecksState, task.ReviewState, (decimal)task.CostUsd, task.LatestSessionId is { } latest ? Guid.Parse(latest) : null));
            }
        }

        return byPhase;
    }

    private async Task<Project> ViewAsync(Workspace workspace, ProjectEntity entity, string? spec, CancellationToken ct)
    {
        var status = entity.StatusValue;
        var tasks = await TasksByPhaseAsync(workspace.Id, entity, ct);
        var phases = new List<PhaseView>();
        string? blocking = null;
        var openFound = false;
        var stored = entity.PhaseList;
        for (var i = 0; i < stored.Count; i++)
        {
            var phase = stored[i];
            var phaseTasks = tasks[phase.Id];
            var done = phaseTasks.Count(t => t.Status == BoardColumns.Done);
            PhaseState state;
            if (phase.ApprovedAt is not null)
            {
                state = PhaseState.Approved;
            }
            else if (status == ProjectStatus.Active && !openFound)
            {
                openFound = true;
                state = phaseTasks.Count > 0 && done == phaseTasks.Count ? PhaseState.AwaitingReview : PhaseState.Open;
                blocking = state == PhaseState.AwaitingReview
                    ? $"phase {i + 1} ({phase.Title}) awaits review: `konduktor projects approve {ShortId.Of(Guid.Parse(entity.RowKey))}`"
                    : phaseTasks.Count == 0
                        ? $"phase {i + 1} ({phase.Title}) has no tasks yet"
                        : $"phase {i + 1} ({phase.Title}) has unfinished tasks: {string.Join(", ", phaseTasks.Where(t => t.Status != BoardColumns.Done).Select(t => $"{t.ShortId} ({t.Status})"))}";
            }
            else
            {
                state = PhaseState.Waiting;
            }

            phases.Add(new PhaseView(phase.Id, i + 1, phase.Title, state, done, phaseTasks.Count, phaseTasks, phase.Description, phase.ApprovedAt, phase.ApprovalNote, phase.OpenedAt, phase.ReviewRequestedAt));
        }

        return new Project
        {
            Id = Guid.Parse(entity.RowKey),
            WorkspaceId = workspace.Id,
            Title = entity.Title,
            Spec = spec,
            Tags = JsonSerializer.Deserialize<string[]>(entity.Tags) ?? [],
            Status = status,
            AutoRun = entity.AutoRun,
            Phases = phases,
            Blocking = status == ProjectStatus.Draft ? "the project has not started"
                : status == ProjectStatus.Active && !openFound ? "every phase is approved; the project is being completed"
                : blocking,
            CreatedAt = entity.CreatedAt,
            UpdatedAt = entity.UpdatedAt,
            CompletedAt = entity.CompletedAt,
            Version = entity.ETag.ToString(),
        };
    }
}
