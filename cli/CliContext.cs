using System.CommandLine;

namespace Konduktor.Cli;

/// <summary>What one command invocation has: its parse result, the home, the API client and the common options.</summary>
public sealed class CliContext(ParseResult parse)
{
    private ApiClient? _api;

    public ParseResult Parse { get; } = parse;

    public KonduktorHome Home { get; } = KonduktorHome.FromEnvironment();

    public ApiClient Api => _api ??= ApiClient.Create(Home);

    public bool Json => Parse.GetValue(CommonOptions.Json);

    /// <summary>-w/--workspace, else KONDUKTOR_WORKSPACE (set for agents), else the default from <c>workspaces set-default</c>.</summary>
    public string Workspace =>
        (Parse.GetValue(CommonOptions.Workspace) is { Length: > 0 } given ? given
        : Environment.GetEnvironmentVariable("KONDUKTOR_WORKSPACE") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : KonduktorHome.InsideSession ? null
        : Home.ReadConfig().DefaultWorkspace)
          ?? throw new CommandFailedException("no workspace given: pass -w NAME, or set a default with `konduktor workspaces set-default NAME`");

    /// <summary>The workspace and these, as an operation's route values.</summary>
    public IReadOnlyList<string> In(params string[] values) => [Workspace, .. values];

    public T Get<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Get<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    /// <summary>Prints the API's JSON with --json, or the human form otherwise.</summary>
    public void Print<T>(ApiResponse<T> response, Action<T> human)
    {
        if (Json)
        {
            Output.Json(response.Json);
        }
        else
        {
            human(response.Value);
        }
    }
}

public static class CommonOptions
{
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the result as JSON (the API's documented shapes) instead of text",
        Recursive = true,
    };

    public static readonly Option<string?> Workspace = new("--workspace", "-w")
    {
        Description = "The workspace (name or id); default: KONDUKTOR_WORKSPACE or `workspaces set-default`",
        Recursive = true,
    };
}

/// <summary>Small helpers to declare commands compactly.</summary>
public static class CommandFactory
{
    public static Command Create(string name, string description, Func<CliContext, CancellationToken, Task> action, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Command sub:
                    command.Subcommands.Add(sub);
                    break;
            }
        }

        command.SetAction((parse, ct) => action(new CliContext(parse), ct));
        return command;
    }

    public static Command Group(string name, string description, params Command[] subcommands)
    {
        var command = new Command(name, description);
        foreach (var sub in subcommands)
        {
            command.Subcommands.Add(sub);
        }

        return command;
    }

    /// <summary>Reads text given inline, or from a file, or from stdin when the value is '-'.</summary>
    public static string? ReadText(string? inline, string? file)
    {
        if (inline == "-" || file == "-")
        {
            return Console.In.ReadToEnd();
        }

        if (file is not null)
        {
            try
            {
                return File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CommandFailedException($"cannot read {file}: {e.Message}");
            }
        }

        return inline;
    }
}
