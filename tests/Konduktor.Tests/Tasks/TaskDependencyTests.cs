using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Tasks;

/// <summary>Tasks that wait for other tasks, in core on real storage: the refusals, the cycle check, the board's marks and the one start.</summary>
public sealed class TaskDependencyTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_task_with_an_unfinished_blocker_is_refused_a_run_that_names_each_blocker_and_its_column()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var schema = await CreateAsync(core, workspace, "Design the schema");
        var api = await CreateAsync(core, workspace, "Write the API", status: "In progress");
        var client = await CreateAsync(core, workspace, "Build the client", blockedBy: [schema.ShortId, api.ShortId[..5]]);
        Assert.Equal([schema.Id, api.Id], client.BlockedBy);

        var refused = await core.Starts.RunTaskAsync(core.Person, workspace.Name, client.ShortId, Ct);

        var conflict = Assert.IsType<Conflict>(refused.Failure);
        Assert.Equal($"task {client.ShortId} waits for {schema.ShortId} \"Design the schema\" (To do), {api.ShortId} \"Write the API\" (In progress); it can run once they are Done, or take them off with `konduktor tasks update {client.ShortId} --unblock`", conflict.Message);
        Assert.Null((await core.Tasks.GetAsync(core.Person, workspace.Name, client.ShortId, Ct)).Value!.LatestSession);

        await MoveAsync(core, workspace, schema, BoardColumns.Done);
        var stillRefused = await core.Starts.RunTaskAsync(core.Person, workspace.Name, client.ShortId, Ct);
        Assert.Equal($"task {client.ShortId} waits for {api.ShortId} \"Write the API\" (In progress); it can run once that task is Done, or take it off with `konduktor tasks update {client.ShortId} --unblock`", stillRefused.Failure!.Message);

        await MoveAsync(core, workspace, api, BoardColumns.Done);
        Assert.True((await core.Starts.RunTaskAsync(core.Person, workspace.Name, client.ShortId, Ct)).IsSuccess);
    }

    [Fact]
    public async Task A_cycle_is_refused_with_the_cycle_spelled_out_and_the_task_is_left_as_it_was()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var a = await CreateAsync(core, workspace, "A");
        var b = await CreateAsync(core, workspace, "B", blockedBy: [a.ShortId]);
        var c = await CreateAsync(core, workspace, "C", blockedBy: [b.ShortId]);

        var cycle = await core.Tasks.UpdateAsync(core.Person, workspace.Name, a.ShortId, new TaskChanges { BlockedBy = [c.ShortId], Title = "A renamed" }, null, Ct);

        Assert.Equal($"that would make a cycle: {a.ShortId} \"A\" waits for {c.ShortId} \"C\", which waits for {b.ShortId} \"B\", which waits for {a.ShortId} \"A\"; a task cannot wait, through others, for itself", Assert.IsType<Conflict>(cycle.Failure).Message);
        var unchanged = (await core.Tasks.GetAsync(core.Person, workspace.Name, a.ShortId, Ct)).Value!;
        Assert.Equal("A", unchanged.Title);
        Assert.Empty(unchanged.BlockedBy);

        var itself = await core.Tasks.UpdateAsync(core.Person, workspace.Name, a.ShortId, new TaskChanges { BlockedBy = [a.ShortId] }, null, Ct);
        Assert.Equal($"task {a.ShortId} cannot wait for itself", Assert.IsType<Invalid>(itself.Failure).Message);

        var other = await core.NewWorkspaceAsync("https://github.com/myorg/other");
        var elsewhere = await CreateAsync(core, other, "Elsewhere");
        var crossing = await core.Tasks.UpdateAsync(core.Person, workspace.Name, a.ShortId, new TaskChanges { BlockedBy = [elsewhere.ShortId] }, null, Ct);
        Assert.Equal($"no task matches '{elsewhere.ShortId}' in {workspace.Name}: a task can only wait for tasks of its own workspace", Assert.IsType<Invalid>(crossing.Failure).Message);

        // Blockers may cross projects of the workspace, and --unblock takes every blocker off.
        var unblocked = (await core.Tasks.UpdateAsync(core.Person, workspace.Name, c.ShortId, new TaskChanges { BlockedBy = [] }, null, Ct)).Value!;
        Assert.Empty(unblocked.BlockedBy);
        Assert.Null(unblocked.Blocked);
    }

    [Fact]
    public async Task The_board_marks_a_waiting_card_with_its_unfinished_blockers_until_they_are_done()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var first = await CreateAsync(core, workspace, "First");
        var second = await CreateAsync(core, workspace, "Second", status: "In progress");
        var waiting = await CreateAsync(core, workspace, "Waits for both", blockedBy: [first.ShortId, second.ShortId]);

        var card = await CardAsync(core, workspace, waiting);
        Assert.Equal([first.Id, second.Id], card.Blockers!.Select(b => b.Id));
        Assert.Equal($"Waits for {first.ShortId} \"First\" (To do), {second.ShortId} \"Second\" (In progress)", card.Blocked);

        await MoveAsync(core, workspace, first, BoardColumns.Done);
        Assert.Equal([second.Id], (await CardAsync(core, workspace, waiting)).Blockers!.Select(b => b.Id));

        await MoveAsync(core, workspace, second, BoardColumns.Done);
        var free = await CardAsync(core, workspace, waiting);
        Assert.Null(free.Blockers);
        Assert.Null(free.Blocked);
        Assert.Equal([first.Id, second.Id], free.BlockedBy);
    }

    [Fact]
    public async Task An_auto_run_task_starts_exactly_once_when_its_last_blocker_is_done_whatever_two_hosts_and_retries_do()
    {
        await using var one = new CoreHarness(azurite);
        await using var two = new CoreHarness(azurite, prefix: one.Prefix);
        var workspace = await one.NewWorkspaceAsync();
        var a = await CreateAsync(one, workspace, "A");
        var b = await CreateAsync(one, workspace, "B");
        var c = await CreateAsync(one, workspace, "C", blockedBy: [a.ShortId, b.ShortId], autoRun: true);

        await MoveAsync(one, workspace, a, BoardColumns.Done);
        Assert.Contains("still waits for " + b.ShortId, await one.AutoRuns.StartUnblockedAsync(workspace, a.Id, Ct), StringComparison.Ordinal);
        Assert.Null((await two.Tasks.GetAsync(two.Person, workspace.Name, c.ShortId, Ct)).Value!.LatestSession);

        await MoveAsync(two, workspace, b, BoardColumns.Done);
        var outcomes = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(_ => one.AutoRuns.StartUnblockedAsync(workspace, b.Id, Ct))
                .Concat(Enumerable.Range(0, 4).Select(_ => two.AutoRuns.StartUnblockedAsync(workspace, b.Id, Ct)))
                .Concat([one.AutoRuns.SweepAsync(Ct).ContinueWith(t => $"swept {t.Result}", Ct), two.AutoRuns.SweepAsync(Ct).ContinueWith(t => $"swept {t.Result}", Ct)]));
        await one.AutoRuns.SweepAsync(Ct);

        var started = (await one.Tasks.GetAsync(one.Person, workspace.Name, c.ShortId, Ct)).Value!;
        Assert.True(started.SessionCount == 1, string.Join("\n", outcomes));
        Assert.False(started.AutoRun);
        Assert.Equal("konduktor (auto-run)", (await one.Sessions.GetAsync(one.Person, workspace.Name, started.LatestSession!.Id.ToString(), Ct)).Value!.StartedBy);
        Assert.Single(outcomes, o => o.Contains($"task {c.ShortId}: session", StringComparison.Ordinal) || o == "swept 1");
    }

    [Fact]
    public async Task An_auto_run_task_that_may_not_start_says_why_on_its_card_and_stops_waiting()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var a = await CreateAsync(core, workspace, "A, in no project");
        var project = (await core.Projects.CreateAsync(core.Person, workspace.Name, new Konduktor.Core.Projects.NewProject { Title = "Not started", Phases = ["Only"] }, Ct)).Value!;
        var b = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "B, in a project", Project = project.ShortId, Phase = 1, BlockedBy = [a.ShortId], AutoRun = true }, Ct)).Value!;

        await MoveAsync(core, workspace, a, BoardColumns.Done);
        var said = await core.AutoRuns.StartUnblockedAsync(workspace, a.Id, Ct);

        var task = (await core.Tasks.GetAsync(core.Person, workspace.Name, b.ShortId, Ct)).Value!;
        Assert.False(task.AutoRun);
        Assert.Equal(0, task.SessionCount);
        Assert.Equal($"Did not start by itself once nothing it waits for was unfinished: project {project.ShortId} (Not started) has not started: `konduktor projects start {project.ShortId}`", task.Note);
        Assert.Contains("did not start by itself", said, StringComparison.Ordinal);
        Assert.Equal(0, await core.AutoRuns.SweepAsync(Ct));
    }

    private static async Task<TaskItem> CreateAsync(CoreHarness core, Workspace workspace, string title, string? status = null, IReadOnlyList<string>? blockedBy = null, bool autoRun = false)
    {
        var created = await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = title, Status = status, BlockedBy = blockedBy, AutoRun = autoRun }, Ct);
        return created.Value ?? throw new InvalidOperationException(created.Failure!.Message);
    }

    private static async Task MoveAsync(CoreHarness core, Workspace workspace, TaskItem task, string column) =>
        Assert.True((await core.Tasks.MoveAsync(core.Person, workspace.Name, task.ShortId, column, null, null, Ct)).IsSuccess);

    private static async Task<TaskItem> CardAsync(CoreHarness core, Workspace workspace, TaskItem task) =>
        (await core.Tasks.BoardAsync(core.Person, workspace.Name, Ct)).Value!.Columns.SelectMany(c => c.Tasks).Single(t => t.Id == task.Id);
}
