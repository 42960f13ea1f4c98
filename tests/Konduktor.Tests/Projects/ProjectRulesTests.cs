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

        var beforeStart = await core.Sessions.RunTaskAsync(core.Person, workspace.Name, model1.ShortId, Ct);
        Assert.Contains("has not started", Assert.IsType<Conflict>(beforeStart.Failure).Message, StringComparison.Ordinal);
        Assert.True((await core.Projects.StartAsync(core.Person, workspace.Name, project.ShortId, Ct)).IsSuccess);

        Assert.True((await core.Sessions.RunTaskAsync(core.Person, workspace.Name, model1.ShortId, Ct)).IsSuccess);
        Assert.True((await core.Sessions.RunTaskAsync(core.Person, workspace.Name, model2.ShortId, Ct)).IsSuccess);
        Assert.Contains("waits for phase 1 (Model)", (await core.Tasks.GetAsync(core.Person, workspace.Name, ui.ShortId, Ct)).Value!.Blocked, StringComparison.Ordinal);
        var early = await core.Sessions.RunTaskAsync(core.Person, workspace.Name, ui.ShortId, Ct);
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
        Assert.IsType<Conflict>((await core.Sessions.RunTaskAsync(core.Person, workspace.Name, ui.ShortId, Ct)).Failure);

        var approved = (await core.Projects.ApproveAsync(core.Person, workspace.Name, project.ShortId, new Approval(1, "Looks right"), Ct)).Value!;
        Assert.Equal([PhaseState.Approved, PhaseState.Open], approved.Phases.Select(p => p.State));
        Assert.Equal("Looks right", approved.Phases[0].ApprovalNote);
        Assert.True((await core.Sessions.RunTaskAsync(core.Person, workspace.Name, ui.ShortId, Ct)).IsSuccess);
    }

    [Fact]
    public async Task Approving_the_last_phase_completes_the_project_and_a_task_needs_a_real_phase()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var project = (await core.Projects.CreateAsync(core.Person, workspace.Name, new NewProject { Title = "Tiny", Phases = ["Only"] }, Ct)).Value!;

        var nowhere = await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Lost", Project = project.ShortId, Phase = 2 }, Ct);
        Assert.Contains("phases 1 to 1", Assert.IsType<Invalid>(nowhere.Failure).Message, StringComparison.Ordinal);
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Do it", Project = project.ShortId, Phase = 1, Status = "Done" }, Ct)).Value!;
        await core.Projects.StartAsync(core.Person, workspace.Name, project.ShortId, Ct);

        var done = (await core.Projects.ApproveAsync(core.Person, workspace.Name, project.ShortId, new Approval(), Ct)).Value!;

        Assert.Equal(ProjectStatus.Completed, done.Status);
        Assert.Equal(task.Id, Assert.Single(done.Phases[0].Tasks).Id);
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
        var gated = await core.Sessions.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct);
        var freed = (await core.Tasks.UpdateAsync(core.Person, workspace.Name, task.ShortId, new TaskChanges { Project = "" }, null, Ct)).Value!;

        Assert.Equal(project.Phases[1].Id, inPhaseTwo.PhaseId);
        Assert.IsType<Conflict>(gated.Failure);
        Assert.Null(freed.ProjectId);
        Assert.True((await core.Sessions.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct)).IsSuccess);
    }
}
