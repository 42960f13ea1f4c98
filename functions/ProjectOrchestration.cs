using Konduktor.Core.Auth;
using Konduktor.Core.Projects;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Konduktor.Functions;

/// <param name="RecheckSeconds">The safety net's period: a waiting phase is re-checked this often even without a signal.</param>
public sealed record ProjectOrchestrationInput(Guid WorkspaceId, Guid ProjectId, int RecheckSeconds)
{
    public ProjectRun Run() => new(WorkspaceId, ProjectId);
}

/// <param name="PhaseId">The phase the orchestration waits on.</param>
public sealed record PhaseRef(Guid WorkspaceId, Guid ProjectId, Guid PhaseId);

/// <summary>
/// One orchestration per started project sequences its phases: it opens the first phase not approved (running its
/// ready tasks when the project has auto-run), waits until every task of the phase is Done, puts the phase up for
/// review, waits for the approval, and moves on; after the last phase it completes the project. It is woken by a
/// signal when a task of the project, an approval or the phases change, and re-checks on a durable timer in case a
/// signal was lost. Each phase (and each timer wake) continues as new, so the history stays short. Every side effect
/// is an activity over core; the orchestrator itself only decides, deterministically.
/// </summary>
public sealed class ProjectOrchestration(ProjectService projects, SessionStarts sessions)
{
    public const string Name = nameof(ProjectOrchestration);

    /// <summary>The external event core raises when something the orchestration waits on changed.</summary>
    public const string Changed = "ProjectChanged";

    /// <summary>Signals handled before the orchestration continues as new (bounds the history it replays).</summary>
    private const int SignalsPerExecution = 50;

    private static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), backoffCoefficient: 2));

    [Function(Name)]
    public static async Task<string> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context, ProjectOrchestrationInput input)
    {
        try
        {
            var step = await context.CallActivityAsync<PhaseStep>(nameof(OpenCurrentPhase), input.Run(), Retry);
            if (step.Outcome != PhaseStep.Open || step.PhaseId is not { } phaseId)
            {
                return step.Outcome;
            }

            if (step.RunReady)
            {
                await context.CallActivityAsync<int>(nameof(RunOpenPhaseTasks), input.Run(), Retry);
            }

            // The phase under way: its tasks run until all are Done, then it awaits review until approved. SyncReview
            // records the phase's review state as its tasks say (up for review when all are Done; taken back when a task
            // is added or reopened), and reports once the phase is no longer current — approved, moved or removed.
            var phase = new PhaseRef(input.WorkspaceId, input.ProjectId, phaseId);
            for (var signals = 0; signals < SignalsPerExecution; signals++)
            {
                var check = await context.CallActivityAsync<PhaseCheck>(nameof(SyncReview), phase, Retry);
                if (!check.Current || !await SignalledAsync(context, TimeSpan.FromSeconds(input.RecheckSeconds)))
                {
                    break;
                }
            }
        }
        catch (TaskFailedException)
        {
            // Storage kept failing through the retries: wait, then start over from what the tables say.
            await context.CreateTimer(TimeSpan.FromMinutes(1), CancellationToken.None);
        }

        context.ContinueAsNew(input, preserveUnprocessedEvents: true);
        return "continued";
    }

    /// <summary>Waits for a signal or the recheck timer; true when a signal came (a timer wake continues as new, which drops the waiter it left).</summary>
    private static async Task<bool> SignalledAsync(TaskOrchestrationContext context, TimeSpan recheck)
    {
        using var cancelTimer = new CancellationTokenSource();
        var signal = context.WaitForExternalEvent<object?>(Changed);
        var timer = context.CreateTimer(recheck, cancelTimer.Token);
        if (await Task.WhenAny(signal, timer) == signal)
        {
            // Synchronously: CancelAsync would resume the orchestrator off its own thread, and its next actions would be lost.
#pragma warning disable CA1849
            cancelTimer.Cancel();
#pragma warning restore CA1849
            return true;
        }

        return false;
    }

    [Function(nameof(OpenCurrentPhase))]
    public async Task<PhaseStep> OpenCurrentPhase([ActivityTrigger] ProjectRun run, CancellationToken ct) =>
        Outcome(await projects.OpenCurrentPhaseAsync(run, ct), () => new PhaseStep(PhaseStep.Stopped));

    [Function(nameof(SyncReview))]
    public async Task<PhaseCheck> SyncReview([ActivityTrigger] PhaseRef phase, CancellationToken ct) =>
        Outcome(await projects.SyncReviewAsync(new ProjectRun(phase.WorkspaceId, phase.ProjectId), phase.PhaseId, ct), () => new PhaseCheck(false, false, false, false));

    [Function(nameof(RunOpenPhaseTasks))]
    public async Task<int> RunOpenPhaseTasks([ActivityTrigger] ProjectRun run, CancellationToken ct) =>
        (await sessions.RunReadyAsync(Principal.Orchestration, run.WorkspaceId.ToString(), run.ProjectId.ToString(), ct)).TryGet(out var started, out _) ? started.Count : 0;

    /// <summary>A project deleted under the orchestration ends it; anything else that failed is retried by the orchestrator.</summary>
    private static T Outcome<T>(Result<T> result, Func<T> whenGone)
        where T : notnull =>
        result.TryGet(out var value, out var failure) ? value
        : failure is NotFound ? whenGone()
        : throw new InvalidOperationException(failure.Message);
}
