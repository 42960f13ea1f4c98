namespace Konduktor.Core.Projects;

/// <summary>A started project, as its orchestration knows it (the orchestration's input).</summary>
public sealed record ProjectRun(Guid WorkspaceId, Guid ProjectId)
{
    /// <summary>One orchestration instance per project, so starting twice never runs two.</summary>
    public static string InstanceIdOf(Guid projectId) => $"project-{projectId:N}";
}

/// <summary>What the orchestration does after opening the current phase.</summary>
/// <param name="Outcome"><see cref="Open"/>: wait on <paramref name="PhaseId"/>; <see cref="Completed"/> or <see cref="Stopped"/>: the orchestration ends.</param>
/// <param name="RunReady">The phase was opened just now and the project has auto-run: run its ready tasks.</param>
public sealed record PhaseStep(string Outcome, Guid? PhaseId = null, int? Number = null, bool RunReady = false)
{
    public const string Open = "open";
    public const string Completed = "completed";
    public const string Stopped = "stopped";
}

/// <param name="Current">Still the phase under way (not approved, not moved behind another, project still active).</param>
/// <param name="AllDone">It has tasks and every one is Done.</param>
/// <param name="ReviewRequested">The orchestration has put it up for review.</param>
public sealed record PhaseCheck(bool Current, bool AllDone, bool Approved, bool ReviewRequested);

/// <summary>
/// The engine that sequences started projects: one Durable orchestration per project (the Functions app's
/// <c>ProjectOrchestration</c>; under <c>konduktor up</c> the same code on the Durable Task Framework against Azurite).
/// Core starts it and signals it when something it waits on changes (a task of the project, an approval, the phases).
/// </summary>
public interface IProjectOrchestrations
{
    /// <summary>Starts the project's orchestration unless it already runs.</summary>
    Task StartAsync(ProjectRun run, CancellationToken ct);

    /// <summary>Wakes the project's orchestration to re-check its phase.</summary>
    Task SignalAsync(ProjectRun run, CancellationToken ct);
}
