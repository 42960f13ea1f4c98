using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>
/// The agent command (found, version, signed in) and the sandbox it will run in: what <c>up</c> and <c>runner start</c>
/// print before starting, and what the runner looks at again while its agent cannot run.
/// </summary>
public sealed class AgentCheck(RunnerOptions options, GitWorkspaces git, RunnerState state, ILogger<AgentCheck> logger)
{
    public async Task<AgentReadiness> CheckAsync(CancellationToken ct)
    {
        if (state.Sandbox is null)
        {
            var agentProgram = Executable.Find(options.AgentCommand[0]) is { } found ? SandboxPolicy.RealPath(found) : null;
            var programs = SandboxPolicy.ProgramFolders(agentProgram, options.KonduktorDirectory, Environment.GetEnvironmentVariable("PATH"), options.HiddenFromAgents, Environment.GetEnvironmentVariable("HOME"));
            var hidden = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } personHome ? [.. options.HiddenFromAgents, personHome] : options.HiddenFromAgents;
            var sandbox = state.Sandbox = await AgentSandbox.DetectAsync(programs, options.SharedFolders, hidden, ct);
            git.Confine = start => sandbox.ConfineRunnerGit(start, options.HiddenFromAgents, git.GitFolders);
        }

        var agent = await AgentPreflight.CheckAsync(options.AgentCommand, ct);
        if (agent.Ready && state.Sandbox is { Missing: { } missing } && !options.AllowUnsandboxed)
        {
            agent = agent with { Problem = Unconfined(missing) };
        }

        return state.Agent = agent;
    }

    /// <summary>Why no agent starts on a runner that cannot confine it, with both ways out.</summary>
    public static string Unconfined(string missing) =>
        $"agents are not started unconfined: {missing} — or start the runner with --allow-unsandboxed to run them with this user's access to this machine";

    public void Log()
    {
        if (state.Agent is not { } agent)
        {
            return;
        }

        if (agent.Ready)
        {
            logger.LogInformation("Agent: {Agent}", agent.Description);
        }
        else
        {
            logger.LogWarning("Agent not ready, no sessions are taken until it is: {Problem}", agent.Problem);
        }

        foreach (var note in agent.Notes)
        {
            logger.LogWarning("Agent: {Note}", note);
        }

        if (state.Sandbox is { Missing: { } missing } && options.AllowUnsandboxed)
        {
            logger.LogWarning("Agents run unconfined, as allowed with --allow-unsandboxed ({Missing}): a prompt-injected agent can reach everything this user can", missing);
        }
    }
}
