using Konduktor.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner;

/// <summary>
/// The runner's entry point, for <c>konduktor runner start</c> in the foreground and for the runner <c>up</c> starts beside
/// its host: its parts built by DI (time and ids injected, as in core), the agent and its isolation checked and said
/// (each problem with its fix), then sessions taken until it is stopped. The agents' supervisor enters through
/// <see cref="AgentLauncher.Supervise"/>.
/// </summary>
public sealed class RunnerProgram : IAsyncDisposable
{
    public const string DefaultAgentCommand = "claude";

    private readonly ServiceProvider _services;

    private RunnerProgram(ServiceProvider services) => _services = services;

    /// <summary>The runner's parts, as DI builds them; a test may give its own clock.</summary>
    public static ServiceProvider Services(RunnerOptions options, TimeProvider? clock = null) =>
        new ServiceCollection()
            .AddLogging(logging => logging.ClearProviders().AddProvider(new LineLoggerProvider(options.LogLevel)).SetMinimumLevel(options.LogLevel))
            .AddSingleton(options)
            .AddSingleton(clock ?? TimeProvider.System)
            .AddSingleton<IIdGenerator, RandomIdGenerator>()
            .AddSingleton(_ => new RunnerApi(options.ApiUrl))
            .AddSingleton(_ => new GitWorkspaces(options.WorkDirectory))
            .AddSingleton(_ => new AgentHomes(options.WorkDirectory))
            .AddSingleton<RunnerLease>()
            .AddSingleton<RunnerState>()
            .AddSingleton<AgentCheck>()
            .AddSingleton<JobSource>()
            .AddSingleton<Heartbeats>()
            .AddSingleton<SessionWorkers>()
            .AddSingleton<JobIntake>()
            .AddSingleton<WorktreeCleanup>()
            .AddSingleton<KonduktorRunner>()
            .BuildServiceProvider();

    /// <summary>Makes the runner and checks its agent and sandbox, saying each finding as a line a person reads before it starts.</summary>
    public static async Task<RunnerProgram> PrepareAsync(RunnerOptions options, Action<string> say, CancellationToken ct)
    {
        var services = Services(options);
        try
        {
            var agent = await services.GetRequiredService<AgentCheck>().CheckAsync(ct);
            foreach (var line in Describe(agent, services.GetRequiredService<RunnerState>().Sandbox!, options.AllowUnsandboxed))
            {
                say(line);
            }

            return new RunnerProgram(services);
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }
    }

    /// <summary>Takes session jobs until <paramref name="stopping"/> is cancelled, then ends its agents' sessions in order.</summary>
    public Task RunAsync(CancellationToken stopping) => _services.GetRequiredService<KonduktorRunner>().RunAsync(stopping);

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private static IEnumerable<string> Describe(AgentReadiness agent, AgentSandbox sandbox, bool allowUnsandboxed)
    {
        if (sandbox.Isolates)
        {
            yield return $"Agents: {sandbox.Description}";
        }
        else if (allowUnsandboxed)
        {
            yield return $"Warning: agents run unconfined, as allowed with --allow-unsandboxed ({sandbox.Missing}): a prompt-injected agent can reach everything this user can";
        }

        yield return agent.Ready
            ? $"Agent: {agent.Description}"
            : $"Agent not ready: {agent.Problem} (the runner takes no sessions until it is, and looks again every 30 s)";
        foreach (var note in agent.Notes)
        {
            yield return $"Agent: {note}";
        }
    }
}
