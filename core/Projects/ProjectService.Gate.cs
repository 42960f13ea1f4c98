using System.Text.Json;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Projects;

/// <summary>What the gate says and what the orchestration does: whether a task may run now, which phases block, and each step of a started project.</summary>
public sealed partial class ProjectService
{
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
                await feed.ChangedAsync(run.WorkspaceId, token);
            }

            return outcome;
        }, "the project", ct);
}
