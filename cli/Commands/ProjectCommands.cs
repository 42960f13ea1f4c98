using Konduktor.Core.Contract;
using System.CommandLine;
using Konduktor.Core.Projects;

namespace Konduktor.Cli.Commands;

/// <summary><c>projects create|list|show|start|approve</c> and <c>projects phases add</c>.</summary>
public static class ProjectCommands
{
    public static Command Build()
    {
        var id = new Argument<string>("id") { Description = "The project's id (a unique prefix)" };
        var title = new Option<string>("--title") { Description = "One line, at most 200 characters", Required = true };
        var spec = new Option<string?>("--spec-file") { Description = "The spec: a markdown file, or - for stdin" };
        var phases = new Option<string[]>("--phase") { Description = "A phase title, in order (repeat for more)" };
        var tags = new Option<string[]>("--tag") { Description = "A tag, e.g. agent-ready (repeatable)" };
        var autoRun = new Option<bool>("--auto-run") { Description = "Run a phase's tasks as soon as it opens" };
        var phaseTitle = new Option<string>("--title") { Description = "The phase's title", Required = true };
        var description = new Option<string?>("--description") { Description = "What the phase delivers" };
        var note = new Option<string?>("--note") { Description = "A note kept with the approval" };
        var phaseNumber = new Option<int?>("--phase") { Description = "The phase under review (checked, default: the open one)" };
        var number = new Argument<int>("phase") { Description = "The phase's number, from 1" };
        var newTitle = new Option<string?>("--title") { Description = "A new title" };
        var position = new Argument<int>("position") { Description = "The phase's new number" };
        var add = new Option<string[]>("--add") { Description = "A tag to add (repeatable)" };
        var remove = new Option<string[]>("--remove") { Description = "A tag to remove (repeatable)" };

        IReadOnlyList<string> Route(CliContext cli) => cli.In(cli.Get(id));
        IReadOnlyList<string> PhaseRoute(CliContext cli) => cli.In(cli.Get(id), cli.Get(number).ToString(System.Globalization.CultureInfo.InvariantCulture));

        return CommandFactory.Group("projects", "Features in sequential phases of parallel tasks, with a review gate",
            CommandFactory.Create("create", "Create a project", async (cli, ct) =>
            {
                var input = new NewProject { Title = cli.Get(title), Spec = CommandFactory.ReadText(null, cli.Get(spec)), Phases = cli.Get(phases), Tags = cli.Get(tags), AutoRun = cli.Get(autoRun) };
                var created = await cli.Api.CallAsync(Operations.CreateProject, cli.In(), input, ct);
                cli.Print(created, p => Output.Line($"Project created: {p.ShortId} \"{p.Title}\" ({p.Phases.Count} phases)"));
            }, title, spec, phases, tags, autoRun),
            CommandFactory.Create("list", "List projects", async (cli, ct) =>
            {
                var all = await cli.Api.CallAsync(Operations.ListProjects, cli.In(), ct);
                cli.Print(all, list => Output.Table(["ID", "STATUS", "PHASES", "TITLE"], list.Select(p => (IReadOnlyList<string>)
                    [p.ShortId, Output.Words(p.Status), $"{p.Phases.Count(x => x.State == PhaseState.Approved)}/{p.Phases.Count}", p.Title]), "No projects."));
            }),
            CommandFactory.Create("show", "Show a project: phases, their tasks and progress, and what blocks the next phase", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.GetProject, Route(cli), ct), Show), id),
            CommandFactory.Create("start", "Start a project: its first phase opens and its orchestration sequences the rest (on an active project: makes sure the orchestration runs)", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.StartProject, Route(cli), ct), Show), id),
            CommandFactory.Create("approve", "Approve the open phase's review (all its tasks Done); the next phase opens", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.ApprovePhase, Route(cli), new Approval(cli.Get(phaseNumber), cli.Get(note)), ct), Show), id, phaseNumber, note),
            CommandFactory.Create("review", "What a phase changes, as one: every file its tasks changed, their commits, and each task's final words (default: the phase up for review, else the open one)", async (cli, ct) =>
            {
                var phase = cli.Get(phaseNumber) ?? Reviewable((await cli.Api.CallAsync(Operations.GetProject, Route(cli), ct)).Value);
                cli.Print(await cli.Api.CallAsync(Operations.GetPhaseReview, cli.In(cli.Get(id), phase.ToString(System.Globalization.CultureInfo.InvariantCulture)), ct), ShowReview);
            }, id, phaseNumber),
            CommandFactory.Create("run-ready", "Run every task of the open phase that is not done or running (in parallel)", async (cli, ct) =>
            {
                var sessions = await cli.Api.CallAsync(Operations.RunReadyTasks, Route(cli), ct);
                cli.Print(sessions, started => Output.Line(started.Count == 0
                    ? "Nothing to run: the open phase's tasks are done or running."
                    : $"Queued {started.Count} session(s): {string.Join(", ", started.Select(s => s.ShortId))}"));
            }, id),
            CommandFactory.Create("tag", "Add or remove a project's tags (e.g. agent-ready)", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.TagProject, Route(cli), new ProjectTags(cli.Get(add), cli.Get(remove)), ct), p => Output.Line($"Tags: {string.Join(", ", p.Tags)}")), id, add, remove),
            CommandFactory.Group("phases", "A project's phases",
                CommandFactory.Create("add", "Add a phase at the end", async (cli, ct) =>
                    cli.Print(await cli.Api.CallAsync(Operations.AddPhase, Route(cli), new NewPhase(cli.Get(phaseTitle), cli.Get(description)), ct), Show), id, phaseTitle, description),
                CommandFactory.Create("update", "Rename or redescribe a phase", async (cli, ct) =>
                    cli.Print(await cli.Api.CallAsync(Operations.UpdatePhase, PhaseRoute(cli), new PhaseChanges(cli.Get(newTitle), cli.Get(description)), ct), Show), id, number, newTitle, description),
                CommandFactory.Create("move", "Move a phase to another position (not before approved ones)", async (cli, ct) =>
                    cli.Print(await cli.Api.CallAsync(Operations.UpdatePhase, PhaseRoute(cli), new PhaseChanges(MoveTo: cli.Get(position)), ct), Show), id, number, position),
                CommandFactory.Create("remove", "Remove a phase that has no tasks", async (cli, ct) =>
                    cli.Print(await cli.Api.CallAsync(Operations.RemovePhase, PhaseRoute(cli), ct), Show), id, number)));
    }

    /// <summary>The phase a review is about when none is named: the one up for review, else the open one, else the first.</summary>
    private static int Reviewable(Project p) =>
        (p.Phases.FirstOrDefault(x => x.State == PhaseState.AwaitingReview) ?? p.Phases.FirstOrDefault(x => x.State == PhaseState.Open) ?? (p.Phases.Count > 0 ? p.Phases[0] : null))?.Number
        ?? throw new CommandFailedException($"project {p.ShortId} has no phases: add one with `konduktor projects phases add {p.ShortId} --title …`");

    private static void ShowReview(PhaseReview r)
    {
        Output.Line($"Phase {r.Phase}: {r.Title} · {Output.Words(r.State)} · {r.Files.Count} file(s), +{r.Added} -{r.Removed}, {r.Commits} commit(s) across {r.Tasks.Count} task(s)");
        Output.Table(["FILE", "+", "-", "TASKS"], r.Files.Select(f => (IReadOnlyList<string>)
            [f.Path, f.Added?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "bin", f.Removed?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "bin", string.Join(", ", f.Tasks)]),
            "No files changed yet: its tasks' changes are kept after each of their sessions.");
        foreach (var task in r.Tasks)
        {
            Output.Line("");
            Output.Line($"{task.ShortId}  {task.Title}  ({task.Status}, {Output.Cost(task.CostUsd)})");
            foreach (var commit in task.Changes?.Commits ?? [])
            {
                Output.Line($"  {commit.Sha[..Math.Min(8, commit.Sha.Length)]} {commit.Subject}");
            }

            Output.Line(task.Summary is { } summary ? "  " + summary.Trim().ReplaceLineEndings("\n  ") : "  (no final words yet)");
        }

        Output.Line("");
        Output.Line("Each task's diff: konduktor tasks diff ID");
    }

    private static void Show(Project p)
    {
        Output.Line($"{p.ShortId}  {p.Title}  ({Output.Words(p.Status)}{(p.AutoRun ? ", auto-run" : "")})");
        foreach (var phase in p.Phases)
        {
            var since = phase.ApprovedAt is { } approved ? $", approved {Output.Time(approved)}"
                : phase.ReviewRequestedAt is { } requested ? $", up for review (asked {Output.Time(requested)})"
                : phase.OpenedAt is { } opened && phase.State == PhaseState.Open ? $", opened {Output.Time(opened)}"
                : "";
            Output.Line($"Phase {phase.Number}: {phase.Title} · {Output.Words(phase.State)} · {phase.TasksDone}/{phase.TasksTotal} done{since}");
            foreach (var task in phase.Tasks)
            {
                Output.Line($"  {task.ShortId}  {task.Status,-12} {task.Title}");
            }
        }

        if (p.Blocking is { } blocking)
        {
            Output.Line($"Blocking: {blocking}");
        }

        if (p.CompletedAt is { } completed)
        {
            Output.Line($"Completed {Output.Time(completed)}");
        }
    }
}
