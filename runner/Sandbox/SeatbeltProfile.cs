using System.Text;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// The same policy as <see cref="SandboxPolicy"/> for macOS, as a Seatbelt profile for <c>sandbox-exec -p</c>. Seatbelt
/// applies the last rule that matches, so the profile reads as layers: deny everything; let the system's programs run;
/// let reads through except under the folders kept from agents (the person's home, KONDUKTOR_HOME, the runner's work
/// folder), then show back the agent's programs and its room; let writes through only to its room, a temporary folder
/// in its home and the shared folders, then take back its repository's settings and other worktrees' git folders.
/// Seatbelt cannot show a folder read-only that it also shows writable, nor give a private <c>/tmp</c>: TMPDIR is the
/// room's own. Written and unit-tested here on the profile it makes; run only on macOS.
/// </summary>
public static class SeatbeltProfile
{
    /// <summary>The system services a command-line program and node need (name lookups, certificates, logging, preferences).</summary>
    private static readonly string[] Services =
    [
        "com.apple.system.opendirectoryd.libinfo", "com.apple.system.opendirectoryd.membership", "com.apple.system.notification_center",
        "com.apple.system.logger", "com.apple.logd", "com.apple.trustd.agent", "com.apple.securityd.xpc", "com.apple.bsd.dirhelper",
        "com.apple.SystemConfiguration.configd", "com.apple.SystemConfiguration.DNSConfiguration", "com.apple.mDNSResponder",
        "com.apple.cfprefsd.daemon", "com.apple.cfprefsd.agent", "com.apple.coreservices.launchservicesd", "com.apple.lsd.mapdb",
    ];

    /// <summary>What in macOS's <c>/etc</c> holds secrets.</summary>
    private static readonly string[] SecretFiles = ["/private/etc/master.passwd", "/private/etc/sudoers"];

    private static readonly string[] PrivateLinks = ["/tmp", "/var", "/etc"];

    private static readonly string[] SecretFolders = ["/private/etc/ssh", "/private/etc/sudoers.d", "/private/var/db/sudo"];

    /// <summary>The agent's temporary folder on macOS, inside its home (Seatbelt has no private <c>/tmp</c>).</summary>
    public static string TemporaryFolder(AgentRoom room) => Path.Combine(room.Home, "tmp");

    /// <param name="hidden">Folders kept from agents: the person's home, KONDUKTOR_HOME, the runner's work folder.</param>
    public static string For(AgentRoom room, IEnumerable<string> programFolders, IEnumerable<string> sharedFolders, IEnumerable<string> hidden)
    {
        var mirror = Path.GetFullPath(room.Mirror);
        var own = Path.GetFullPath(room.WorktreeGitDirectory);
        var worktrees = Path.Combine(mirror, "worktrees");
        var shared = sharedFolders.Select(Path.GetFullPath).Distinct().Order(StringComparer.Ordinal).ToList();
        var writable = new[] { room.Worktree, mirror, room.Home }.Select(Path.GetFullPath).Concat(shared).ToList();
        var profile = new StringBuilder();
        profile.AppendLine("(version 1)");
        profile.AppendLine("(deny default)");
        profile.AppendLine("(allow process-exec process-fork)");
        profile.AppendLine("(allow signal process-info* (target same-sandbox))");
        profile.AppendLine("(allow sysctl-read ipc-posix-shm ipc-posix-sem iokit-get-properties user-preference-read)");
        profile.AppendLine($"(allow mach-lookup {string.Join(' ', Services.Select(s => $"(global-name {Quote(s)})"))})");
        profile.AppendLine("(allow network*)"); // the network allow-list is the runner's proxy, not yet the profile's

        profile.AppendLine("(allow file-read*)");
        profile.AppendLine($"(deny file-read* {Paths(hidden.Select(Path.GetFullPath).Distinct())} {Paths(SecretFolders)} {Literals(SecretFiles)})");
        profile.AppendLine($"(allow file-read* {Paths(programFolders.Select(Path.GetFullPath).Concat(writable).Distinct())} {Literals(room.ReadOnlyFiles)})");
        profile.AppendLine($"(allow file-write* {Paths(writable)} (literal \"/dev/null\") (literal \"/dev/tty\") (regex #\"^/dev/fd/\"))");
        profile.AppendLine($"(deny file-write* {Paths(SandboxPolicy.MirrorSettings.Select(name => Path.Combine(mirror, name)))} {Literals(room.ReadOnlyFiles)})");
        if (SandboxPolicy.IsWithin(own, worktrees))
        {
            // Other worktrees' git folders are absent; this one's is shown back, the files naming its repository read-only.
            profile.AppendLine($"(deny file-read* file-write* {Paths([worktrees])})");
            profile.AppendLine($"(allow file-read* file-write* {Paths([own])})");
            profile.AppendLine($"(deny file-write* {Literals(SandboxPolicy.WorktreePointers.Select(name => Path.Combine(own, name)))})");
        }

        return profile.ToString();
    }

    private static string Paths(IEnumerable<string> folders) => string.Join(' ', folders.Select(f => $"(subpath {Quote(AsSeatbeltSees(f))})"));

    private static string Literals(IEnumerable<string> files) => string.Join(' ', files.Select(Path.GetFullPath).Select(f => $"(literal {Quote(AsSeatbeltSees(f))})"));

    /// <summary>Seatbelt matches the path a file really has: macOS's <c>/tmp</c>, <c>/var</c> and <c>/etc</c> are links into <c>/private</c>.</summary>
    public static string AsSeatbeltSees(string path) =>
        PrivateLinks.Any(link => SandboxPolicy.IsWithin(path, link)) ? "/private" + path : path;

    /// <summary>A string as SBPL reads it: quotes and backslashes escaped.</summary>
    public static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
