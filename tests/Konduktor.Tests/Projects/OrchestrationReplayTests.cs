using Azure.Data.Tables;
using DurableTask.Core;
using DurableTask.Core.History;
using Konduktor.Core;
using Konduktor.Core.Projects;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Projects;

/// <summary>
/// The project orchestration on the real engine (the Durable Task Framework's Azure Storage backend on Azurite, run in
/// process as `up` runs it): its persisted history replays on a fresh engine without diverging or repeating a step,
/// the durable timer catches a change nobody signalled, and the open phase follows tasks added and removed.
/// </summary>
public sealed class OrchestrationReplayTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_fresh_engine_replays_the_stored_history_without_repeating_a_step_and_carries_on_from_where_it_was()
    {
        var engine = await EngineHarness.StartAsync(azurite);
        var prefix = engine.Prefix;
        Konduktor.Core.Workspaces.Workspace workspace;
        Project project;
        TaskItem task;
        IReadOnlyList<(EventType Type, string? Name)> before;
        try
        {
            workspace = await engine.NewWorkspaceAsync();
            project = (await engine.Projects.CreateAsync(engine.Person, workspace.Name, new NewProject { Title = "Replay", Phases = ["One", "Two"] }, Ct)).Value!;
            task = (await engine.Tasks.CreateAsync(engine.Person, workspace.Name, new NewTask { Title = "Only", Project = project.ShortId, Phase = 1 }, Ct)).Value!;
            await engine.Tasks.CreateAsync(engine.Person, workspace.Name, new NewTask { Title = "Later", Project = project.ShortId, Phase = 2 }, Ct);
            await engine.Projects.StartAsync(engine.Person, workspace.Name, project.ShortId, Ct);
            await engine.WaitForAsync(workspace, project, p => p.Phases[0].OpenedAt is not null, "phase 1 to open");
            before = await Eventually.WaitAsync(async () => (await engine.OrchestrationAsync(project)).History is var h && h.Any(e => e.Type == EventType.TimerCreated) ? h : null, "the orchestration to wait on phase 1");
        }
        finally
        {
            await engine.DisposeAsync();
        }

        await using var restarted = await EngineHarness.StartAsync(azurite, prefix);
        var executionBefore = (await restarted.OrchestrationAsync(project)).State.OrchestrationInstance.ExecutionId;
        await restarted.Tasks.MoveAsync(restarted.Person, workspace.Name, task.ShortId, "Done", null, null, Ct);
        var awaiting = await restarted.WaitForAsync(workspace, project, p => p.Phases[0].ReviewRequestedAt is not null, "phase 1 to be put up for review");
        var (state, after) = await restarted.OrchestrationAsync(project);

        Assert.Equal(OrchestrationStatus.Running, state.OrchestrationStatus);
        Assert.Equal(executionBefore, state.OrchestrationInstance.ExecutionId);
        Assert.Equal(before.Where(e => e.Type != EventType.OrchestratorCompleted), after.Take(before.Count).Where(e => e.Type != EventType.OrchestratorCompleted));
        Assert.Equal(1, after.Count(e => e.Type == EventType.TaskScheduled && e.Name == nameof(Konduktor.Functions.ProjectOrchestration.OpenCurrentPhase)));
        Assert.Equal(2, after.Count(e => e.Type == EventType.TaskScheduled && e.Name == nameof(Konduktor.Functions.ProjectOrchestration.SyncReview)));
        Assert.Equal(PhaseState.AwaitingReview, awaiting.Phases[0].State);

        await restarted.Projects.ApproveAsync(restarted.Person, workspace.Name, project.ShortId, new Approval(1), Ct);
        var opened = await restarted.WaitForAsync(workspace, project, p => p.Phases[1].OpenedAt is not null, "phase 2 to open");
        var (next, _) = await restarted.OrchestrationAsync(project);
        Assert.Equal(PhaseState.Open, opened.Phases[1].State);
        Assert.NotEqual(executionBefore, next.OrchestrationInstance.ExecutionId);
        Assert.Equal(OrchestrationStatus.Running, next.OrchestrationStatus);
    }

    [Fact]
    public async Task The_durable_timer_notices_a_change_that_was_never_signalled()
    {
        await using var engine = await EngineHarness.StartAsync(azurite, recheckSeconds: 1);
        var workspace = await engine.NewWorkspaceAsync();
        var project = (await engine.Projects.CreateAsync(engine.Person, workspace.Name, new NewProject { Title = "Quiet", Phases = ["One"] }, Ct)).Value!;
        var task = (await engine.Tasks.CreateAsync(engine.Person, workspace.Name, new NewTask { Title = "Silent", Project = project.ShortId, Phase = 1 }, Ct)).Value!;
        await engine.Projects.StartAsync(engine.Person, workspace.Name, project.ShortId, Ct);
        await engine.WaitForAsync(workspace, project, p => p.Phases[0].OpenedAt is not null, "the phase to open");

        var tasks = await engine.Storage.Table(TableNames.Tasks);
        var entity = (await tasks.GetEntityAsync<TableEntity>(ShortId.Format(workspace.Id), ShortId.Format(task.Id), cancellationToken: Ct)).Value;
        entity["Status"] = "Done";
        await tasks.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Merge, Ct);

        var awaiting = await engine.WaitForAsync(workspace, project, p => p.Phases[0].ReviewRequestedAt is not null, "the timer's re-check to put the phase up for review");
        Assert.Equal(PhaseState.AwaitingReview, awaiting.Phases[0].State);
    }

    [Fact]
    public async Task A_task_added_to_a_phase_under_review_takes_the_review_back_and_removing_it_brings_the_review_again()
    {
        await using var engine = await EngineHarness.StartAsync(azurite);
        var workspace = await engine.NewWorkspaceAsync();
        var project = (await engine.Projects.CreateAsync(engine.Person, workspace.Name, new NewProject { Title = "Edits", Phases = ["One", "Two"] }, Ct)).Value!;
        await engine.Tasks.CreateAsync(engine.Person, workspace.Name, new NewTask { Title = "Finished", Project = project.ShortId, Phase = 1, Status = "Done" }, Ct);
        await engine.Projects.StartAsync(engine.Person, workspace.Name, project.ShortId, Ct);
        await engine.WaitForAsync(workspace, project, p => p.Phases[0].ReviewRequestedAt is not null, "the finished phase to be put up for review");

        var late = (await engine.Tasks.CreateAsync(engine.Person, workspace.Name, new NewTask { Title = "Forgotten", Project = project.ShortId, Phase = 1 }, Ct)).Value!;
        var reopened = await engine.WaitForAsync(workspace, project, p => p.Phases[0].ReviewRequestedAt is null, "the review to be taken back");
        var refused = await engine.Projects.ApproveAsync(engine.Person, workspace.Name, project.ShortId, new Approval(1), Ct);
        await engine.Tasks.DeleteAsync(engine.Person, workspace.Name, late.ShortId, null, Ct);
        var again = await engine.WaitForAsync(workspace, project, p => p.Phases[0].ReviewRequestedAt is not null, "the review to come back");

        Assert.Equal(PhaseState.Open, reopened.Phases[0].State);
        Assert.Contains(late.ShortId, refused.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(PhaseState.AwaitingReview, again.Phases[0].State);
        Assert.Null(again.Phases[1].OpenedAt);
    }
}
