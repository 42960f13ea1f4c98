using Konduktor.Core.Contract;
using System.CommandLine;
using Konduktor.Core;
using Konduktor.Core.Tasks;

namespace Konduktor.Cli.Commands;

public static class TaskCommands
{
    public static Command Build()
    {
        var id = new Argument<string>("id") { Description = "The task's id (a unique prefix, e.g. the 8 characters shown)" };
        var title = new Option<string?>("--title") { Description = "One line, at most 200 characters" };
        var requiredTitle = new Option<string>("--title") { Description = "One line, at most 200 characters", Required = true };
        var description = new Option<string?>("--description", "-d") { Description = "Markdown text, or - to read it from stdin" };
        var descriptionFile = new Option<string?>("--description-file") { Description = "A markdown file, or - for stdin" };
        var tags = new Option<string[]>("--tag") { Description = "A tag (repeat for more)", AllowMultipleArgumentsPerToken = false };
        var addTags = new Option<string[]>("--add-tag") { Description = "Add a tag (repeatable)" };
        var removeTags = new Option<string[]>("--remove-tag") { Description = "Remove a tag (repeatable)" };
        var priority = new Option<Priority?>("--priority", "-p") { Description = "none, low, medium, high or urgent" };
        var status = new Option<string?>("--status", "-s") { Description = "A board column, e.g. \"To do\"" };
        var text = new Option<string?>("--text", "-q") { Description = "Text in the title (or a short id)" };
        var tag = new Option<string?>("--tag") { Description = "Only tasks with this tag" };
        var project = new Option<string?>("--project") { Description = "Put the task in this project (with --phase)" };
        var phase = new Option<int?>("--phase") { Description = "The project's phase, from 1" };
        var ifMatch = new Option<string?>("--if-match") { Description = "Only if the task is still at this version (`tasks show` prints it): nobody's change is overwritten" };
        var stat = new Option<bool>("--stat") { Description = "Only the files with lines added and removed, and the commits" };
        var budget = new Option<decimal?>("--budget") { Description = "US dollars the task may spend over all its sessions (0: the workspace's default)" };
        var column = new Argument<string>("status") { Description = "The column to move to, e.g. \"In progress\"" };

        IReadOnlyList<string> TaskRoute(CliContext cli) => cli.In(cli.Get(id));

        return CommandFactory.Group("tasks", "Create, list, change and move tasks",
            CommandFactory.Create("create", "Create a task", async (cli, ct) =>
            {
                var input = new NewTask
                {
                    Title = cli.Get(requiredTitle),
                    Description = CommandFactory.ReadText(cli.Get(description), cli.Get(descriptionFile)),
                    Tags = cli.Get(tags) ?? [],
                    Priority = cli.Get(priority),
                    Status = cli.Get(status),
                    Project = cli.Get(project),
                    Phase = cli.Get(phase),
                };
                var created = await cli.Api.CallAsync(Operations.CreateTask, cli.In(), input, ct);
                cli.Print(created, t => Output.Line($"Task created: {t.ShortId} \"{t.Title}\""));
            }, requiredTitle, description, descriptionFile, tags, priority, status, project, phase),
            CommandFactory.Create("list", "List tasks, by column then rank", async (cli, ct) =>
            {
                var list = await cli.Api.CallAsync(Operations.ListTasks, cli.In(), ct, query:
                    [new("status", cli.Get(status)), new("tag", cli.Get(tag)), new("priority", cli.Get(priority)?.ToString().ToLowerInvariant()), new("q", cli.Get(text))]);
                cli.Print(list, all =>
                {
                    if (all.Count == 0)
                    {
                        Output.Line("No tasks.");
                        return;
                    }

                    Output.Table(["ID", "STATUS", "PRIORITY", "TITLE", "TAGS"], all.Select(t => (IReadOnlyList<string>)
                        [t.ShortId, t.ResumesAt is { } resumes ? $"{t.Status} (resumes {Output.Clock(resumes)})" : t.QuotaResetsAt is not null ? $"{t.Status} (waiting for quota)" : t.Status,
                         Label(t.Priority), Output.Truncate(t.Title, 70), string.Join(",", t.Tags)]));
                });
            }, status, tag, priority, text),
            SessionCommands.Run(id, TaskRoute),
            SessionCommands.TaskLogs(id, TaskRoute),
            SessionCommands.Stop(id, TaskRoute),
            SessionCommands.Resume(id, TaskRoute),
            CommandFactory.Create("diff", "What the task's branch changes against its base, as of its latest session (no GitHub needed)", async (cli, ct) =>
            {
                var changes = await cli.Api.CallAsync(Operations.GetTaskChanges, TaskRoute(cli), ct);
                cli.Print(changes, c => ShowChanges(c, cli.Get(stat)));
            }, id, stat),
            CommandFactory.Create("show", "Show a task with its description", async (cli, ct) =>
            {
                var shown = await cli.Api.CallAsync(Operations.GetTask, TaskRoute(cli), ct);
                cli.Print(shown, t =>
                {
                    Output.Line($"{t.ShortId}  {t.Title}");
                    Output.Line($"id:       {t.Id}");
                    Output.Line($"status:   {t.Status}");
                    Output.Line($"priority: {Label(t.Priority)}");
                    Output.Line($"tags:     {string.Join(", ", t.Tags)}");
                    Output.Line($"created:  {t.CreatedAt:u}{(t.CreatedBy is { } by ? $" by {by}" : "")}   updated: {t.UpdatedAt:u}   version: {t.Version}");
                    if (t.PullRequestUrl is { } pr)
                    {
                        var state = string.Join(", ", new[] { t.ChecksState is { } checks ? $"checks {checks}" : null, t.ReviewState is { } review and not "none" ? review.Replace('_', ' ') : null }.OfType<string>());
                        Output.Line($"PR:       #{t.PullRequestNumber} {pr}{(state.Length > 0 ? $" ({state})" : "")}");
                    }

                    if (t.ProjectId is { } projectId)
                    {
                        Output.Line($"project:  {Konduktor.Core.ShortId.Of(projectId)} (`konduktor projects show {Konduktor.Core.ShortId.Of(projectId)}`)");
                    }

                    if (t.Note is { } note)
                    {
                        Output.Line($"note:     {note}");
                    }

                    if (t.LatestSession is { } latest)
                    {
                        Output.Line($"branch:   {t.Branch}");
                        Output.Line($"session:  {ShortId.Of(latest.Id)} ({latest.Status}); {t.SessionCount} session(s), {Output.Cost(t.CostUsd)}{(t.BudgetUsd is { } budget ? $" of its ${budget:0.00} budget" : "")}, {t.InputTokens:N0} in / {t.OutputTokens:N0} out tokens");
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
                });
            }, id),
            CommandFactory.Create("update", "Change a task's fields", async (cli, ct) =>
            {
                var replaceTags = cli.Parse.GetResult(tags) is not null ? cli.Get(tags) : null;
                var changes = new TaskChanges
                {
                    Project = cli.Get(project),
                    Phase = cli.Get(phase),
                    Title = cli.Get(title),
                    Description = CommandFactory.ReadText(cli.Get(description), cli.Get(descriptionFile)),
                    Tags = replaceTags,
                    AddTags = cli.Get(addTags) is { Length: > 0 } add ? add : null,
                    RemoveTags = cli.Get(removeTags) is { Length: > 0 } remove ? remove : null,
                    Priority = cli.Get(priority),
                    Status = cli.Get(status),
                    BudgetUsd = cli.Get(budget),
                };
                var updated = await cli.Api.CallAsync(Operations.UpdateTask, TaskRoute(cli), changes, ct, cli.Get(ifMatch));
                cli.Print(updated, t => Output.Line($"Task updated: {t.ShortId} \"{t.Title}\""));
            }, id, title, description, descriptionFile, tags, addTags, removeTags, priority, status, project, phase, budget, ifMatch),
            CommandFactory.Create("move", "Move a task to another column", async (cli, ct) =>
            {
                var moved = await cli.Api.CallAsync(Operations.MoveTask, TaskRoute(cli), new MoveRequest(cli.Get(column)), ct, cli.Get(ifMatch));
                cli.Print(moved, t => Output.Line($"Task moved: {t.ShortId} → {t.Status}"));
            }, id, column, ifMatch),
            CommandFactory.Create("delete", "Delete a task", async (cli, ct) =>
            {
                var deleted = await cli.Api.CallAsync(Operations.DeleteTask, TaskRoute(cli), ct);
                cli.Print(deleted, t => Output.Line($"Task deleted: {t.ShortId} \"{t.Title}\""));
            }, id));
    }

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
