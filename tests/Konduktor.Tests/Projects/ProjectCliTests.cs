using System.Text.Json;
using Konduktor.Core.Projects;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Projects;

/// <summary>Projects from the CLI, through `up`: phases, tasks in them, the gate refusing an early run, approval.</summary>
public sealed class ProjectCliTests(SessionsHost host) : IClassFixture<SessionsHost>
{
    [Fact]
    public async Task A_project_is_planned_started_gated_and_approved_from_the_cli()
    {
        var (workspace, _) = await new SessionDriver(host.Up).CreateWorkspaceAsync();
        async Task<CliResult> Cli(params string[] arguments) => await host.Up.CliAsync(["-w", workspace, .. arguments]);
        var created = await Cli("--json", "projects", "create", "--title", "Checkout", "--phase", "Model", "--phase", "UI", "--tag", "agent-ready");
        Assert.True(created.ExitCode == 0, created.ToString());
        var project = JsonSerializer.Deserialize<Project>(created.Output, SessionsHost.Json)!;
        var first = await Cli("tasks", "create", "--title", "Cart model", "--project", project.ShortId, "--phase", "1", "--status", "Done");
        var second = await Cli("tasks", "create", "--title", "Cart page", "--project", project.ShortId, "--phase", "2");
        Assert.Equal(0, first.ExitCode);
        var pageId = second.Output.Split(' ')[2];
        Assert.Equal(0, (await Cli("projects", "start", project.ShortId)).ExitCode);

        var early = await Cli("tasks", "run", pageId);
        Assert.Equal(1, early.ExitCode);
        Assert.Contains("phase 2", early.Error, StringComparison.Ordinal);
        Assert.Contains("awaits review", early.Error, StringComparison.Ordinal);

        var shown = await Cli("projects", "show", project.ShortId);
        Assert.Contains("Phase 1: Model  [awaitingReview] 1/1 done", shown.Output, StringComparison.Ordinal);
        Assert.Contains("Blocking: phase 1 (Model) awaits review", shown.Output, StringComparison.Ordinal);
        var approved = await Cli("projects", "approve", project.ShortId, "--note", "ship it");
        Assert.Contains("Phase 2: UI  [open] 0/1 done", approved.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli("tasks", "run", pageId)).ExitCode);
        var list = await Cli("projects", "list");
        Assert.Contains("1/2", list.Output, StringComparison.Ordinal);
    }
}
