namespace Konduktor.Runner.Sandbox;

/// <summary>
/// The agent's view of the machine as an allow-list, written as bubblewrap's arguments: an empty root with the
/// system's programs and libraries read-only (<c>/usr</c>, <c>/bin</c>, <c>/lib*</c>, <c>/etc</c> less the files that
/// hold secrets, <c>/opt</c>), the folders its programs live in read-only (the agent command's install folder,
/// Konduktor's, the PATH's), a fresh <c>/dev</c>, <c>/proc</c> and private <c>/tmp</c>, then its room. Everything
/// else — the person's home, KONDUKTOR_HOME, other worktrees, other repositories, other sessions' homes — is absent.
/// It runs without capabilities, so a root agent cannot remount what it may only read.
/// </summary>
public static class SandboxPolicy
{
    /// <summary>Top-level folders of the system, read-only (those missing here are skipped; symbolic links are kept as links).</summary>
    private static readonly string[] SystemFolders = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/nix/store", "/run/systemd/resolve"];

    /// <summary>What in <c>/etc</c> holds secrets: never shown, even read-only.</summary>
    private static readonly string[] SecretFiles = ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/security/opasswd"];

    /// <summary>What in the mirror decides what git runs (config, hooks) or ignores: read-only to agents.</summary>
    public static readonly IReadOnlyList<string> MirrorSettings = ["config", "hooks", "info"];

    /// <summary>The files in a worktree's git folder that name its repository: read-only to agents.</summary>
    public static readonly IReadOnlyList<string> WorktreePointers = ["commondir", "gitdir"];

    private static readonly string[] SecretFolders = ["/etc/ssh", "/etc/ssl/private", "/etc/sudoers.d", "/etc/credstore", "/etc/credstore.encrypted"];

    /// <summary>The arguments before the room: namespaces, no capabilities, the system, the programs' folders and the folders shared with every agent.</summary>
    public static List<string> SystemArguments(IEnumerable<string> programFolders, IEnumerable<string> sharedFolders)
    {
        // A network namespace of its own: loopback only; the room's proxy socket is its one way out.
        List<string> arguments = ["--unshare-pid", "--unshare-ipc", "--unshare-net", "--cap-drop", "ALL"];
        foreach (var folder in SystemFolders)
        {
            var info = new DirectoryInfo(folder);
            if (info.LinkTarget is { } target)
            {
                arguments.AddRange(["--symlink", target, folder]);
            }
            else if (info.Exists)
            {
                arguments.AddRange(["--ro-bind", folder, folder]);
            }
        }

        foreach (var file in SecretFiles.Where(File.Exists))
        {
            arguments.AddRange(["--ro-bind", "/dev/null", file]);
        }

        foreach (var folder in SecretFolders.Where(Directory.Exists))
        {
            arguments.AddRange(["--tmpfs", folder, "--remount-ro", folder]);
        }

        // The fresh /tmp before anything bound from there (a program or a shared folder under /tmp stays shown).
        arguments.AddRange(["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]);
        foreach (var folder in programFolders.Where(f => !SystemFolders.Any(s => IsWithin(f, s))).Distinct().Order(StringComparer.Ordinal))
        {
            arguments.AddRange(["--ro-bind", folder, folder]);
        }

        foreach (var folder in sharedFolders.Select(Path.GetFullPath).Distinct().Order(StringComparer.Ordinal))
        {
            arguments.AddRange(["--bind", folder, folder]);
        }

        return arguments;
    }

    /// <summary>The room: worktree, what git needs of the mirror, the home, the read-only files; then the agent's working directory.</summary>
    public static List<string> RoomArguments(AgentRoom room)
    {
        var mirror = Path.GetFullPath(room.Mirror);
        List<string> arguments = ["--bind", Path.GetFullPath(room.Worktree), Path.GetFullPath(room.Worktree), "--bind", mirror, mirror];
        foreach (var kept in MirrorSettings.Select(name => Path.Combine(mirror, name)).Where(p => File.Exists(p) || Directory.Exists(p)))
        {
            arguments.AddRange(["--ro-bind", kept, kept]);
        }

        // Other worktrees' git folders are absent; this one's is bound back, with the files naming where its repository is read-only.
        var worktrees = Path.Combine(mirror, "worktrees");
        var own = Path.GetFullPath(room.WorktreeGitDirectory);
        if (IsWithin(own, worktrees))
        {
            arguments.AddRange(["--tmpfs", worktrees, "--bind", own, own]);
            foreach (var pointer in WorktreePointers.Select(name => Path.Combine(own, name)).Where(File.Exists))
            {
                arguments.AddRange(["--ro-bind", pointer, pointer]);
            }
        }

        arguments.AddRange(["--bind", Path.GetFullPath(room.Home), Path.GetFullPath(room.Home)]);
        foreach (var file in room.ReadOnlyFiles.Select(Path.GetFullPath).Where(File.Exists))
        {
            arguments.AddRange(["--ro-bind", file, file]);
        }

        if (room.ProxySocket is { } socket)
        {
            arguments.AddRange(["--ro-bind", Path.GetDirectoryName(Path.GetFullPath(socket))!, AgentNetwork.SocketFolder]);
        }

        arguments.AddRange(["--chdir", Path.GetFullPath(room.Worktree)]);
        return arguments;
    }

    /// <summary>
    /// The folders the agent's programs live in, read-only: the agent command's own install folder (its real path, as
    /// an npm or native install links it), Konduktor's, and the PATH's — never one that holds the person's home or a
    /// folder kept from agents, nor one inside those unless named on purpose (Konduktor's, the agent's).
    /// </summary>
    public static List<string> ProgramFolders(string? agentProgram, string? konduktorDirectory, string? path, IReadOnlyList<string> hidden, string? personHome)
    {
        var named = new[] { agentProgram is null ? null : Path.GetDirectoryName(agentProgram), konduktorDirectory, Environment.GetEnvironmentVariable("DOTNET_ROOT") }
            .OfType<string>().Where(Path.IsPathFullyQualified).Select(Path.GetFullPath);
        var onPath = (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Where(Path.IsPathFullyQualified).Select(Path.GetFullPath)
            .Where(folder => !hidden.Any(h => IsWithin(folder, h)));
        List<string> kept = [.. hidden];
        if (personHome is { Length: > 0 })
        {
            kept.Add(personHome);
        }

        return named.Concat(onPath)
            .Where(folder => folder != "/" && Directory.Exists(folder) && !kept.Any(k => IsWithin(Path.GetFullPath(k), folder)))
            .Distinct().ToList();
    }

    /// <summary>The program as it really is (an npm install links <c>bin/claude</c> to its package's <c>cli.js</c>).</summary>
    public static string RealPath(string program) =>
        new FileInfo(program).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(program);

    public static bool IsWithin(string path, string folder)
    {
        var (p, f) = (Path.TrimEndingDirectorySeparator(path), Path.TrimEndingDirectorySeparator(folder));
        return p == f || p.StartsWith(f + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
