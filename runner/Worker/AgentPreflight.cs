using System.Text.Json;

namespace Konduktor.Runner.Worker;

/// <summary>What a runner knows about its agent before it takes a job: can it run, what is it, where are its transcripts.</summary>
/// <param name="Description">What runs, for people: "Claude Code 2.1.328, signed in with an API key".</param>
/// <param name="Problem">Why no session can run, with the fix, in one line; null when it can.</param>
/// <param name="ProjectsDirectory">Where the agent keeps conversation transcripts (Claude Code's <c>projects/</c>).</param>
/// <param name="Notes">What a person should know but that does not stop sessions (running as root, sign-in unknown).</param>
/// <param name="Email">The account Claude Code is signed in to, when it says (a subscription sign-in).</param>
public sealed record AgentReadiness(string Description, string? Problem, string ProjectsDirectory, IReadOnlyList<string> Notes, string? Email = null)
{
    public bool Ready => Problem is null;
}

/// <summary>
/// Checks the agent command the way a person would: is it there, does it answer <c>--version</c>, is it signed in
/// (<c>claude auth status</c>, which also names the transcripts folder). Every problem is one line with the fix.
/// </summary>
public static class AgentPreflight
{
    public const string InstallCommand = "npm install -g @anthropic-ai/claude-code";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static async Task<AgentReadiness> CheckAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        var notes = new List<string>();
        var projects = DefaultProjectsDirectory();
        var name = command[0];
        if (Executable.Find(name) is not { } path)
        {
            var fix = Path.GetFileName(name) == "claude"
                ? $"install Claude Code with `{InstallCommand}`, or give --agent-command with its path"
                : "give --agent-command with a program that exists";
            return new AgentReadiness(name, $"the agent command `{name}` was not found{(name.Contains('/', StringComparison.Ordinal) ? "" : " on PATH")}: {fix}", projects, notes);
        }

        var version = await AskAsync(path, command, ["--version"], ct);
        if (version.ExitCode != 0)
        {
            return new AgentReadiness(name, $"`{name} --version` failed (exit code {version.ExitCode}): {Tail(version.Output)} — reinstall it (`{InstallCommand}`)", projects, notes);
        }

        var description = version.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? name;
        description = description.EndsWith("(Claude Code)", StringComparison.Ordinal) ? "Claude Code " + description[..^"(Claude Code)".Length].Trim() : description;
        var auth = await AskAsync(path, command, ["auth", "status"], ct);
        string? email = null;
        if (ReadAuthStatus(auth.Output) is { } status)
        {
            projects = status.ProjectsDirectory ?? projects;
            email = status.Email;
            if (!status.LoggedIn)
            {
                return new AgentReadiness(description, "Claude Code is not signed in: run `claude auth login` on this machine, or set ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN from `claude setup-token`) for the runner", projects, notes);
            }

            description += status.AuthMethod switch
            {
                "api_key" => ", signed in with an API key",
                "oauth_token" => ", signed in with a subscription token",
                null or "" => ", signed in",
                var method => $", signed in ({method})",
            };
        }
        else if (!HasCredentialInEnvironment())
        {
            notes.Add($"could not tell whether the agent is signed in (`{name} auth status` gave no answer Konduktor understands)");
        }

        if (Environment.IsPrivilegedProcess)
        {
            notes.Add("running as root: agents get IS_SANDBOX=1, without which Claude Code refuses bypassPermissions as root; run the runner as an ordinary user to keep agents out of the rest of this machine");
        }

        return new AgentReadiness(description, null, projects, notes, email);
    }

    /// <summary>Claude Code's transcripts folder when it does not say: <c>$CLAUDE_CONFIG_DIR/projects</c>, else <c>~/.claude/projects</c>.</summary>
    public static string DefaultProjectsDirectory() =>
        Path.Combine(Environment.GetEnvironmentVariable("CLAUDE_CONFIG_DIR") is { Length: > 0 } config ? config
            : Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".claude"), "projects");

    private static readonly string[] CredentialVariables = ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN"];

    private static bool HasCredentialInEnvironment() => CredentialVariables.Any(v => Environment.GetEnvironmentVariable(v) is { Length: > 0 });

    private sealed record AuthStatus(bool LoggedIn, string? AuthMethod, string? ProjectsDirectory, string? Email);

    private static AuthStatus? ReadAuthStatus(string output)
    {
        try
        {
            using var document = JsonDocument.Parse(output);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("loggedIn", out var loggedIn) || loggedIn.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return null;
            }

            string? Text(string property) => root.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return new AuthStatus(loggedIn.GetBoolean(), Text("authMethod"), Text("projectsDirectory"), Text("email"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The agent's answer to a question (stdout on success, else stderr or stdout, whichever says something).</summary>
    private static async Task<(int ExitCode, string Output)> AskAsync(string path, IReadOnlyList<string> command, string[] arguments, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Patience);
        try
        {
            var (exitCode, stdout, stderr) = await ProcessRunner.CaptureAsync(path, command.Skip(1).Concat(arguments), null, limit.Token);
            return (exitCode, exitCode == 0 || stderr.Trim().Length == 0 ? stdout : stderr);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (-1, $"no answer within {Patience.TotalSeconds:0} s");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    private static string Tail(string text)
    {
        var line = text.Trim().ReplaceLineEndings(" ");
        return line.Length > 300 ? "…" + line[^300..] : line;
    }
}

/// <summary>Finds a program the way a shell would: a path as given, a bare name on PATH.</summary>
public static class Executable
{
    public static string? Find(string name)
    {
        if (name.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || name.Contains('/', StringComparison.Ordinal))
        {
            return IsExecutable(name) ? Path.GetFullPath(name) : null;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
