using Microsoft.Extensions.Logging;

namespace Konduktor.Runner;

/// <summary>
/// The runner's entry point, for <c>konduktor runner start</c> in the foreground and for the runner <c>up</c> starts beside
/// its host: it checks the agent and its isolation and says what it found (each problem with its fix), then takes
/// sessions until it is stopped. The agents' supervisor enters through <see cref="AgentLauncher.Supervise"/>.
/// </summary>
public sealed class RunnerProgram : IDisposable
{
    public const string DefaultAgentCommand = "claude";

    private readonly ILoggerFactory _logging;
    private readonly KonduktorRunner _runner;

    private RunnerProgram(ILoggerFactory logging, KonduktorRunner runner)
    {
        _logging = logging;
        _runner = runner;
    }

    /// <summary>Makes the runner and checks its agent and sandbox, saying each finding as a line a person reads before it starts.</summary>
    public static async Task<RunnerProgram> PrepareAsync(RunnerOptions options, Action<string> say, CancellationToken ct)
    {
        var logging = new LoggerFactory([new LineLoggerProvider(LogLevel.Information)]);
        var runner = new KonduktorRunner(options, logging.CreateLogger<KonduktorRunner>());
        try
        {
            foreach (var line in Describe(await runner.CheckAgentAsync(ct), runner.Sandbox!))
            {
                say(line);
            }

            return new RunnerProgram(logging, runner);
        }
        catch
        {
            runner.Dispose();
            logging.Dispose();
            throw;
        }
    }

    /// <summary>Takes session jobs until <paramref name="stopping"/> is cancelled, then ends its agents' sessions in order.</summary>
    public Task RunAsync(CancellationToken stopping) => _runner.RunAsync(stopping);

    public void Dispose()
    {
        _runner.Dispose();
        _logging.Dispose();
    }

    private static IEnumerable<string> Describe(AgentReadiness agent, AgentSandbox sandbox)
    {
        yield return sandbox.Isolates ? $"Agents: {sandbox.Description}" : $"Warning: {sandbox.Risk}";
        yield return agent.Ready
            ? $"Agent: {agent.Description}"
            : $"Agent not ready: {agent.Problem} (the runner takes no sessions until it is, and looks again every 30 s)";
        foreach (var note in agent.Notes)
        {
            yield return $"Agent: {note}";
        }
    }
}
