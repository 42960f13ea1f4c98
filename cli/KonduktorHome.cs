using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Konduktor.Cli;

/// <summary>
/// Everything one user's Konduktor keeps on disk lives under one folder: <c>KONDUKTOR_HOME</c>, default <c>~/.konduktor</c>.
/// The CLI config (API URL, token, default workspace), the local token, Azurite's data, logs and (later) the runner's work dir.
/// </summary>
public sealed class KonduktorHome(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string ConfigFile => Path.Combine(Root, "config.json");

    public string TokenFile => Path.Combine(Root, "token");

    public string UpStateFile => Path.Combine(Root, "up.json");

    /// <summary>The key board sign-in links and cookies are signed with (user-only); <c>konduktor logout</c> makes a new one.</summary>
    public string BoardKeyFile => Path.Combine(Root, "board-key");

    public string UpLockFile => Path.Combine(Root, "up.lock");

    public string AzuriteData => Path.Combine(Root, "azurite");

    /// <summary>This home's Azurite account key (user-only), made on first start.</summary>
    public string AzuriteKeyFile => Path.Combine(Root, "azurite-key");

    public string Logs => Path.Combine(Root, "logs");

    public string Tools => Path.Combine(Root, "tools");

    /// <summary>A runner's mirrors, worktrees and log spool.</summary>
    public string RunnerWorkDirectory(string name) => Path.Combine(Root, "runners", name);

    /// <summary>Files a runner copies into each worktree of a workspace: <c>runner-files/&lt;workspace&gt;/…</c> (e.g. <c>.env.local</c>).</summary>
    public string RunnerFiles => Path.Combine(Root, "runner-files");

    /// <summary>MSAL's token cache for <c>konduktor login</c> (user-only permissions).</summary>
    public string SignInCacheFile => Path.Combine(Root, "entra-token-cache.bin");

    /// <summary>The credential a runner bought with a registration secret (user-only permissions).</summary>
    public string RunnerCredentialFile(string name) => Path.Combine(Root, "runner-credentials", name + ".json");

    public static KonduktorHome FromEnvironment() =>
        new(Environment.GetEnvironmentVariable("KONDUKTOR_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".konduktor"));

    public CliConfig ReadConfig() => Read<CliConfig>(ConfigFile) ?? new CliConfig();

    public void WriteConfig(CliConfig config) => WritePrivate(ConfigFile, JsonSerializer.Serialize(config, HomeJson.Default.CliConfig));

    public UpState? ReadUpState() => Read<UpState>(UpStateFile);

    public void WriteUpState(UpState state) => WritePrivate(UpStateFile, JsonSerializer.Serialize(state, HomeJson.Default.UpState));

    /// <summary>
    /// Inside an agent's session (<c>KONDUKTOR_SESSION</c> set by the runner) the CLI uses the session's own URL and token
    /// and nothing on disk: an agent that unsets its token must not fall back to a person's.
    /// </summary>
    public static bool InsideSession => Environment.GetEnvironmentVariable("KONDUKTOR_SESSION") is { Length: > 0 };

    /// <summary>The API URL: KONDUKTOR_URL, else the config file (which <c>up</c> writes) — never the file inside a session.</summary>
    public string? ApiUrl() =>
        Environment.GetEnvironmentVariable("KONDUKTOR_URL") is { Length: > 0 } url ? url
        : InsideSession ? null
        : ReadConfig().Url;

    /// <summary>
    /// The token: KONDUKTOR_TOKEN, else the config file, else the local token <c>up</c> created (none after `login`: Entra ID
    /// then). Inside a session only KONDUKTOR_TOKEN counts.
    /// </summary>
    public string? Token() =>
        Environment.GetEnvironmentVariable("KONDUKTOR_TOKEN") is { Length: > 0 } token ? token
        : InsideSession ? throw new CommandFailedException("inside an agent's session the CLI signs in with KONDUKTOR_TOKEN only, and it is not set")
        : ReadConfig().Entra is not null ? null
        : ReadConfig().Token is { Length: > 0 } configured ? configured
        : File.Exists(TokenFile) ? File.ReadAllText(TokenFile).Trim() : null;

    /// <summary>
    /// Creates the home readable by the user only (0700), and takes back a home an older version made readable to others:
    /// it holds the person's token, runner credentials and Azurite's data.
    /// </summary>
    public void EnsurePrivate()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Root);
            return;
        }

        Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>This home's Azurite account key, made on first use (64 random bytes) and kept user-only.</summary>
    public string EnsureAzuriteKey()
    {
        if (File.Exists(AzuriteKeyFile) && File.ReadAllText(AzuriteKeyFile).Trim() is { Length: >= 64 } existing)
        {
            return existing;
        }

        var key = Konduktor.Core.Auth.Secrets.NewStorageAccountKey();
        WritePrivate(AzuriteKeyFile, key);
        return key;
    }

    /// <summary>The local token, created on first use: 256 random bits, readable by the user only.</summary>
    public string EnsureLocalToken()
    {
        if (File.Exists(TokenFile) && File.ReadAllText(TokenFile).Trim() is { Length: >= 32 } existing)
        {
            return existing;
        }

        var token = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        WritePrivate(TokenFile, token);
        return token;
    }

    /// <summary>Writes a file only the user can read, atomically.</summary>
    public static void WritePrivate(string path, string content) => Konduktor.Runner.Processes.PrivateFile.Write(path, content);

    private static T? Read<T>(string path)
        where T : class
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), (JsonTypeInfo<T>)HomeJson.Default.GetTypeInfo(typeof(T))!) : null;
        }
        catch (JsonException)
        {
            throw new CommandFailedException($"{path} is not valid JSON; fix or delete it");
        }
    }
}

public sealed record CliConfig
{
    public string? Url { get; init; }

    public string? Token { get; init; }

    public string? DefaultWorkspace { get; init; }

    /// <summary>Set by <c>konduktor login</c>: the CLI signs in with Entra ID (Azure) instead of a token.</summary>
    public EntraSettings? Entra { get; init; }
}

/// <param name="Scope">The API's scope, e.g. <c>api://CLIENT-ID/user_impersonation</c>.</param>
public sealed record EntraSettings(string TenantId, string ClientId, string Scope);

/// <summary>What a running <c>konduktor up</c> writes about itself.</summary>
public sealed record UpState(int Pid, string Url, DateTimeOffset StartedAt, int? AzuritePid, string? AzuriteEndpoints, string StoragePrefix);

/// <summary>The files in KONDUKTOR_HOME, source-generated.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CliConfig))]
[JsonSerializable(typeof(UpState))]
internal sealed partial class HomeJson : JsonSerializerContext;
