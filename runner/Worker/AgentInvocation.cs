using System.Diagnostics;
using System.Globalization;
using Konduktor.Core;
using Konduktor.Core.Sessions;

namespace Konduktor.Runner.Worker;

/// <summary>
/// The agent's command line and environment for one session — argument lists only, never a shell line:
/// <c>claude -p --input-format stream-json --output-format stream-json --verbose --append-system-prompt-file F
/// --permission-mode M [--model M] (--session-id ID | --resume ID) [--max-turns N] [--max-budget-usd X]</c>; the prompt
/// and what people say while it works are user messages on its stdin (<see cref="AgentInbox"/>).
/// </summary>
public static class AgentInvocation
{
    public static ProcessStartInfo Build(RunnerOptions options, SessionJob job, string worktree, Conversation conversation, string systemPromptFile)
    {
        // Its real path: inside the sandbox only its install folder is there, not the link on PATH that leads to it.
        var start = new ProcessStartInfo(Executable.Find(options.AgentCommand[0]) is { } found ? SandboxPolicy.RealPath(found) : options.AgentCommand[0])
        {
            WorkingDirectory = worktree,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments(options, job, conversation, systemPromptFile))
        {
            start.ArgumentList.Add(argument);
        }

        // Only what an agent may see of the runner's environment: not a person's tokens, not Konduktor's own settings.
        AgentEnvironment.Restrict(start);

        // The workspace's secrets, for the setup script and the agent (names checked by Konduktor: never one of ours).
        foreach (var (name, value) in job.Secrets)
        {
            start.Environment[name] = value;
        }

        var session = job.Session;
        start.Environment["KONDUKTOR_URL"] = options.ApiUrl.ToString().TrimEnd('/');
        start.Environment["KONDUKTOR_TOKEN"] = job.Token;
        start.Environment["KONDUKTOR_WORKSPACE"] = ShortId.Format(session.WorkspaceId);
        start.Environment["KONDUKTOR_TASK"] = session.TaskId is { } taskId ? ShortId.Format(taskId) : "";
        start.Environment["KONDUKTOR_SESSION"] = ShortId.Format(session.Id);

        // Claude Code says when it has answered everything on stdin (idle), so the runner knows when to close it.
        start.Environment["CLAUDE_CODE_EMIT_SESSION_STATE_EVENTS"] = "1";
        if (options.KonduktorDirectory is { } konduktor)
        {
            start.Environment["PATH"] = konduktor + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        }

        if (Environment.IsPrivilegedProcess)
        {
            // Claude Code refuses bypassPermissions as root unless told it runs in a sandbox; the runner says so when it starts.
            start.Environment["IS_SANDBOX"] = "1";
        }

        return start;
    }

    private static IEnumerable<string> Arguments(RunnerOptions options, SessionJob job, Conversation conversation, string systemPromptFile)
    {
        foreach (var argument in options.AgentCommand.Skip(1))
        {
            yield return argument;
        }

        yield return "-p";
        yield return "--input-format";
        yield return "stream-json";
        yield return "--output-format";
        yield return "stream-json";
        yield return "--verbose";
        if (job.SystemPrompt.Length > 0)
        {
            yield return "--append-system-prompt-file";
            yield return systemPromptFile;
        }

        yield return "--permission-mode";
        yield return job.PermissionMode;
        if (job.Model is { Length: > 0 } model)
        {
            yield return "--model";
            yield return model;
        }

        yield return conversation.Resumed ? "--resume" : "--session-id";
        yield return conversation.Id;
        if (job.MaxTurns is { } maxTurns)
        {
            yield return "--max-turns";
            yield return maxTurns.ToString(CultureInfo.InvariantCulture);
        }

        if (job.MaxBudgetUsd is { } budget)
        {
            yield return "--max-budget-usd";
            yield return budget.ToString(CultureInfo.InvariantCulture);
        }
    }
}
