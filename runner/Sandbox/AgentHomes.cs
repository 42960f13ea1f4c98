using Konduktor.Runner.Worker;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// A home of its own for each session's agent (<c>WORK_DIR/homes/SESSION</c>): nothing of the person's but what the
/// agent needs to work — Claude Code's credential (copied from the runner's Claude config, when it keeps one in a file)
/// and git's identity (user.name and user.email, from the runner's own git). Claude Code's transcripts land in its
/// <c>.claude/projects</c>; the home is removed when the session has been kept.
/// </summary>
public sealed class AgentHomes(string workDirectory)
{
    /// <summary>Claude Code's credential file on Linux and Windows (macOS keeps it in the keychain, where a sandboxed agent cannot reach it).</summary>
    public const string CredentialFile = ".credentials.json";

    private readonly Lazy<Task<string>> _gitIdentity = new(ReadGitIdentityAsync);

    public string PathOf(Guid sessionId) => Path.Combine(workDirectory, "homes", sessionId.ToString("N"));

    /// <summary>Claude Code's config folder in an agent's home (CLAUDE_CONFIG_DIR).</summary>
    public static string ClaudeConfig(string home) => Path.Combine(home, ".claude");

    /// <summary>Where Claude Code keeps transcripts in an agent's home.</summary>
    public static string Projects(string home) => Path.Combine(ClaudeConfig(home), "projects");

    /// <summary>
    /// A new, empty home for the session (an old one of the same session is removed first), with the credential from
    /// <paramref name="claudeConfigDirectory"/> (the runner's own Claude Code config) and git's identity.
    /// </summary>
    public async Task<string> CreateAsync(Guid sessionId, string claudeConfigDirectory, CancellationToken ct)
    {
        var home = PathOf(sessionId);
        Remove(home);
        CreateOwnFolder(Path.GetDirectoryName(home)!);
        CreateOwnFolder(home);
        CreateOwnFolder(ClaudeConfig(home));
        var credential = Path.Combine(claudeConfigDirectory, CredentialFile);
        if (File.Exists(credential))
        {
            PrivateFile.Write(Path.Combine(ClaudeConfig(home), CredentialFile), await File.ReadAllBytesAsync(credential, ct));
        }

        if (await _gitIdentity.Value is { Length: > 0 } identity)
        {
            PrivateFile.Write(Path.Combine(home, ".gitconfig"), identity);
        }

        return home;
    }

    private static void CreateOwnFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>
    /// Homes an earlier run of this runner left behind (it was killed before its sessions settled): each conversation
    /// found in them is taken into the runner's keeping, so a resume here continues it, and the homes are removed.
    /// Only called while no session runs. The conversations taken.
    /// </summary>
    public IReadOnlyList<string> KeepLeftovers()
    {
        var homes = Path.Combine(workDirectory, "homes");
        if (!Directory.Exists(homes))
        {
            return [];
        }

        var kept = new List<string>();
        foreach (var home in Directory.EnumerateDirectories(homes))
        {
            var projects = Projects(home);
            var conversations = Directory.Exists(projects) && AgentWrittenFiles.WhyNotPlain(projects, home) is null
                ? Directory.EnumerateFiles(projects, "*.jsonl", SearchOption.AllDirectories).Select(Path.GetFileNameWithoutExtension).Where(ClaudeTranscripts.IsConversationId).Distinct(StringComparer.Ordinal).ToList()
                : [];
            kept.AddRange(conversations.Where(id => ClaudeTranscripts.Take(home, workDirectory, id!).Kept is not null)!);
            Remove(home);
        }

        return kept;
    }

    /// <summary>Removes a session's home, never following a link the agent left in it.</summary>
    public static void Remove(string home)
    {
        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>The runner's git identity as a config file's <c>[user]</c> section; empty when it has none.</summary>
    private static async Task<string> ReadGitIdentityAsync()
    {
        async Task<string?> Get(string key)
        {
            var (exitCode, stdout, _) = await ProcessRunner.CaptureAsync("git", ["config", "--get", key], null, CancellationToken.None);
            return exitCode == 0 && stdout.Trim() is { Length: > 0 } value && !value.Contains('\n', StringComparison.Ordinal) ? value : null;
        }

        var (name, email) = (await Get("user.name"), await Get("user.email"));
        return name is null && email is null ? "" : "[user]\n" + (name is null ? "" : $"\tname = \"{Quote(name)}\"\n") + (email is null ? "" : $"\temail = \"{Quote(email)}\"\n");
    }

    private static string Quote(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
