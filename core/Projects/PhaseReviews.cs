using Konduktor.Core.Auth;
using Konduktor.Core.Changes;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;

namespace Konduktor.Core.Projects;

/// <summary>
/// What a person reviews before approving a phase: its tasks' changes as one (files across tasks, lines, commits) and
/// each task's final words; read from the change sets runners keep after each session and the tasks' latest sessions.
/// </summary>
public sealed class PhaseReviews(ProjectService projects, ChangeSets changes, SessionReads sessions)
{
    public async Task<Result<PhaseReview>> ReviewAsync(Principal caller, string workspaceRef, string projectRef, int number, CancellationToken ct)
    {
        if (!(await projects.GetAsync(caller, workspaceRef, projectRef, ct)).TryGet(out var project, out var failure))
        {
            return failure;
        }

        if (project.Phases.FirstOrDefault(p => p.Number == number) is not { } phase)
        {
            return new NotFound($"project {project.ShortId} has no phase {number}: it has {project.Phases.Count}");
        }

        var workspace = ShortId.Format(project.WorkspaceId);
        var tasks = await Task.WhenAll(phase.Tasks.Select(async task =>
        {
            var changed = await changes.GetAsync(caller, workspace, task.ShortId, ct);
            var summary = task.LatestSessionId is { } latest && (await sessions.GetAsync(caller, workspace, ShortId.Format(latest), ct)).TryGet(out var session, out _)
                ? session.Outcome?.Result
                : null;
            return new PhaseTaskReview(task.Id, task.ShortId, task.Title, task.Status, summary, task.CostUsd, changed.IsSuccess ? changed.Value! with { Diff = "" } : null);
        }));
        var files = tasks
            .SelectMany(t => (t.Changes?.Files ?? []).Select(f => (Task: t.ShortId, File: f)))
            .GroupBy(x => x.File.Path, StringComparer.Ordinal)
            .Select(g => new PhaseFile(g.Key, Sum(g.Select(x => x.File.Added)), Sum(g.Select(x => x.File.Removed)), [.. g.Select(x => x.Task).Distinct()]))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        return new PhaseReview(project.Id, phase.Number, phase.Title, phase.State, files, files.Sum(f => f.Added ?? 0), files.Sum(f => f.Removed ?? 0),
            tasks.Sum(t => t.Changes?.Commits.Count ?? 0), tasks);
    }

    /// <summary>Lines added (or removed) across tasks; null when a task's change of the file is binary.</summary>
    private static int? Sum(IEnumerable<int?> lines) => lines.Aggregate((int?)0, (sum, n) => sum is null || n is null ? null : sum + n);
}
