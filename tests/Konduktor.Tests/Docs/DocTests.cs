using System.Text.Json;
using Konduktor.Core.Auth;
using Konduktor.Core.Docs;
using Konduktor.Core.Results;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Docs;

/// <summary>Docs in core on real storage, and from the CLI through `up`: versions kept, slugs unique, people alone delete.</summary>
public sealed class DocTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_update_keeps_the_version_it_replaces_and_any_version_reads_back_as_it_was()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var created = (await core.Docs.CreateAsync(core.Person, workspace.Name, new NewDoc { Title = "Architecture notes", Content = "# Mine\nwritten by a person", Tags = ["design"] }, Ct)).Value!;
        var agent = new Principal(PrincipalKind.Session, "session 0badc0de", workspace.Id, Guid.NewGuid());
        var large = new string('x', 200_000);

        var rewritten = (await core.Docs.UpdateAsync(agent, workspace.Name, "architecture-notes", new DocChanges(Content: "# Agent's\n" + large), null, Ct)).Value!;
        var retitled = (await core.Docs.UpdateAsync(core.Person, workspace.Name, created.ShortId, new DocChanges(Title: "Architecture"), null, Ct)).Value!;
        var history = (await core.Docs.HistoryAsync(core.Person, workspace.Name, created.Slug, Ct)).Value!;
        var first = (await core.Docs.GetAsync(core.Person, workspace.Name, created.Slug, 1, Ct)).Value!;
        var second = (await core.Docs.GetAsync(core.Person, workspace.Name, created.Slug, 2, Ct)).Value!;
        var current = (await core.Docs.GetAsync(core.Person, workspace.Name, created.Slug, null, Ct)).Value!;
        var missing = await core.Docs.GetAsync(core.Person, workspace.Name, created.Slug, 9, Ct);

        Assert.Equal("architecture-notes", created.Slug);
        Assert.Equal([3, 2, 1], history.Select(v => v.Number));
        Assert.Equal(["local", "session 0badc0de", "local"], history.Select(v => v.UpdatedBy));
        Assert.Equal("# Mine\nwritten by a person", first.Content);
        Assert.Equal("Architecture notes", first.Title);
        Assert.Equal("# Agent's\n" + large, second.Content);
        Assert.Equal(2, rewritten.VersionNumber);
        Assert.Equal("Architecture", current.Title);
        Assert.Equal(second.Content, current.Content);
        Assert.Equal(3, retitled.VersionNumber);
        Assert.Equal("local", current.CreatedBy);
        Assert.Contains("versions 1 to 3", Assert.IsType<NotFound>(missing.Failure).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slugs_are_unique_an_agent_cannot_delete_and_a_person_deletes_the_doc_with_its_history()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var doc = (await core.Docs.CreateAsync(core.Person, workspace.Name, new NewDoc { Title = "Runbook", Content = "steps" }, Ct)).Value!;
        await core.Docs.UpdateAsync(core.Person, workspace.Name, doc.Slug, new DocChanges(Content: "more steps"), null, Ct);
        var agent = new Principal(PrincipalKind.Session, "session 0badc0de", workspace.Id, Guid.NewGuid());

        var twin = await core.Docs.CreateAsync(core.Person, workspace.Name, new NewDoc { Title = "Runbook", Content = "again" }, Ct);
        var badSlug = await core.Docs.CreateAsync(core.Person, workspace.Name, new NewDoc { Title = "Other", Slug = "Not A Slug!" }, Ct);
        var deleted = await core.Docs.DeleteAsync(core.Person, workspace.Name, doc.Slug, Ct);
        var reused = await core.Docs.CreateAsync(core.Person, workspace.Name, new NewDoc { Title = "Runbook", Content = "fresh" }, Ct);

        Assert.Contains("already exists", Assert.IsType<Conflict>(twin.Failure).Message, StringComparison.Ordinal);
        Assert.IsType<Invalid>(badSlug.Failure);
        Assert.IsType<Forbidden>(Policy.Authorize(agent, Act.DeleteDocs).Failure);
        Assert.True(deleted.IsSuccess);
        Assert.Equal(1, reused.Value!.VersionNumber);
        Assert.Equal([1], (await core.Docs.HistoryAsync(core.Person, workspace.Name, "runbook", Ct)).Value!.Select(v => v.Number));
        Assert.Single((await core.Docs.ListAsync(core.Person, workspace.Name, null, Ct)).Value!);
    }

    [Fact]
    public async Task Docs_are_written_and_read_from_the_cli_and_history_survives_an_update()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var workspace = "docs" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await up.CliAsync("workspaces", "create", "acme/" + workspace)).ExitCode);
        async Task<CliResult> Cli(params string[] arguments) => await up.CliAsync(["-w", workspace, .. arguments]);

        var created = await up.CliWithInputAsync("# Plan\n\nFirst draft.\n", "-w", workspace, "docs", "create", "--title", "Release plan", "--file", "-", "--tag", "plan");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("Doc created: release-plan", created.Output, StringComparison.Ordinal);
        var updated = await up.CliWithInputAsync("# Plan\n\nSecond draft.\n", "-w", workspace, "docs", "update", "release-plan", "--file", "-");
        Assert.Contains("version 2", updated.Output, StringComparison.Ordinal);

        var current = await Cli("docs", "show", "release-plan");
        var first = await Cli("docs", "show", "release-plan", "--version", "1");
        var history = await Cli("--json", "docs", "history", "release-plan");
        var list = await Cli("docs", "list", "--tag", "plan");
        var missing = await Cli("docs", "show", "no-such-doc");

        Assert.Contains("Second draft.", current.Output, StringComparison.Ordinal);
        Assert.Contains("First draft.", first.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Second draft.", first.Output, StringComparison.Ordinal);
        Assert.Equal([2, 1], JsonSerializer.Deserialize<List<DocVersion>>(history.Output, SessionsHost.Json)!.Select(v => v.Number));
        Assert.Contains("Release plan", list.Output, StringComparison.Ordinal);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no doc has the slug 'no-such-doc'", missing.Error, StringComparison.Ordinal);
    }
}
