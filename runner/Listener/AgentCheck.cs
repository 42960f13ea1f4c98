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
            var sandbox = state.Sandbox = await AgentSandbox.DetectAsync(ct);
            git.Confine = start => sandbox.Wrap(start, options.HiddenFromAgents, git.GitFolders, []);
        }

        return state.Agent = await AgentPreflight.CheckAsync(options.AgentCommand, ct);
    }

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

        if (state.Sandbox is { Risk: { } risk })
        {
            logger.LogWarning("{Risk}", risk);
        }
    }
}
