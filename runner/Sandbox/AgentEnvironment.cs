using System.Diagnostics;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// What an agent (and a setup or cleanup script) sees of the runner's environment: an allow-list, not a deny-list —
/// the runner's shell may hold a person's tokens (GH_TOKEN, AWS_*, a cloud's keys) that must never reach an untrusted
/// agent. Kept: where programs are and how text is shown, proxy and certificate settings, git's identity, and Claude
/// Code's own settings and credential (ANTHROPIC_*, CLAUDE_CODE_*, DISABLE_*), and where .NET is (DOTNET_*, for the konduktor CLI). A workspace gives its agents more
/// through its secrets; the session's Konduktor variables are added after.
/// </summary>
public static class AgentEnvironment
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM", "COLORTERM", "NO_COLOR", "TMPDIR",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR",
        "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
    };

    private static readonly string[] Prefixes = ["LC_", "ANTHROPIC_", "CLAUDE_CODE_", "DISABLE_", "DOTNET_"];

    public static bool IsPassed(string variable) => Names.Contains(variable) || Prefixes.Any(p => variable.StartsWith(p, StringComparison.Ordinal));

    /// <summary>Takes out of <paramref name="start"/>'s environment (the runner's, as inherited) every variable not on the list.</summary>
    public static ProcessStartInfo Restrict(ProcessStartInfo start)
    {
        foreach (var name in start.Environment.Keys.Where(name => !IsPassed(name)).ToList())
        {
            start.Environment.Remove(name);
        }

        return start;
    }
}
