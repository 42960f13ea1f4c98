using Konduktor.Core.Projects;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Projects;

/// <summary>The phase gate, in core on real storage: no task of a later phase runs before the earlier ones are done and approved.</summary>
public sealed class ProjectRulesTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_later_phase_runs_only_after_every_earlier_task_is_done_and_the_review_approved()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var project = (await core.Projects.CreateAsync(core.Person, workspace.Name, new NewProject { Title = "Checkout", Phases = ["Model", "UI"] }, Ct)).Value!;
        async Task<TaskItem> TaskIn(int phase, string title) =>
            (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = title, Project = project.ShortId, Phase = phase }, Ct)).Value!;
        var model1 = await TaskIn(1, "Cart model");
        var model2 = await TaskIn(1, "Price model");
        var ui = await TaskIn(2, "Cart page");

        var beforeStart = await core.Starts.RunTaskAsync(core.Person, workspace.Name, model1.ShortId, Ct);
        Assert.Contains("has not started", Assert.IsType<Conflict>(beforeStart.Failure).Message, StringComparison.Ordinal);
        Assert.True((await core.Projects.StartAsync(core.Person, workspace.Name, project.ShortId, Ct)).IsSuccess);

        Assert.True((await core.Starts.RunTaskAsync(core.Person, workspace.Name, model1.ShortId, Ct)).IsSuccess);
        Assert.True((await core.Starts.RunTaskAsync(core.Person, workspace.Name, model2.ShortId, Ct)).IsSuccess);
        Assert.Contains("waits for phase 1 (Model)", (await core.Tasks.GetAsync(core.Person, workspace.Name, ui.ShortId, Ct)).Value!.Blocked, StringComparison.Ordinal);
        var early = await core.Starts.RunTaskAsync(core.Person, workspace.Name, ui.ShortId, Ct);
        var refusal = Assert.IsType<Conflict>(early.Failure).Message;
        Assert.Contains("phase 2", refusal, StringComparison.Ordinal);
        Assert.Contains(model1.ShortId, refusal, StringComparison.Ordinal);
        Assert.Contains(model2.ShortId, refusal, StringComparison.Ordinal);

        Assert.Contains("not finished", Assert.IsType<Conflict>((await core.Projects.ApproveAsync(core.Person, workspace.Name, project.ShortId, new Approval(), Ct)).Failure).Message, StringComparison.Ordinal);
        foreach (var task in new[] { model1, model2 })
        {
            await core.Tasks.MoveAsync(core.Person, workspace.Name, task.ShortId, "Done", null, null, Ct);
        }

        var awaiting = (await core.Projects.GetAsync(core.Person, workspace.Name, project.ShortId, Ct)).Value!;
        Assert.Equal(PhaseState.AwaitingReview, awaiting.Phases[0].State);
        Assert.Contains("awaits review", awaiting.Blocking, StringComparison.Ordinal);
        Assert.IsType<Conflict>((await core.Starts.RunTaskAsync(core.Person, workspace.Name, ui.ShortId, Ct)).Failure);

        var approved = (await core.Projects.ApproveAsync(core.Person, workspace.Name, project.ShortId, new Approval(1, "Looks right"), Ct)).Value!;
        Assert.Equal([PhaseState.Approved, PhaseState.Open], approved.Phases.Select(p => p.State));
        Assert.Equal("Looks right", approved.Phases[0].ApprovalNote);
        Assert.True((await core.Starts.RunTaskAsync(core.Person, workspace.Name, ui.ShortId, Ct)).IsSuccess);
    }

    [Fact]
    public async Task After_the_last_approval_the_orchestrations_next_step_completes_the_project_and_a_task_needs_a_real_phase()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var project = (await core.Projects.CreateAsync(core.Person, workspace.Name, new NewProject { Title = "Tiny", Phases = ["Only"] }, Ct)).Value!;

        var nowhere = await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Lost", Project = project.ShortId, Phase = 2 }, Ct);
        Assert.Contains("phases 1 to 1", Assert.IsType<Invalid>(nowhere.Failure).Message, StringComparison.Ordinal);
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Do it", Project = project.ShortId, Phase = 1, Status = "Done" }, Ct)).Value!;
        await core.Projects.StartAsync(core.Person, workspace.Name, project.ShortId, Ct);

        var approved = (await core.Projects.ApproveAsync(core.Person, workspace.Name, project.ShortId, new Approval(), Ct)).Value!;
        var step = (await core.Projects.OpenCurrentPhaseAsync(new ProjectRun(workspace.Id, project.Id), Ct)).Value!;
        var done = (await core.Projects.GetAsync(core.Person, workspace.Name, project.ShortId, Ct)).Value!;

        Assert.Equal(ProjectStatus.Active, approved.Status);
        Assert.Contains("being completed", approved.Blocking, StringComparison.Ordinal);
        Assert.Equal(PhaseStep.Completed, step.Outcome);
        Assert.Equal(ProjectStatus.Completed, done.Status);
        Assert.NotNull(done.CompletedAt);
        Assert.Equal(task.Id, Assert.Single(done.Phases[0].Tasks).Id);
    }

    [Fact]
    public async Task The_orchestrations_steps_open_a_phase_once_request_review_when_its_tasks_are_done_and_take_it_back_when_one_reopens()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var project = (await core.Projects.CreateAsync(core.Person, workspace.Name, new NewProject { Title = "Steps", Phases = ["One", "Two"], AutoRun = true }, Ct)).Value!;
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Only task", Project = project.ShortId, Phase = 1 }, Ct)).Value!;
        await core.Projects.StartAsync(core.Person, workspace.Name, project.ShortId, Ct);
        var run = new ProjectRun(workspace.Id, project.Id);
        var phaseOne = project.Phases[0].Id;

        var first = (await core.Projects.OpenCurrentPhaseAsync(run, Ct)).Value!;
        var again = (await core.Projects.OpenCurrentPhaseAsync(run, Ct)).Value!;
        var running = (await core.Projects.SyncReviewAsync(run, phaseOne, Ct)).Value!;
        await core.Tasks.MoveAsync(core.Person, workspace.Name, task.ShortId, "Done", null, null, Ct);
        var review = (await core.Projects.SyncReviewAsync(run, phaseOne, Ct)).Value!;
        var requested = (await core.Projects.GetAsync(core.Person, workspace.Name, project.ShortId, Ct)).Value!.Phases[0];
        await core.Tasks.MoveAsync(core.Person, workspace.Name, task.ShortId, "In progress", null, null, Ct);
        var withdrawn = (await core.Projects.SyncReviewAsync(run, phaseOne, Ct)).Value!;
        await core.Tasks.MoveAsync(core.Person, workspace.Name, task.ShortId, "Done", null, null, Ct);
        await core.Projects.SyncReviewAsync(run, phaseOne, Ct);
        await core.Projects.ApproveAsync(core.Person, workspace.Name, project.ShortId, new Approval(1), Ct);
        var afterApproval = (await core.Projects.SyncReviewAsync(run, phaseOne, Ct)).Value!;
        var next = (await core.Projects.OpenCurrentPhaseAsync(run, Ct)).Value!;

        Assert.Equal(new PhaseStep(PhaseStep.Open, phaseOne, 1, RunReady: true), first);
        Assert.Equal(new PhaseStep(PhaseStep.Open, phaseOne, 1, RunReady: false), again);
        Assert.Equal(new PhaseCheck(Current: true, AllDone: false, Approved: false, ReviewRequested: false), running);
        Assert.Equal(new PhaseCheck(Current: true, AllDone: true, Approved: false, ReviewRequested: true), review);
        Assert.NotNull(requested.ReviewRequestedAt);
        Assert.NotNull(requested.OpenedAt);
        Assert.Equal(new PhaseCheck(Current: true, AllDone: false, Approved: false, ReviewRequested: false), withdrawn);
        Assert.False(afterApproval.Current);
        Assert.Equal(new PhaseStep(PhaseStep.Open, project.Phases[1].Id, 2, RunReady: true), next);
    }

    [Fact]
    public async Task Changes_to_a_projects_tasks_and_its_approval_signal_its_orchestration_and_so_does_a_task_leaving_it()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var project = (await core.Projects.CreateAsync(core.Person, workspace.Name, new NewProject { Title = "Signals", Phases = ["One"] }, Ct)).Value!;
        var other = (await core.Projects.CreateAsync(core.Person, workspace.Name, new NewProject { Title = "Other", Phases = ["One"] }, Ct)).Value!;
        await core.Projects.StartAsync(core.Person, workspace.Name, project.ShortId, Ct);
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Moves", Project = project.ShortId, Phase = 1 }, Ct)).Value!;
        var unrelated = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "No project" }, Ct)).Value!;
        Assert.Equal([project.Id], core.Orchestrations.Started);
        Assert.Equal([project.Id], core.Orchestrations.Signalled);

        await core.Tasks.MoveAsync(core.Person, workspace.Name, unrelated.ShortId, "Done", null, null, Ct);
        await core.Tasks.MoveAsync(core.Person, workspace.Name, task.ShortId, "Done", null, null, Ct);
        await core.Projects.ApproveAsync(core.Person, workspace.Name, project.ShortId, new Approval(), Ct);
        await core.Tasks.UpdateAsync(core.Person, workspace.Name, task.ShortId, new TaskChanges { Project = other.ShortId, Phase = 1 }, null, Ct);
        await core.Tasks.DeleteAsync(core.Person, workspace.Name, task.ShortId, null, Ct);

        Assert.Equal([project.Id, project.Id, project.Id, project.Id, other.Id, other.Id], core.Orchestrations.Signalled);
    }

    [Fact]
    public async Task A_task_moves_into_a_phase_and_out_of_its_project_with_an_update()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var project = (await core.Projects.CreateAsync(core.Person, workspace.Name, new NewProject { Title = "Later", Phases = ["One", "Two"] }, Ct)).Value!;
        await core.Projects.StartAsync(core.Person, workspace.Name, project.ShortId, Ct);
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Free agent" }, Ct)).Value!;

        var inPhaseTwo = (await core.Tasks.UpdateAsync(core.Person, workspace.Name, task.ShortId, new TaskChanges { Project = project.ShortId, Phase = 2 }, null, Ct)).Value!;
        var gated = await core.Starts.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct);
        var freed = (await core.Tasks.UpdateAsync(core.Person, workspace.Name, task.ShortId, new TaskChanges { Project = "" }, null, Ct)).Value!;

        Assert.Equal(project.Phases[1].Id, inPhaseTwo.PhaseId);
        Assert.IsType<Conflict>(gated.Failure);
        Assert.Null(freed.ProjectId);
        Assert.True((await core.Starts.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct)).IsSuccess);
    }
}
