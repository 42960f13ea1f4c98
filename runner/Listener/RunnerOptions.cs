namespace Konduktor.Runner.Listener;

/// <summary>How a runner runs: where the API is, who it is, what it starts as the agent, where it keeps repositories.</summary>
public sealed record RunnerOptions
{
    public required Uri ApiUrl { get; init; }

    /// <summary>A person's credential, used to register the runner (which then has its own); null with a registration secret.</summary>
    public string? UserToken { get; init; }

    /// <summary>A one-time secret from <c>konduktor runners add</c>, traded for the runner's own credential.</summary>
    public string? RegistrationSecret { get; init; }

    /// <summary>Where the credential a registration secret bought is kept (user-only permissions); reused on later starts.</summary>
    public string? CredentialFile { get; init; }

    public required string Name { get; init; }

    /// <summary>What the runner says on its console: Information for `runner start`; `up`'s runner says only warnings (its host keeps a log file).</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;

    public int Capacity { get; init; } = 2;

    /// <summary>The agent's executable and leading arguments (default <c>claude</c>); never a shell line.</summary>
    public required IReadOnlyList<string> AgentCommand { get; init; }

    /// <summary>Mirrors, worktrees and the log spool live here.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Folders agents must never see (KONDUKTOR_HOME, the work dir): empty inside the sandbox but for their own worktree.</summary>
    public IReadOnlyList<string> HiddenFromAgents { get; init; } = [];

    /// <summary>Folders every agent may read and write besides its room (a package cache shared between sessions); none by default.</summary>
    public IReadOnlyList<string> SharedFolders { get; init; } = [];

    /// <summary>Start agents even where no sandbox can be made (they then reach everything this user can); off by default.</summary>
    public bool AllowUnsandboxed { get; init; }

    /// <summary>Put first on the agent's PATH so it finds <c>konduktor</c>.</summary>
    public string? KonduktorDirectory { get; init; }

    /// <summary>
    /// Where the runner keeps files for each workspace's worktrees (<c>&lt;workspace name&gt;/…</c>, copied into every
    /// worktree and kept out of git): what must never be in the repository or in Konduktor's storage.
    /// </summary>
    public string? FilesDirectory { get; init; }

    public TimeSpan IdlePollMax { get; init; } = TimeSpan.FromMilliseconds(2200);

    /// <summary>How often worktrees of finished tasks are cleaned up (and disk use measured).</summary>
    public TimeSpan CleanupInterval { get; init; } = TimeSpan.FromMinutes(10);

    public string? Version { get; init; }

    /// <summary>The Claude account its agents use, as a label; null: the agent's signed-in email, else user@host.</summary>
    public string? Account { get; init; }
}
