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
public sealed class ProjectService(WorkspaceService workspaces, StorageClients storage, TextStore texts, IProjectOrchestrations orchestrations, TimeProvider clock, IIdGenerator ids, ILogger<ProjectService> logger)
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

    public Task<Result<Project>> AddPhaseAsync(Principal caller, string workspaceRef, string projectRef, NewPhase phase, CancellationToken ct) =>
        SignalledAsync(caller, workspaceRef, projectRef, (project, _) =>
        {
            if (!TaskRules.Title(phase.Title).TryGet(out var title, out var failure)
                || !PhaseRules.Text(phase.Description, "description").TryGet(out var description, out failure))
            {
                return failure;
            }

            var phases = project.PhaseList;
            if (phases.Count >= MaxPhases)
            {
                return new TooLarge($"at most {MaxPhases} phases");
            }

            phases.Add(new StoredPhase(ids.NewId(), title, description, null, null));
            return Store(project, phases);
        }, ct);

    /// <summary>Renames, redescribes or moves a phase that has not been approved (approved history stays as it was).</summary>
    public Task<Result<Project>> UpdatePhaseAsync(Principal caller, string workspaceRef, string projectRef, int number, PhaseChanges changes, CancellationToken ct) =>
        SignalledAsync(caller, workspaceRef, projectRef, (project, _) =>
        {
            if (PhaseRules.Text(changes.Description, "description").Failure is { } tooLong)
            {
                return tooLong;
            }

            var phases = project.PhaseList;
            if (number < 1 || number > phases.Count)
            {
                return new NotFound($"project {ShortId.Of(Guid.Parse(project.RowKey))} has no phase {number}");
            }

            var phase = phases[number - 1];
            var firstMovable = phases.FindIndex(p => p.ApprovedAt is null) + 1;
            if (phase.ApprovedAt is not null || (changes.MoveTo is { } target && (target < firstMovable || target > phases.Count)))
            {
                return new Conflict(phase.ApprovedAt is not null
                    ? $"phase {number} was approved; approved phases do not change"
                    : $"a phase can move between {firstMovable} and {phases.Count} (approved phases keep their place)");
            }

            var title = phase.Title;
            if (changes.Title is not null && !TaskRules.Title(changes.Title).TryGet(out title, out var failure))
            {
                return failure;
            }

            phases.RemoveAt(number - 1);
            phases.Insert((changes.MoveTo ?? number) - 1, phase with { Title = title, Description = changes.Description ?? phase.Description });
            return Store(project, phases);
        }, ct);

    /// <summary>Removes a phase with no tasks that has not been approved.</summary>
    public Task<Result<Project>> RemovePhaseAsync(Principal caller, string workspaceRef, string projectRef, int number, CancellationToken ct) =>
        SignalledAsync(caller, workspaceRef, projectRef, (project, tasks) =>
        {
            var phases = project.PhaseList;
            if (number < 1 || number > phases.Count)
            {
                return new NotFound($"project {ShortId.Of(Guid.Parse(project.RowKey))} has no phase {number}");
            }

            var phase = phases[number - 1];
            if (phase.ApprovedAt is not null || tasks[phase.Id].Count > 0)
            {
                return new Conflict(phase.ApprovedAt is not null
                    ? $"phase {number} was approved; it stays"
                    : $"phase {number} has tasks ({string.Join(", ", tasks[phase.Id].Select(t => t.ShortId))}); move or delete them first");
            }

            phases.RemoveAt(number - 1);
            project.PhaseList = phases;
            return Done.Value;
        }, ct);

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

    /// <summary>The review gate: approves the open phase once all its tasks are Done, which opens the next one.</summary>
    public Task<Result<Project>> ApproveAsync(Principal caller, string workspaceRef, string projectRef, Approval approval, CancellationToken ct) =>
        SignalledAsync(caller, workspaceRef, projectRef, (project, tasksByPhase) =>
        {
            if (PhaseRules.Text(approval.Note, "approval note").Failure is { } tooLong)
            {
                return tooLong;
            }

            if (project.StatusValue != ProjectStatus.Active)
            {
                return new Conflict($"project {ShortId.Of(Guid.Parse(project.RowKey))} is {project.Status.ToLowerInvariant()}; only an active project's phases are reviewed");
            }

            var phases = project.PhaseList;
            var open = phases.FindIndex(p => p.ApprovedAt is null);
            if (open < 0)
            {
                return new Conflict($"every phase of project {ShortId.Of(Guid.Parse(project.RowKey))} is approved; it is being completed");
            }

            if (approval.Phase is { } number && number != open + 1)
            {
                return new Conflict($"phase {number} is not the one under review; phase {open + 1} ({phases[open].Title}) is");
            }

            var unfinished = tasksByPhase[phases[open].Id].Where(t => t.Status != BoardColumns.Done).ToList();
            if (unfinished.Count > 0 || tasksByPhase[phases[open].Id].Count == 0)
            {
                return new Conflict(unfinished.Count == 0
                    ? $"phase {open + 1} has no tasks yet; add tasks before approving it"
                    : $"phase {open + 1} is not finished: {string.Join(", ", unfinished.Select(t => $"{t.ShortId} ({t.Status})"))}");
            }

            phases[open] = phases[open] with { ApprovedAt = clock.GetUtcNow(), ApprovalNote = approval.Note };
            return Store(project, phases);
        }, ct);

    /// <summary>Keeps the changed phases on the project, when they fit in its row.</summary>
    private static Result<Done> Store(ProjectEntity project, List<StoredPhase> phases)
    {
        if (PhaseRules.Fit(phases).Failure is { } tooLarge)
        {
            return tooLarge;
        }

        project.PhaseList = phases;
        return Done.Value;
    }

    /// <summary>Whether a task may run now; the refusal names the blocking tasks or gate.</summary>
    internal async Task<Result<Done>> MayRunAsync(Workspace workspace, TaskEntity task, CancellationToken ct)
    {
        if (task.ProjectId is null)
        {
            return Done.Value;
        }

        var table = await storage.Table(TableNames.Projects);
        var found = await table.GetEntityIfExistsAsync<ProjectEntity>(ShortId.Format(workspace.Id), task.ProjectId, cancellationToken: ct);
        if (!found.HasValue || found.Value is not { } project)
        {
            return Done.Value;
        }

        var view = await ViewAsync(workspace, project, null, ct);
        var mine = view.Phases.FirstOrDefault(p => ShortId.Format(p.Id) == task.PhaseId);
        if (project.StatusValue == ProjectStatus.Draft)
        {
            return new Conflict($"project {view.ShortId} ({view.Title}) has not started: `konduktor projects start {view.ShortId}`");
        }

        if (mine is null || mine.State is PhaseState.Open or PhaseState.AwaitingReview or PhaseState.Approved)
        {
            return Done.Value;
        }

        return new Conflict($"task {ShortId.Of(Guid.Parse(task.RowKey))} is in phase {mine.Number} of project {view.ShortId}, which has not opened: {view.Blocking}");
    }

    /// <summary>For the board: each phase whose tasks may not run yet, with the reason in words (one partition query).</summary>
    internal async Task<Dictionary<Guid, string>> BlockedPhasesAsync(Workspace workspace, CancellationToken ct)
    {
        var blocked = new Dictionary<Guid, string>();
        var table = await storage.Table(TableNames.Projects);
        await foreach (var project in table.QueryAsync<ProjectEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspace.Id)}"), select: ["RowKey", "Title", "Status", "Phases"], cancellationToken: ct))
        {
            var phases = project.PhaseList;
            var open = phases.FindIndex(p => p.ApprovedAt is null);
            for (var i = 0; i < phases.Count; i++)
            {
                if (project.StatusValue == ProjectStatus.Draft)
                {
                    blocked[phases[i].Id] = $"project {project.Title} has not started";
                }
                else if (project.StatusValue == ProjectStatus.Active && open >= 0 && i > open)
                {
                    blocked[phases[i].Id] = $"waits for phase {open + 1} ({phases[open].Title}) of {project.Title} to be done and approved";
                }
            }
        }

        return blocked;
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

    /// <summary>Tells a project's orchestration that something it waits on changed. Never fails the caller's change:
    /// a lost signal costs only time, as the orchestration re-checks on a durable timer.</summary>
    internal async Task SignalAsync(Guid workspaceId, string? projectId, CancellationToken ct)
    {
        if (projectId is null)
        {
            return;
        }

        try
        {
            await orchestrations.SignalAsync(new ProjectRun(workspaceId, Guid.Parse(projectId)), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not signal the orchestration of project {ProjectId}; its timer will notice the change", projectId);
        }
    }

    /// <summary>
    /// The orchestration's step at the start of each phase: finds the first phase not approved and marks it opened
    /// (once). Returns what the orchestration should do next: wait on that phase, or stop — the project completed
    /// (it is marked so here, once every phase is approved) or is no longer active.
    /// </summary>
    public Task<Result<PhaseStep>> OpenCurrentPhaseAsync(ProjectRun run, CancellationToken ct) =>
        StepAsync(run, (project, tasks, now) =>
        {
            if (project.StatusValue != ProjectStatus.Active)
            {
                return (false, new PhaseStep(project.StatusValue == ProjectStatus.Completed ? PhaseStep.Completed : PhaseStep.Stopped));
            }

            var phases = project.PhaseList;
            var open = phases.FindIndex(p => p.ApprovedAt is null);
            if (open < 0)
            {
                project.StatusValue = ProjectStatus.Completed;
                project.CompletedAt = now;
                return (true, new PhaseStep(PhaseStep.Completed));
            }

            var opened = phases[open].OpenedAt is null;
            if (opened)
            {
                phases[open] = phases[open] with { OpenedAt = now };
                project.PhaseList = phases;
            }

            return (opened, new PhaseStep(PhaseStep.Open, phases[open].Id, open + 1, project.AutoRun && opened));
        }, ct);

    /// <summary>Puts the phase up for review (records when) if all its tasks are Done; takes it back down if they no longer are.</summary>
    public Task<Result<PhaseCheck>> SyncReviewAsync(ProjectRun run, Guid phaseId, CancellationToken ct) =>
        StepAsync(run, (project, tasks, now) =>
        {
            var check = Check(project, tasks, phaseId);
            if (!check.Current || check.Approved || check.AllDone == check.ReviewRequested)
            {
                return (false, check);
            }

            var phases = project.PhaseList;
            var index = phases.FindIndex(p => p.Id == phaseId);
            phases[index] = phases[index] with { ReviewRequestedAt = check.AllDone ? now : null };
            project.PhaseList = phases;
            return (true, check with { ReviewRequested = check.AllDone });
        }, ct);

    private static PhaseCheck Check(ProjectEntity project, Dictionary<Guid, List<PhaseTask>> tasks, Guid phaseId)
    {
        var phases = project.PhaseList;
        var index = phases.FindIndex(p => p.Id == phaseId);
        var current = project.StatusValue == ProjectStatus.Active && index >= 0 && index == phases.FindIndex(p => p.ApprovedAt is null);
        if (index < 0)
        {
            return new PhaseCheck(false, false, false, false);
        }

        var phase = phases[index];
        var phaseTasks = tasks[phaseId];
        var allDone = phaseTasks.Count > 0 && phaseTasks.All(t => t.Status == BoardColumns.Done);
        return new PhaseCheck(current, allDone, phase.ApprovedAt is not null, phase.ReviewRequestedAt is not null);
    }

    /// <summary>Reads the project and its tasks, applies one idempotent step, and writes only when the step changed something.</summary>
    private Task<Result<T>> StepAsync<T>(ProjectRun run, Func<ProjectEntity, Dictionary<Guid, List<PhaseTask>>, DateTimeOffset, (bool Changed, T Outcome)> step, CancellationToken ct) =>
        Optimistic.UpdateAsync<T>(async token =>
        {
            var table = await storage.Table(TableNames.Projects);
            var found = await table.GetEntityIfExistsAsync<ProjectEntity>(ShortId.Format(run.WorkspaceId), ShortId.Format(run.ProjectId), cancellationToken: token);
            if (!found.HasValue || found.Value is not { } entity)
            {
                return new NotFound($"project {ShortId.Of(run.ProjectId)} no longer exists");
            }

            var now = clock.GetUtcNow();
            var (changed, outcome) = step(entity, await TasksByPhaseAsync(run.WorkspaceId, entity, token), now);
            if (changed)
            {
                entity.UpdatedAt = now;
                await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, token);
            }

            return outcome;
        }, "the project", ct);

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
            return await ViewAsync(workspace, entity, await texts.LoadAsync(entity.StoredSpec, token), token);
        }, "the project", ct);

    private Task<Result<Project>> ChangeAsync(Principal caller, string workspaceRef, string projectRef, Func<ProjectEntity, Dictionary<Guid, List<PhaseTask>>, Result<Done>> change, CancellationToken ct) =>
        ChangeAsync(caller, workspaceRef, projectRef, (entity, tasks) => Task.FromResult(change(entity, tasks)), ct);

    private async Task<Dictionary<Guid, List<PhaseTask>>> TasksByPhaseAsync(Guid workspaceId, ProjectEntity project, CancellationToken ct)
    {
        var byPhase = project.PhaseList.ToDictionary(p => p.Id, _ => new List<PhaseTask>());
        var table = await storage.Table(TableNames.Tasks);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspaceId)} and ProjectId eq {project.RowKey}");
        await foreach (var task in table.QueryAsync<TaskEntity>(filter, select: ["RowKey", "Title", "Status", "PhaseId", "LatestSessionStatus"], cancellationToken: ct))
        {
            if (task.PhaseId is { } phase && byPhase.TryGetValue(Guid.Parse(phase), out var list))
            {
                list.Add(new PhaseTask(Guid.Parse(task.RowKey), ShortId.Of(Guid.Parse(task.RowKey)), task.Title, task.Status, task.LatestSessionStatus));
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
