using Konduktor.Core;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Storage;

public sealed class TaskStorageTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fifty_concurrent_updates_of_one_task_lose_none()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "race" }, Ct)).Value!;

        var updates = Enumerable.Range(0, 50).Select(i =>
            core.Tasks.UpdateAsync(core.Person, workspace.Name, task.ShortId, new TaskChanges { AddTags = [$"t{i}"] }, null, Ct));
        var results = await Task.WhenAll(updates);

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Failure?.Message));
        var final = (await core.Tasks.GetAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!;
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"t{i}").Order(), final.Tags.Order());
    }

    [Fact]
    public async Task An_update_based_on_a_stale_version_is_refused_and_changes_nothing()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "original" }, Ct)).Value!;
        await core.Tasks.UpdateAsync(core.Person, workspace.Name, task.ShortId, new TaskChanges { Title = "first writer" }, task.Version, Ct);

        var stale = await core.Tasks.UpdateAsync(core.Person, workspace.Name, task.ShortId, new TaskChanges { Title = "second writer" }, task.Version, Ct);

        Assert.IsType<Conflict>(stale.Failure);
        Assert.Equal("first writer", (await core.Tasks.GetAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!.Title);
    }

    [Fact]
    public async Task A_prefix_shared_by_two_tasks_is_ambiguous_and_lists_both_full_ids()
    {
        var first = Guid.Parse("d80339c4-0000-4000-8000-000000000001");
        var second = Guid.Parse("d80339c4-0000-4000-8000-000000000002");
        await using var core = new CoreHarness(azurite, new ForgedIds(Guid.NewGuid(), first, second));
        var workspace = await core.NewWorkspaceAsync();
        await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "one" }, Ct);
        await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "two" }, Ct);

        var ambiguous = Assert.IsType<Ambiguous>((await core.Tasks.GetAsync(core.Person, workspace.Name, "d803", Ct)).Failure);
        Assert.Equal([first.ToString(), second.ToString()], ambiguous.Matches);
        Assert.Contains(first.ToString(), ambiguous.Message, StringComparison.Ordinal);

        Assert.Equal("two", (await core.Tasks.GetAsync(core.Person, workspace.Name, "d80339c4-0000-4000-8000-000000000002", Ct)).Value!.Title);
        Assert.IsType<NotFound>((await core.Tasks.GetAsync(core.Person, workspace.Name, "d80339c5", Ct)).Failure);
    }

    [Fact]
    public async Task A_one_mebibyte_description_round_trips_exactly_and_shrinking_it_works()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var big = string.Concat(Enumerable.Range(0, 1024 * 1024 / 16).Select(i => $"{i:x8} ünïcödé\n"))[..(1024 * 1024 / 2)];
        big = (big + new string('x', 1024 * 1024))[..(1024 * 1024 - (System.Text.Encoding.UTF8.GetByteCount(big) - big.Length))];
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(big) <= TaskRules.MaxDescriptionBytes);

        var created = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "big", Description = big }, Ct)).Value!;
        Assert.Equal(big, (await core.Tasks.GetAsync(core.Person, workspace.Name, created.ShortId, Ct)).Value!.Description);

        await core.Tasks.UpdateAsync(core.Person, workspace.Name, created.ShortId, new TaskChanges { Description = "small now" }, null, Ct);
        var shrunk = (await core.Tasks.GetAsync(core.Person, workspace.Name, created.ShortId, Ct)).Value!;
        Assert.Equal("small now", shrunk.Description);
        Assert.Equal(9, shrunk.DescriptionLength);
    }

    [Fact]
    public async Task The_board_groups_tasks_by_column_in_order_of_rank()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        foreach (var (title, status) in new[] { ("a", "To do"), ("b", "Ideas"), ("c", "To do"), ("d", "Done") })
        {
            await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = title, Status = status }, Ct);
        }

        var board = (await core.Tasks.BoardAsync(core.Person, workspace.Name, Ct)).Value!;

        Assert.Equal(["Ideas", "To do", "In progress", "PR Submitted", "Done", "Closed"], board.Columns.Select(c => c.Name));
        Assert.Equal(["b"], board.Columns[0].Tasks.Select(t => t.Title));
        Assert.Equal(["a", "c"], board.Columns[1].Tasks.Select(t => t.Title));
        Assert.Null(board.Columns[1].Tasks[0].Description);
    }

    [Fact]
    public async Task Listing_filters_by_status_tag_priority_and_text()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Fix login", Tags = ["bug"], Priority = Priority.High }, Ct);
        await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Add dark mode", Tags = ["ui"], Status = "Ideas" }, Ct);

        async Task<IEnumerable<string>> Titles(TaskFilter filter) =>
            (await core.Tasks.ListAsync(core.Person, workspace.Name, filter, Ct)).Value!.Select(t => t.Title);

        Assert.Equal(["Add dark mode", "Fix login"], await Titles(new TaskFilter()));
        Assert.Equal(["Fix login"], await Titles(new TaskFilter { Tag = "BUG" }));
        Assert.Equal(["Fix login"], await Titles(new TaskFilter { Priority = Priority.High }));
        Assert.Equal(["Add dark mode"], await Titles(new TaskFilter { Status = "ideas" }));
        Assert.Equal(["Add dark mode"], await Titles(new TaskFilter { Text = "DARK" }));
        Assert.IsType<Invalid>((await core.Tasks.ListAsync(core.Person, workspace.Name, new TaskFilter { Status = "Later" }, Ct)).Failure);
    }

    [Fact]
    public async Task A_session_credential_sees_only_its_own_workspace()
    {
        await using var core = new CoreHarness(azurite);
        var mine = await core.NewWorkspaceAsync("myorg/mine");
        var other = await core.NewWorkspaceAsync("myorg/other");
        var session = new Principal(PrincipalKind.Session, "session-1", mine.Id);

        Assert.True((await core.Tasks.ListAsync(session, "mine", new TaskFilter(), Ct)).IsSuccess);
        Assert.IsType<Forbidden>((await core.Tasks.ListAsync(session, "other", new TaskFilter(), Ct)).Failure);
        Assert.Equal([mine.Id], (await core.Workspaces.ListAsync(session, Ct)).Select(w => w.Id));
        Assert.IsType<Forbidden>(Policy.Authorize(session, Act.AdministerWorkspaces).Failure);
        Assert.NotEqual(mine.Id, other.Id);
    }
}
