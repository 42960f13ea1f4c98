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
        Assert.Contains("Phase 1: Model · awaiting review · 1/1 done", shown.Output, StringComparison.Ordinal);
        Assert.Contains("Blocking: phase 1 (Model) awaits review", shown.Output, StringComparison.Ordinal);
        var approved = await Cli("projects", "approve", project.ShortId, "--note", "ship it");
        Assert.Contains("Phase 2: UI · open · 0/1 done", approved.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli("tasks", "run", pageId)).ExitCode);
        var list = await Cli("projects", "list");
        Assert.Contains("1/2", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_phase_under_review_shows_its_tasks_changes_as_one_with_their_commits_and_final_words()
    {
        var driver = new SessionDriver(host.Up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        async Task<CliResult> Cli(params string[] arguments) => await host.Up.CliAsync(["-w", workspace, .. arguments]);
        var project = JsonSerializer.Deserialize<Project>((await Cli("--json", "projects", "create", "--title", "Greetings", "--phase", "Both")).Output, SessionsHost.Json)!;
        var tasks = new List<Konduktor.Core.Tasks.TaskItem>();
        foreach (var (title, file) in new[] { ("Say hello", "hello.txt"), ("Say goodbye", "goodbye.txt") })
        {
            var created = await Cli("--json", "tasks", "create", "--title", title, "--project", project.ShortId, "--phase", "1", "--description",
                StandInAgent.Script(new { write = file, content = "hi\n" }, new { write = "shared.txt", content = title + "\n" }, new { commit = title }));
            tasks.Add(JsonSerializer.Deserialize<Konduktor.Core.Tasks.TaskItem>(created.Output, SessionsHost.Json)!);
        }

        Assert.Equal(0, (await Cli("projects", "start", project.ShortId)).ExitCode);
        foreach (var task in tasks)
        {
            await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);
        }

        var review = await Cli("projects", "review", project.ShortId);
        var json = JsonSerializer.Deserialize<PhaseReview>((await Cli("--json", "projects", "review", project.ShortId, "--phase", "1")).Output, SessionsHost.Json)!;

        Assert.True(review.ExitCode == 0, review.ToString());
        Assert.Contains("Phase 1: Both · open · 3 file(s), +4 -0, 2 commit(s) across 2 task(s)", review.Output, StringComparison.Ordinal);
        Assert.Equal(["goodbye.txt", "hello.txt", "shared.txt"], json.Files.Select(f => f.Path));
        Assert.Equal(tasks.Select(t => t.ShortId).Order(), json.Files.Single(f => f.Path == "shared.txt").Tasks.Order());
        Assert.All(json.Tasks, t => Assert.Equal("Done.", t.Summary));
        Assert.All(json.Tasks, t => Assert.Equal("", t.Changes!.Diff));
        Assert.Contains(" Say hello", review.Output, StringComparison.Ordinal);
        Assert.Contains("  Done.", review.Output, StringComparison.Ordinal);
        var missing = await Cli("projects", "review", project.ShortId, "--phase", "7");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("has no phase 7", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Phases_are_added_moved_and_removed_tags_change_and_run_ready_runs_the_open_phase_in_parallel()
    {
        var driver = new SessionDriver(host.Up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        async Task<CliResult> Cli(params string[] arguments) => await host.Up.CliAsync(["-w", workspace, .. arguments]);
        var project = JsonSerializer.Deserialize<Project>((await Cli("--json", "projects", "create", "--title", "Search", "--phase", "Index")).Output, SessionsHost.Json)!;
        Assert.Equal(0, (await Cli("projects", "phases", "add", project.ShortId, "--title", "Ranking")).ExitCode);
        Assert.Equal(0, (await Cli("projects", "phases", "add", project.ShortId, "--title", "Scratch")).ExitCode);
        var moved = await Cli("projects", "phases", "move", project.ShortId, "3", "1");
        Assert.Contains("Phase 1: Scratch", moved.Output, StringComparison.Ordinal);
        var removed = await Cli("projects", "phases", "remove", project.ShortId, "1");
        Assert.Contains("Phase 1: Index", removed.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Scratch", removed.Output, StringComparison.Ordinal);
        Assert.Contains("agent-ready", (await Cli("projects", "tag", project.ShortId, "--add", "agent-ready")).Output, StringComparison.Ordinal);
        foreach (var title in new[] { "Tokenizer", "Inverted index" })
        {
            Assert.Equal(0, (await Cli("tasks", "create", "--title", title, "--project", project.ShortId, "--phase", "1", "--description", StandInAgent.Script(new { sleep = 300 }))).ExitCode);
        }

        Assert.Equal(0, (await Cli("tasks", "create", "--title", "Later", "--project", project.ShortId, "--phase", "2")).ExitCode);
        Assert.Equal(0, (await Cli("projects", "start", project.ShortId)).ExitCode);

        var ran = await Cli("--json", "projects", "run-ready", project.ShortId);

        var sessions = JsonSerializer.Deserialize<List<Konduktor.Core.Sessions.Session>>(ran.Output, SessionsHost.Json)!;
        Assert.Equal(2, sessions.Count);
        var ended = await Task.WhenAll(sessions.Select(s => driver.WaitForEndAsync(workspace, s.Id)));
        Assert.All(ended, s => Assert.Equal(Konduktor.Core.Sessions.SessionStatus.Succeeded, s.Status));
        Assert.True(ended[0].StartedAt < ended[1].EndedAt && ended[1].StartedAt < ended[0].EndedAt, "the open phase's tasks ran at the same time");
        foreach (var session in ended)
        {
            Assert.Equal(0, (await Cli("tasks", "move", Konduktor.Core.ShortId.Of(session.TaskId!.Value), "Done")).ExitCode);
        }

        Assert.Contains("Nothing to run", (await Cli("projects", "run-ready", project.ShortId)).Output, StringComparison.Ordinal);
    }
}
