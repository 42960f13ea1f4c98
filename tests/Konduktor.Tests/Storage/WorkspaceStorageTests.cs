using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Storage;

public sealed class WorkspaceStorageTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_workspace_is_named_after_its_repository_and_found_by_name_or_id_prefix()
    {
        await using var core = new CoreHarness(azurite);
        var created = await core.NewWorkspaceAsync("https://github.com/myorg/MyRepo");

        Assert.Equal("MyRepo", created.Name);
        Assert.Equal("myorg/MyRepo", created.GitHubRepository);
        Assert.Equal("main", created.DefaultBranch);
        Assert.Contains("pull request", created.Config.SystemPrompt, StringComparison.Ordinal);
        Assert.Equal(created.Id, (await core.Workspaces.ResolveAsync(core.Person, "myrepo", Ct)).Value!.Id);
        Assert.Equal(created.Id, (await core.Workspaces.ResolveAsync(core.Person, created.ShortId[..5], Ct)).Value!.Id);
        Assert.IsType<NotFound>((await core.Workspaces.ResolveAsync(core.Person, "nope", Ct)).Failure);
    }

    [Fact]
    public async Task Two_workspaces_cannot_share_a_name_and_the_loser_writes_nothing()
    {
        await using var core = new CoreHarness(azurite);
        await core.NewWorkspaceAsync("myorg/app");

        var clash = await core.Workspaces.CreateAsync(core.Person, new NewWorkspace { Repository = "otherorg/App" }, Ct);

        Assert.IsType<Conflict>(clash.Failure);
        Assert.Single(await core.Workspaces.ListAsync(core.Person, Ct));
        Assert.True((await core.Workspaces.CreateAsync(core.Person, new NewWorkspace { Repository = "otherorg/App", Name = "app2" }, Ct)).IsSuccess);
    }

    [Fact]
    public async Task Configuration_changes_keep_what_was_not_mentioned_and_a_long_prompt_is_kept_whole()
    {
        await using var core = new CoreHarness(azurite);
        await core.NewWorkspaceAsync();
        var prompt = string.Concat(Enumerable.Repeat("Always write tests first. ", 3000));

        await core.Workspaces.UpdateConfigAsync(core.Person, "myrepo", new ConfigChanges { AutoFixCi = false }, null, Ct);
        var updated = (await core.Workspaces.UpdateConfigAsync(core.Person, "myrepo", new ConfigChanges { SystemPrompt = prompt }, null, Ct)).Value!;

        Assert.False(updated.Config.AutoFixCi);
        Assert.True(updated.Config.AutoFixConflicts);
        Assert.Equal(prompt, (await core.Workspaces.ResolveAsync(core.Person, "myrepo", Ct)).Value!.Config.SystemPrompt);
        var reset = (await core.Workspaces.UpdateConfigAsync(core.Person, "myrepo", new ConfigChanges { ResetSystemPrompt = true }, null, Ct)).Value!;
        Assert.Equal(DefaultSystemPrompt.Text, reset.Config.SystemPrompt);
    }

    [Fact]
    public async Task A_workspace_with_tasks_is_only_deleted_with_force_and_then_its_tasks_go_too()
    {
        await using var core = new CoreHarness(azurite);
        await core.NewWorkspaceAsync();
        await core.Tasks.CreateAsync(core.Person, "myrepo", new NewTask { Title = "keep me" }, Ct);

        Assert.IsType<Conflict>((await core.Workspaces.DeleteAsync(core.Person, "myrepo", force: false, Ct)).Failure);
        Assert.Single((await core.Tasks.ListAsync(core.Person, "myrepo", new TaskFilter(), Ct)).Value!);

        Assert.True((await core.Workspaces.DeleteAsync(core.Person, "myrepo", force: true, Ct)).IsSuccess);
        Assert.Empty(await core.Workspaces.ListAsync(core.Person, Ct));
        Assert.True((await core.Workspaces.CreateAsync(core.Person, new NewWorkspace { Repository = "myorg/myrepo" }, Ct)).IsSuccess);
    }
}
