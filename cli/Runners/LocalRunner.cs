using System.CommandLine.Parsing;
using Konduktor.Runner;
using Microsoft.Extensions.Logging;

namespace Konduktor.Cli.Runners;

/// <summary>Makes a runner from the CLI's home and options: the same for <c>runner start</c> and the one <c>up</c> starts.</summary>
public static class LocalRunner
{
    public const string DefaultAgentCommand = "claude";

    public static RunnerOptions Options(KonduktorHome home, string url, string? token, string name, int capacity, string? agentCommand, string? workDirectory, string? account = null)
    {
        var command = agentCommand
            ?? (Environment.GetEnvironmentVariable("KONDUKTOR_AGENT_COMMAND") is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultAgentCommand);
        var arguments = CommandLineParser.SplitCommandLine(command).ToList();
        if (arguments.Count == 0)
        {
            throw new CommandFailedException("the agent command is empty; give --agent-command CMD (default: claude)");
        }

        var work = Path.GetFullPath(workDirectory ?? home.RunnerWorkDirectory(name));
        return new RunnerOptions
        {
            ApiUrl = new Uri(url),
            UserToken = token,
            Name = name,
            Capacity = capacity,
            AgentCommand = arguments,
            WorkDirectory = work,
            HiddenFromAgents = [home.Root, work],
            KonduktorDirectory = Path.GetDirectoryName(Environment.ProcessPath),
            FilesDirectory = home.RunnerFiles,
            Version = typeof(LocalRunner).Assembly.GetName().Version?.ToString(),
            Account = account ?? (Environment.GetEnvironmentVariable("KONDUKTOR_ACCOUNT") is { Length: > 0 } label ? label : null),
        };
    }

    /// <summary>What the preflight found of the agent and its isolation, in lines a person reads before the runner starts (each problem with its fix).</summary>
    public static IEnumerable<string> Describe(AgentReadiness agent, AgentSandbox sandbox)
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

    public static ILoggerFactory Logging() => new LoggerFactory([new LineLoggerProvider(LogLevel.Information)]);
}
