using Konduktor.Core.Contract;
using System.CommandLine;
using Konduktor.Core;
using Konduktor.Core.Tasks;

namespace Konduktor.Cli.Commands;

public static class TaskCommands
{
    private static readonly Argument<string> Id = new("id") { Description = "The task's id (a unique prefix, e.g. the 8 characters shown)" };
    private static readonly Option<string?> Title = new("--title") { Description = "One line, at most 200 characters" };
    private static readonly Option<string> RequiredTitle = new("--title") { Description = "One line, at most 200 characters", Required = true };
    private static readonly Option<string?> Description = new("--description", "-d") { Description = "Markdown text, or - to read it from stdin" };
    private static readonly Option<string?> DescriptionFile = new("--description-file") { Description = "A markdown file, or - for stdin" };
    private static readonly Option<string[]> Tags = new("--tag") { Description = "A tag (repeat for more)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string[]> AddTags = new("--add-tag") { Description = "Add a tag (repeatable)" };
    private static readonly Option<string[]> RemoveTags = new("--remove-tag") { Description = "Remove a tag (repeatable)" };
    private static readonly Option<Priority?> PriorityOption = new("--priority", "-p") { Description = "none, low, medium, high or urgent" };
    private static readonly Option<string?> Status = new("--status", "-s") { Description = "A board column, e.g. \"To do\"" };
    private static readonly Option<string?> Text = new("--text", "-q") { Description = "Text in the title (or a short id)" };
    private static readonly Option<string?> Tag = new("--tag") { Description = "Only tasks with this tag" };
    private static readonly Option<string?> Project = new("--project") { Description = "Put the task in this project (with --phase)" };
    private static readonly Option<int?> Phase = new("--phase") { Description = "The project's phase, from 1" };
    private static readonly Option<string?> IfMatch = new("--if-match") { Description = "Only if the task is still at this version (its `version` in `tasks show --json`): nobody's change is overwritten" };
    private static readonly Option<bool> Stat = new("--stat") { Description = "Only the files with lines added and removed, and the commits" };
    private static readonly Option<decimal?> Budget = new("--budget") { Description = "US dollars the task may spend over all its sessions (0: the workspace's default)" };
    private static readonly Option<string[]> BlockedBy = new("--blocked-by") { Description = "Tasks (ids, comma-separated or repeated) this one waits for: it runs once each is Done; replaces the ones it waited for", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<bool> Unblock = new("--unblock") { Description = "It waits for no task any more" };
    private static readonly Option<bool> AutoRun = new("--auto-run") { Description = "Start by itself once no task it waits for is unfinished (once)" };
    private static readonly Option<bool> NoAutoRun = new("--no-auto-run") { Description = "Do not start by itself" };
    private static readonly Argument<string> Column = new("status") { Description = "The column to move to, e.g. \"In progress\"" };

    public static Command Build() =>
        CommandFactory.Group("tasks", "Create, list, change and move tasks",
            Create(),
            List(),
            SessionCommands.Run(Id, TaskRoute),
            SessionCommands.TaskLogs(Id, TaskRoute),
            SessionCommands.Stop(Id, TaskRoute),
            SessionCommands.Resume(Id, TaskRoute),
            SessionCommands.Say(Id, TaskRoute),
            Diff(),
            Show(),
            Update(),
            Move(),
            Delete());

    private static IReadOnlyList<string> TaskRoute(CliContext cli) => cli.In(cli.Get(Id));

    private static Command Create() => CommandFactory.Create("create", "Create a task", async (cli, ct) =>
    {
        var input = new NewTask
        {
            Title = cli.Get(RequiredTitle),
            Description = CommandFactory.ReadText(cli.Get(Description), cli.Get(DescriptionFile)),
            Tags = cli.Get(Tags) ?? [],
            Priority = cli.Get(PriorityOption),
            Status = cli.Get(Status),
            Project = cli.Get(Project),
            Phase = cli.Get(Phase),
            BlockedBy = Blockers(cli),
            AutoRun = cli.Get(AutoRun) ? true : null,
        };
        var created = await cli.Api.CallAsync(Operations.CreateTask, cli.In(), input, ct);
        cli.Print(created, t => Output.Line($"Task created: {t.ShortId} \"{t.Title}\"{Waiting(t)}"));
    }, RequiredTitle, Description, DescriptionFile, Tags, PriorityOption, Status, Project, Phase, BlockedBy, AutoRun);

    /// <summary>The blockers an option names, split at commas; null when it is not given.</summary>
    private static string[]? Blockers(CliContext cli) =>
        cli.Get(BlockedBy) is { Length: > 0 } given ? given.SelectMany(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray() : null;

    /// <summary>After a create or update: what the task waits for, and whether it starts by itself.</summary>
    private static string Waiting(TaskItem t) =>
        (t.Blockers is { Count: > 0 } blockers ? $"; waits for {string.Join(", ", blockers.Select(b => $"{b.ShortId} ({b.Status})"))}" : "")
        + (t.AutoRun ? (t.Blockers is { Count: > 0 } ? "; starts by itself once they are Done" : "; starts by itself now") : "");

    private static Command List() => CommandFactory.Create("list", "List tasks, by column then rank", async (cli, ct) =>
    {
        var list = await cli.Api.CallAsync(Operations.ListTasks, cli.In(), ct, query:
            [new("status", cli.Get(Status)), new("tag", cli.Get(Tag)), new("priority", cli.Get(PriorityOption)?.ToString().ToLowerInvariant()), new("q", cli.Get(Text))]);
        cli.Print(list, all =>
        {
            Output.Table(["ID", "STATUS", "PRIORITY", "TITLE", "TAGS"], all.Select(t => (IReadOnlyList<string>)
                [t.ShortId, t.ResumesAt is { } resumes ? $"{t.Status} (resumes {Output.Clock(resumes)})" : t.QuotaResetsAt is not null ? $"{t.Status} (waiting for quota)"
                    : t.Blockers is { Count: > 0 } blockers ? $"{t.Status} (waits for {string.Join(",", blockers.Select(b => b.ShortId))})" : t.Status,
                 Label(t.Priority), Output.Truncate(t.Title, 70), string.Join(",", t.Tags)]), "No tasks.");
        });
    }, Status, Tag, PriorityOption, Text);

    private static Command Diff() => CommandFactory.Create("diff", "What the task's branch changes against its base, as of its latest session (no GitHub needed)", async (cli, ct) =>
    {
        var changes = await cli.Api.CallAsync(Operations.GetTaskChanges, TaskRoute(cli), ct);
        cli.Print(changes, c => ShowChanges(c, cli.Get(Stat)));
    }, Id, Stat);

    private static Command Show() => CommandFactory.Create("show", "Show a task with its description", async (cli, ct) =>
    {
        var shown = await cli.Api.CallAsync(Operations.GetTask, TaskRoute(cli), ct);
        cli.Print(shown, ShowTask);
    }, Id);

    private static void ShowTask(TaskItem t)
    {
        Output.Line($"{t.ShortId}  {t.Title}");
        Output.Line($"id:       {t.Id}");
        Output.Line($"status:   {t.Status}");
        Output.Line($"priority: {Label(t.Priority)}");
        Output.Line($"tags:     {string.Join(", ", t.Tags)}");
        Output.Line($"created:  {t.CreatedAt:u}{(t.CreatedBy is { } by ? $" by {by}" : "")}   updated: {t.UpdatedAt:u}");
        if (t.PullRequestUrl is { } pr)
        {
            var state = string.Join(", ", new[] { t.ChecksState is { } checks ? $"checks {checks}" : null, t.ReviewState is { } review and not "none" ? review.Replace('_', ' ') : null }.OfType<string>());
            Output.Line($"PR:       #{t.PullRequestNumber} {pr}{(state.Length > 0 ? $" ({state})" : "")}");
        }

        if (t.ProjectId is { } projectId)
        {
            Output.Line($"project:  {ShortId.Of(projectId)} (`konduktor projects show {ShortId.Of(projectId)}`)");
        }

        if (t.BlockedBy.Count > 0)
        {
            var unfinished = t.Blockers ?? [];
            var done = t.BlockedBy.Count - unfinished.Count;
            Output.Line($"waits:    {(unfinished.Count == 0 ? "for nothing unfinished" : string.Join(", ", unfinished.Select(b => $"{b.ShortId} \"{Output.Truncate(b.Title, 40)}\" ({b.Status})")))}"
                + (done > 0 && unfinished.Count > 0 ? $"; {done} done" : "") + (t.AutoRun ? "; starts by itself once they are Done" : ""));
        }
        else if (t.AutoRun)
        {
            Output.Line("waits:    for nothing; starts by itself");
        }

        if (t.Note is { } note)
        {
            Output.Line($"note:     {note}");
        }

        if (t.LatestSession is { } latest)
        {
            Output.Line($"branch:   {t.Branch}");
            Output.Line($"session:  {ShortId.Of(latest.Id)} ({latest.Status}); {t.SessionCount} session(s), {Output.Cost(t.CostUsd)}{(t.BudgetUsd is { } budget ? $" of its {Output.Cost(budget)} budget" : "")}, {t.InputTokens:N0} in / {t.OutputTokens:N0} out tokens");
        }

        if (Output.QuotaWait(t) is { } waiting)
        {
            Output.Line($"quota:    {waiting}");
        }

        if (!string.IsNullOrEmpty(t.Description))
        {
            Output.Line("");
            Output.Line(t.Description);
        }
    }

    private static Command Update() => CommandFactory.Create("update", "Change a task's fields", async (cli, ct) =>
    {
        var changes = new TaskChanges
        {
            Project = cli.Get(Project),
            Phase = cli.Get(Phase),
            Title = cli.Get(Title),
            Description = CommandFactory.ReadText(cli.Get(Description), cli.Get(DescriptionFile)),
            Tags = cli.Parse.GetResult(Tags) is not null ? cli.Get(Tags) : null,
            AddTags = cli.Get(AddTags) is { Length: > 0 } add ? add : null,
            RemoveTags = cli.Get(RemoveTags) is { Length: > 0 } remove ? remove : null,
            Priority = cli.Get(PriorityOption),
            Status = cli.Get(Status),
            BudgetUsd = cli.Get(Budget),
            BlockedBy = (Blockers(cli), cli.Get(Unblock)) switch
            {
                ({ }, true) => throw new CommandFailedException("give --blocked-by or --unblock, not both", ExitCodes.Usage),
                (_, true) => [],
                var (blockers, _) => blockers,
            },
            AutoRun = (cli.Get(AutoRun), cli.Get(NoAutoRun)) switch
            {
                (true, true) => throw new CommandFailedException("give --auto-run or --no-auto-run, not both", ExitCodes.Usage),
                (true, _) => true,
                (_, true) => false,
                _ => null,
            },
        };
        var updated = await cli.Api.CallAsync(Operations.UpdateTask, TaskRoute(cli), changes, ct, cli.Get(IfMatch));
        cli.Print(updated, t => Output.Line($"Task updated: {t.ShortId} \"{t.Title}\"{Waiting(t)}"));
    }, Id, Title, Description, DescriptionFile, Tags, AddTags, RemoveTags, PriorityOption, Status, Project, Phase, Budget, BlockedBy, Unblock, AutoRun, NoAutoRun, IfMatch);

    private static Command Move() => CommandFactory.Create("move", "Move a task to another column", async (cli, ct) =>
    {
        var moved = await cli.Api.CallAsync(Operations.MoveTask, TaskRoute(cli), new MoveRequest(cli.Get(Column)), ct, cli.Get(IfMatch));
        cli.Print(moved, t => Output.Line($"Task moved: {t.ShortId} → {t.Status}"));
    }, Id, Column, IfMatch);

    private static Command Delete() => CommandFactory.Create("delete", "Delete a task", async (cli, ct) =>
    {
        var deleted = await cli.Api.CallAsync(Operations.DeleteTask, TaskRoute(cli), ct);
        cli.Print(deleted, t => Output.Line($"Task deleted: {t.ShortId} \"{t.Title}\""));
    }, Id);

    private static void ShowChanges(Konduktor.Core.Changes.ChangeSet c, bool statOnly)
    {
        if (!statOnly)
        {
            Console.Out.Write(c.Diff);
            if (c.Truncated)
            {
                Output.Line($"» the diff is cut at {Konduktor.Core.Changes.ChangeSetRules.MaxDiffChars:N0} characters: the rest is on branch {c.Branch}");
            }

            return;
        }

        var width = c.Files.Count == 0 ? 0 : Math.Min(60, c.Files.Max(f => f.Path.Length + (f.OldPath is null ? 0 : f.OldPath.Length + 4)));
        foreach (var file in c.Files)
        {
            var name = file.OldPath is { } old ? $"{old} => {file.Path}" : file.Path;
            Output.Line($" {Output.Truncate(name, 60).PadRight(width)} | {(file.Added is { } added ? $"+{added} -{file.Removed}" : "binary")}");
        }

        Output.Line($" {c.Files.Count + c.MoreFiles} file(s) changed, {c.Added} insertion(s)(+), {c.Removed} deletion(s)(-){(c.MoreFiles > 0 ? $"; {c.MoreFiles} more file(s) not listed" : "")}");
        Output.Line($" {c.Branch} against {c.Base} ({c.BaseCommit[..Math.Min(12, c.BaseCommit.Length)]}..{c.HeadCommit[..Math.Min(12, c.HeadCommit.Length)]}), as of {Output.Time(c.At)}");
        foreach (var commit in c.Commits)
        {
            Output.Line($" {commit.Sha[..Math.Min(10, commit.Sha.Length)]} {commit.Subject}{(commit.Trailers.Count > 0 ? $"  [{string.Join("; ", commit.Trailers)}]" : "")}");
        }
    }

    private static string Label(Priority priority) => priority == Priority.None ? "-" : priority.ToString().ToLowerInvariant();
}
