using Konduktor.Core;
using Konduktor.Core.Quota;
using Konduktor.Core.Sessions;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>Makes the worker of a claimed session with the runner's own parts: its API, its repositories, its lease, its agent and sandbox.</summary>
public sealed class SessionWorkers(RunnerOptions options, RunnerApi api, GitWorkspaces git, AgentHomes homes, RunnerLease lease, RunnerState state, TimeProvider clock, IIdGenerator ids, ILogger<SessionExecution> logger)
{
    /// <param name="usageLimitMet">What the runner does when the session meets its account's usage limit.</param>
    public SessionExecution Create(SessionJob claimed, Action<UsageLimit> usageLimitMet) =>
        new(options, api, git, claimed, state.Agent!, state.Sandbox!, homes, lease, clock, ids, logger, usageLimitMet);
}
