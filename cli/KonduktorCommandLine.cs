using System.CommandLine;
using Konduktor.Cli.Commands;

namespace Konduktor.Cli;

/// <summary>
/// The whole command line: every command, parse errors said once, failures as one line on stderr. The native
/// <c>konduktor</c> runs it with an <c>up</c> that says where <c>up</c> runs; <c>up</c>'s host (localhost/) with the real one.
/// </summary>
public static partial class KonduktorCommandLine
{
    public static async Task<int> RunAsync(string[] args, Command up)
    {
        // The runner starts each agent through its own binary: a supervisor leading the agent's own process group.
        if (args is [Konduktor.Runner.Sandbox.AgentLauncher.Verb, .. var agentCommand])
        {
            return Konduktor.Runner.Sandbox.AgentLauncher.Supervise(agentCommand);
        }

        // Inside the agent's sandbox, in front of the agent: its one way out, relayed to the runner's proxy.
        if (args is [Konduktor.Runner.Sandbox.AgentNetwork.Verb, .. var relayed])
        {
            return Konduktor.Runner.Sandbox.AgentNetwork.Relay(relayed);
        }

        // Run by a confined agent's git (the git-remote-konduktor shim) to push through the runner.
        if (args is [Konduktor.Runner.Sandbox.GitRemoteHelper.Verb, ..])
        {
            return await Konduktor.Runner.Sandbox.GitRemoteHelper.RunAsync(Console.In, Console.Out);
        }

        var root = Root(up);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"error: {Said(error)}");
            }

            Console.Error.WriteLine($"See `konduktor {string.Join(' ', parse.CommandResult.Command.Name == root.Name ? [] : CommandPath(parse.CommandResult))} --help`.".Replace("  ", " ", StringComparison.Ordinal));
            return ExitCodes.Usage;
        }

        try
        {
            // No termination handling by System.CommandLine: after two seconds it would end the process with 143 while `up` or a
            // runner is still shutting down in order (ShutdownSignal and `up` own SIGTERM and Ctrl+C); short commands just end.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (CommandFailedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("error: cancelled");
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// A parse error as a person reads it: System.CommandLine names the .NET type a value did not parse as
    /// (<c>System.Nullable`1[System.Int32]</c>, <c>Konduktor.Core.Priority</c>); this names what the option takes.
    /// </summary>
    private static string Said(System.CommandLine.Parsing.ParseError error)
    {
        if (CannotParse().Match(error.Message) is not { Success: true } bad)
        {
            return error.Message;
        }

        var (value, name) = (bad.Groups[1].Value, bad.Groups[2].Value);
        var (type, description) = error.SymbolResult switch
        {
            System.CommandLine.Parsing.OptionResult { Option: var option } => (option.ValueType, option.Description),
            System.CommandLine.Parsing.ArgumentResult { Argument: var argument } => (argument.ValueType, argument.Description),
            _ => (typeof(string), null),
        };
        type = Nullable.GetUnderlyingType(type) ?? type;
        var expected = type == typeof(int) || type == typeof(long) ? "a whole number"
            : type == typeof(decimal) || type == typeof(double) ? "a number"
            : type == typeof(bool) ? "true or false"
            : description is { Length: > 0 } ? description
            : "a different value";
        return $"'{value}' is not a valid {name}: expected {expected}";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^Cannot parse argument '(.*?)' for (?:option|command|argument) '(.*?)' as expected type '[^']*'", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex CannotParse();

    private static RootCommand Root(Command up)
    {
        var root = new RootCommand("Konduktor: run Claude Code agents in the background against your repositories, and stay in charge through a board.")
        {
            WorkspaceCommands.Build(),
            TaskCommands.Build(),
            SessionCommands.Build(),
            ProjectCommands.Build(),
            DocCommands.Build(),
            QuestionCommands.Build(),
            PullRequestCommands.Build(),
            AgentCommands.Build(),
            RunnerCommands.Build(),
            RunnerCommands.BuildList(),
            ConfigCommands.Build(),
            SecretCommands.Build(),
            StatusCommand.Build(),
            OpenCommand.Build(),
            UsageCommand.Build(),
            OpenApiCommand.Build(),
            Konduktor.Cli.Mcp.McpCommand.Build(),
            up,
        };
        foreach (var command in AuthCommands.Build())
        {
            root.Subcommands.Add(command);
        }

        root.Options.Add(CommonOptions.Json);
        root.Options.Add(CommonOptions.Workspace);
        return root;
    }

    private static Stack<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (var current = result; current?.Parent is System.CommandLine.Parsing.CommandResult parent; current = parent)
        {
            names.Push(current.Command.Name);
        }

        return names;
    }
}
