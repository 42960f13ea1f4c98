using Konduktor.Core.Contract;
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

        IReadOnlyList<string> SessionRoute(CliContext cli) => cli.In(cli.Get(id));

        return CommandFactory.Group("sessions", "Agent sessions: list them, show one, read or follow its logs",
            CommandFactory.Create("list", "List sessions, newest first", async (cli, ct) =>
            {
                var sessions = await cli.Api.CallAsync(Operations.ListSessions, cli.In(), ct, query: [new("task", cli.Get(task)), new("status", cli.Get(status))]);
                cli.Print(sessions, all =>
                {
                    Output.Table(["ID", "TASK", "KIND", "STATUS", "RUNNER", "CREATED", "COST"], all.Select(x => (IReadOnlyList<string>)
                        [x.ShortId, x.TaskId is { } taskId ? ShortId.Of(taskId) : "-", Output.Words(x.Kind), Output.Words(x.Status), x.RunnerName ?? "-", Output.Time(x.CreatedAt), Output.Cost(x.Outcome?.CostUsd)]), "No sessions.");
                });
            }, task, status),
            CommandFactory.Create("show", "Show a session: state, runner, outcome, cost", async (cli, ct) =>
            {
                var session = await cli.Api.CallAsync(Operations.GetSession, SessionRoute(cli), ct);
                cli.Print(session, Show);
            }, id),
            CommandFactory.Create("logs", "Print a session's logs as a readable transcript", async (cli, ct) =>
                await PrintLogsAsync(cli, SessionRoute(cli), ct), id, Follow, Raw),
            CommandFactory.Create("stop", "Stop a session: its runner kills the agent's process tree; the worktree stays", async (cli, ct) =>
            {
                var session = await cli.Api.CallAsync(Operations.StopSession, SessionRoute(cli), ct);
                cli.Print(session, Stopped);
            }, id));
    }

    public static Command Stop(Argument<string> id, Func<CliContext, IReadOnlyList<string>> taskRoute) =>
        CommandFactory.Create("stop", "Stop the task's running session (the worktree and branch stay; resume later)", async (cli, ct) =>
        {
            var session = await cli.Api.CallAsync(Operations.StopTask, taskRoute(cli), ct);
            cli.Print(session, Stopped);
        }, id);

    public static Command Resume(Argument<string> id, Func<CliContext, IReadOnlyList<string>> taskRoute)
    {
        var message = new Option<string?>("--message", "-m") { Description = "What to tell the agent as it picks up (or - for stdin)" };
        return CommandFactory.Create("resume", "Continue the task's Claude conversation in its worktree, on any runner", async (cli, ct) =>
        {
            var session = await cli.Api.CallAsync(Operations.ResumeTask, taskRoute(cli), new ResumeRequest(CommandFactory.ReadText(cli.Get(message), null)), ct);
            cli.Print(session, s => Output.Line($"Session {s.ShortId} queued to resume task {ShortId.Of(s.TaskId ?? Guid.Empty)}"));
            TellNotice(session.Value);
        }, id, message);
    }

    /// <summary><c>tasks say ID "message"</c> (or <c>--file F</c>, or piped in): the running agent hears it at its next turn, or at once with <c>--now</c>.</summary>
    public static Command Say(Argument<string> id, Func<CliContext, IReadOnlyList<string>> taskRoute)
    {
        var text = new Argument<string?>("message") { Description = "What to say (- reads stdin)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file") { Description = "Say what this file holds" };
        var now = new Option<bool>("--now") { Description = "Interrupt the turn in flight: the agent answers this next" };
        return CommandFactory.Create("say", "Say something to the task's running agent: it hears it at its next turn (--now: at once)", async (cli, ct) =>
        {
            var said = CommandFactory.ReadText(cli.Get(text), cli.Get(file))
                ?? (Console.IsInputRedirected ? await Console.In.ReadToEndAsync(ct) : throw new CommandFailedException("say what? give the message, --file FILE, or pipe it in"));
            var message = await cli.Api.CallAsync(Operations.SayToTask, taskRoute(cli), new NewSessionMessage(said, cli.Get(now)), ct);
            cli.Print(message, m => Output.Line(m.Now
                ? $"Told session {ShortId.Of(m.SessionId)}: its agent stops the turn in flight and answers this next."
                : $"Told session {ShortId.Of(m.SessionId)}: its agent hears this at its next turn."));
        }, id, text, file, now);
    }

    private static void Stopped(Session s) => Output.Line(s.Status == SessionStatus.Stopped
        ? $"Session {s.ShortId} stopped."
        : $"Session {s.ShortId} is stopping: its runner kills the agent within seconds.");

    public static Command Run(Argument<string> id, Func<CliContext, IReadOnlyList<string>> taskRoute) =>
        CommandFactory.Create("run", "Run the task: queue a session for a runner and move the task to In progress", async (cli, ct) =>
        {
            var session = await cli.Api.CallAsync(Operations.RunTask, taskRoute(cli), ct);
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

    public static Command TaskLogs(Argument<string> id, Func<CliContext, IReadOnlyList<string>> taskRoute)
    {
        var all = new Option<bool>("--all") { Description = "Every session of the task, oldest first, not only the latest" };
        return CommandFactory.Create("logs", "Print the logs of the task's latest session (--all: of all its sessions, in order)", async (cli, ct) =>
        {
            var task = await cli.Api.CallAsync(Operations.GetTask, taskRoute(cli), ct);
            if (task.Value.LatestSession is not { } latest)
            {
                throw new CommandFailedException($"task {task.Value.ShortId} has not run yet: `konduktor tasks run {task.Value.ShortId}`");
            }

            if (!cli.Get(all))
            {
                await PrintLogsAsync(cli, cli.In(latest.Id.ToString("D")), ct);
                return;
            }

            var sessions = (await cli.Api.CallAsync(Operations.ListSessions, cli.In(), ct, query: [new("task", task.Value.Id.ToString("D")), new("limit", "1000")])).Value;
            foreach (var session in sessions.OrderBy(s => s.CreatedAt))
            {
                if (!cli.Json)
                {
                    Output.Line($"── session {session.ShortId} · {Output.Words(session.Kind)} · {Output.Words(session.Status)} · {Output.Time(session.CreatedAt)} ──");
                }

                await PrintLogsAsync(cli, cli.In(session.Id.ToString("D")), ct, followLast: session.Id == latest.Id);
            }
        }, id, Follow, Raw, all);
    }

    public static Command AgentLogs(Argument<string> name, Func<CliContext, IReadOnlyList<string>> agentRoute) =>
        CommandFactory.Create("logs", "Print the logs of the agent's latest run", async (cli, ct) =>
        {
            var agent = await cli.Api.CallAsync(Operations.GetAgent, agentRoute(cli), ct);
            if (agent.Value.LastSessionId is not { } latest)
            {
                throw new CommandFailedException($"agent {agent.Value.Name} has not run yet: `konduktor agents run-now {agent.Value.Name}`");
            }

            await PrintLogsAsync(cli, cli.In(latest.ToString("D")), ct);
        }, name, Follow, Raw);

    private static async Task PrintLogsAsync(CliContext cli, IReadOnlyList<string> sessionRoute, CancellationToken ct, bool followLast = true)
    {
        var follow = cli.Get(Follow) && followLast;
        var asWritten = cli.Json || cli.Get(Raw);
        long after = 0;
        bool complete, progressed;
        SessionStatus status;
        do
        {
            IReadOnlyList<KeyValuePair<string, string?>> query = [new("after", after.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("limit", "5000"), new("wait", follow ? "25" : "0")];
            long next;
            if (asWritten)
            {
                var page = (await cli.Api.CallAsync(Operations.ReadSessionLogs, sessionRoute, ct, query)).Value;
                foreach (var logEvent in page.Events)
                {
                    Output.Line(cli.Json ? KonduktorJson.Serialize(logEvent) : logEvent.Text);
                }

                (next, complete, status) = (page.Next, page.Complete, page.Status);
            }
            else
            {
                var page = (await cli.Api.CallAsync(Operations.ReadSessionEntries, sessionRoute, ct, query)).Value;
                foreach (var line in page.Entries.Select(Transcript.Render).OfType<string>())
                {
                    Output.Line(line);
                }

                (next, complete, status) = (page.Next, page.Complete, page.Status);
            }

            progressed = next != after;
            after = next;
        }
        while (!complete && (follow || progressed));

        if (!asWritten && !complete && !follow)
        {
            Output.Line($"» the session is {Output.Words(status)}; `--follow` to keep reading");
        }
    }

    private static void Show(Session s)
    {
        Output.Line($"{s.ShortId}  {Output.Words(s.Kind)} session, {Output.Words(s.Status)}");
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
