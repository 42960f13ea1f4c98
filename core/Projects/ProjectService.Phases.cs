using System.Text.Json;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Projects;

/// <summary>A project's phases: added, changed, moved and removed until approved, and the review gate that approves them.</summary>
public sealed partial class ProjectService
{
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
}
