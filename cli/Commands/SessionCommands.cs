using System.CommandLine;
using System.Text.Json;
using Konduktor.Core;
using Konduktor.Core.Json;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;

namespace Konduktor.Cli.Commands;

/// <summary><c>sessions list|show|logs</c>, and the session parts of <c>tasks</c> (<c>run</c>, <c>logs</c>).</summary>
public static class SessionCommands
{
    private static readonly Option<bool> Follow = new("--follow", "-f") { Description = "Keep printing new events until the session ends" };
    private static readonly Option<bool> Raw = new("--raw") { Description = "Print the agent's lines exactly as it wrote them (stream-json)" };

    public static Command Build()
    {
        var id = new Argument<string>("id") { Description = "The session's id (a unique prefix)" };
        var task = new Option<string?>("--task", "-t") { Description = "Only sessions of this task" };
        var status = new Option<string?>("--status", "-s") { Description = "Only sessions in this state (queued, running, succeeded, failed, …)" };

        string SessionPath(CliContext cli) => $"{cli.WorkspacePath}/sessions/{ApiClient.Segment(cli.Get(id))}";

        return CommandFactory.Group("sessions", "Agent sessions: list them, show one, read or follow its logs",
            CommandFactory.Create("list", "List sessions, newest first", async (cli, ct) =>
            {
                var query = new List<string>();
                if (cli.Get(task) is { } t)
                {
                    query.Add("task=" + ApiClient.Segment(t));
                }

                if (cli.Get(status) is { } s)
                {
                    query.Add("status=" + ApiClient.Segment(s));
                }

                var sessions = await cli.Api.GetAsync<List<Session>>($"{cli.WorkspacePath}/sessions{(query.Count > 0 ? "?" + string.Join('&', query) : "")}", ct);
                cli.Print(sessions, all =>
                {
                    if (all.Count == 0)
                    {
                        Output.Line("No sessions.");
                        return;
                    }

                    Output.Table(["ID", "TASK", "KIND", "STATUS", "RUNNER", "CREATED", "COST"], all.Select(x => (IReadOnlyList<string>)
                        [x.ShortId, x.TaskId is { } taskId ? ShortId.Of(taskId) : "-", KonduktorJson.Name(x.Kind), KonduktorJson.Name(x.Status), x.RunnerName ?? "-", Output.Time(x.CreatedAt), Output.Cost(x.Outcome?.CostUsd)]));
                });
            }, task, status),
            CommandFactory.Create("show", "Show a session: state, runner, outcome, cost", async (cli, ct) =>
            {
                var session = await cli.Api.GetAsync<Session>(SessionPath(cli), ct);
                cli.Print(session, Show);
            }, id),
            CommandFactory.Create("logs", "Print a session's logs as a readable transcript", async (cli, ct) =>
                await PrintLogsAsync(cli, SessionPath(cli), ct), id, Follow, Raw),
            CommandFactory.Create("stop", "Stop a session: its runner kills the agent's process tree; the worktree stays", async (cli, ct) =>
            {
                var session = await cli.Api.PostAsync<Session>(SessionPath(cli) + "/stop", ct);
                cli.Print(session, Stopped);
            }, id));
    }

    public static Command Stop(Argument<string> id, Func<CliContext, string> taskPath) =>
        CommandFactory.Create("stop", "Stop the task's running session (the worktree and branch stay; resume later)", async (cli, ct) =>
        {
            var session = await cli.Api.PostAsync<Session>(taskPath(cli) + "/stop", ct);
            cli.Print(session, Stopped);
        }, id);

    public static Command Resume(Argument<string> id, Func<CliContext, string> taskPath)
    {
        var message = new Option<string?>("--message", "-m") { Description = "What to tell the agent as it picks up (or - for stdin)" };
        return CommandFactory.Create("resume", "Continue the task's Claude conversation in its worktree, on any runner", async (cli, ct) =>
        {
            var session = await cli.Api.PostAsync<Session>(taskPath(cli) + "/resume", new ResumeRequest(CommandFactory.ReadText(cli.Get(message), null)), ct);
            cli.Print(session, s => Output.Line($"Session {s.ShortId} queued to resume task {ShortId.Of(s.TaskId ?? Guid.Empty)}"));
            TellNotice(session.Value);
        }, id, message);
    }

    private static void Stopped(Session s) => Output.Line(s.Status == SessionStatus.Stopped
        ? $"Session {s.ShortId} stopped."
        : $"Session {s.ShortId} is stopping: its runner kills the agent within seconds.");

    public static Command Run(Argument<string> id, Func<CliContext, string> taskPath) =>
        CommandFactory.Create("run", "Run the task: queue a session for a runner and move the task to In progress", async (cli, ct) =>
        {
            var session = await cli.Api.PostAsync<Session>(taskPath(cli) + "/run", ct);
            cli.Print(session, s => Output.Line($"Session {s.ShortId} queued for task {ShortId.Of(s.TaskId ?? Guid.Empty)}"));
            TellNotice(session.Value);
        }, id);

    /// <summary>What the person should know about a session just queued (no runner can take it), on stderr so --json stays clean.</summary>
    private static void TellNotice(Session session)
    {
        if (session.Notice is { } notice)
        {
            Console.Error.WriteLine($"note: {notice}");
        }
    }

    public static Command TaskLogs(Argument<string> id, Func<CliContext, string> taskPath) =>
        CommandFactory.Create("logs", "Print the logs of the task's latest session", async (cli, ct) =>
        {
            var task = await cli.Api.GetAsync<TaskItem>(taskPath(cli), ct);
            if (task.Value.LatestSession is not { } latest)
            {
                throw new CommandFailedException($"task {task.Value.ShortId} has not run yet: `konduktor tasks run {task.Value.ShortId}`");
            }

            await PrintLogsAsync(cli, $"{cli.WorkspacePath}/sessions/{latest.Id:D}", ct);
        }, id, Follow, Raw);

    public static Command AgentLogs(Argument<string> name, Func<CliContext, string> agentPath) =>
        CommandFactory.Create("logs", "Print the logs of the agent's latest run", async (cli, ct) =>
        {
            var agent = await cli.Api.GetAsync<Konduktor.Core.Agents.Agent>(agentPath(cli), ct);
            if (agent.Value.LastSessionId is not { } latest)
            {
                throw new CommandFailedException($"agent {agent.Value.Name} has not run yet: `konduktor agents run-now {agent.Value.Name}`");
            }

            await PrintLogsAsync(cli, $"{cli.WorkspacePath}/sessions/{latest:D}", ct);
        }, name, Follow, Raw);

    private static async Task PrintLogsAsync(CliContext cli, string sessionPath, CancellationToken ct)
    {
        var follow = cli.Get(Follow);
        var raw = cli.Get(Raw);
        long after = 0;
        LogPage page;
        do
        {
            page = (await cli.Api.GetAsync<LogPage>($"{sessionPath}/logs?after={after}&limit=5000&wait={(follow ? 25 : 0)}", ct)).Value;
            foreach (var logEvent in page.Events)
            {
                if (cli.Json)
                {
                    Output.Line(KonduktorJson.Serialize(logEvent));
                }
                else if (raw)
                {
                    Output.Line(logEvent.Text);
                }
                else if (Transcript.Render(logEvent) is { } line)
                {
                    Output.Line(line);
                }
            }

            after = page.Next;
        }
        while (!page.Complete && (follow || page.Events.Count > 0));

        if (!cli.Json && !raw && !page.Complete && !follow)
        {
            Output.Line($"» the session is {KonduktorJson.Name(page.Status)}; `--follow` to keep reading");
        }
    }

    private static void Show(Session s)
    {
        Output.Line($"{s.ShortId}  {KonduktorJson.Name(s.Kind)} session, {KonduktorJson.Name(s.Status).Replace('-', ' ')}");
        Output.Line($"id:       {s.Id}");
        Output.Line($"task:     {(s.TaskId is { } t ? t.ToString() : "-")}");
        Output.Line($"branch:   {s.Branch ?? "-"}");
        Output.Line($"runner:   {s.RunnerName ?? "-"}{(s.Account is { } account ? $" (account {account})" : "")}");
        Output.Line($"claude:   {s.ClaudeSessionId ?? "-"}");
        if (s.QuotaResetsAt is { } resets)
        {
            Output.Line($"quota:    the usage limit resets at {Output.Clock(resets)}; {(s.ResumesAt is { } resumes ? $"it continues at {Output.Clock(resumes)}" : "a person resumes it (`konduktor tasks resume`)")}");
        }

        if (s.Continuations > 0)
        {
            Output.Line($"waited:   {s.Continuations} time(s) for quota, each time going on in the same conversation");
        }
        Output.Line($"created:  {s.CreatedAt:u}{(s.StartedAt is { } started ? $"   started: {started:u}" : "")}{(s.EndedAt is { } ended ? $"   ended: {ended:u}" : "")}");
        if (s.Outcome is { } o)
        {
            Output.Line($"outcome:  {o.Subtype}{(o.IsError ? " (error)" : "")}, {o.NumTurns} turns, {Output.Cost(o.CostUsd)}{(o.ConversationCostUsd is { } total && total != o.CostUsd ? $" (conversation so far {Output.Cost(total)})" : "")}, {o.InputTokens:N0} in / {o.OutputTokens:N0} out tokens");
            foreach (var denial in o.PermissionDenials ?? [])
            {
                Output.Line($"refused:  {denial.Tool}{(denial.Input is { } input ? $" ({input})" : "")}");
            }
        }

        if (s.ExitCode is { } code)
        {
            Output.Line($"exit:     {code}");
        }

        if (s.Error is { } error)
        {
            Output.Line("error:");
            Output.Line(error);
        }
    }


}
