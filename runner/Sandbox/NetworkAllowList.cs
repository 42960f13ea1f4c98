using Konduktor.Core.Workspaces;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// Where a confined agent may connect, by host and port: the Anthropic API (or the <c>ANTHROPIC_BASE_URL</c> in force),
/// the Konduktor API its session was given, its workspace's git remote, and the hosts a person allowed for the
/// workspace. Names are compared as written (no DNS, no wildcard but a leading <c>*.</c>), and loopback is trusted no
/// more than any other address: only its allowed ports are reachable.
/// </summary>
public sealed class NetworkAllowList
{
    /// <summary>Claude Code's API when no <c>ANTHROPIC_BASE_URL</c> is set.</summary>
    public const string AnthropicApi = "api.anthropic.com:443";

    private readonly IReadOnlyList<AllowedHost> _hosts;

    private NetworkAllowList(IReadOnlyList<AllowedHost> hosts) => _hosts = hosts;

    public IReadOnlyList<string> Hosts => [.. _hosts.Select(h => h.ToString())];

    /// <summary>The list for one session.</summary>
    /// <param name="konduktor">The Konduktor API URL the session was given.</param>
    /// <param name="anthropicBaseUrl">The agent's <c>ANTHROPIC_BASE_URL</c>, when set.</param>
    /// <param name="repository">What git clones: a URL (its host is allowed) or a path (nothing to allow).</param>
    /// <param name="workspaceHosts">What people allowed for the workspace (<c>HOST[:PORT]</c>, port 443 by default).</param>
    public static NetworkAllowList For(Uri konduktor, string? anthropicBaseUrl, string repository, IEnumerable<string> workspaceHosts)
    {
        List<AllowedHost> hosts = [FromUri(konduktor)];
        hosts.Add(anthropicBaseUrl is { Length: > 0 } && Uri.TryCreate(anthropicBaseUrl, UriKind.Absolute, out var anthropic) ? FromUri(anthropic) : AllowedHost.Parse(AnthropicApi));
        if (Uri.TryCreate(repository, UriKind.Absolute, out var remote) && remote.Scheme is "https" or "http")
        {
            hosts.Add(FromUri(remote));
        }

        hosts.AddRange(workspaceHosts.Select(AllowedHost.Parse));
        return new NetworkAllowList([.. hosts.Distinct()]);
    }

    public bool Allows(string host, int port) => _hosts.Any(allowed => allowed.Matches(host, port));

    private static AllowedHost FromUri(Uri uri) => new(uri.IdnHost.Trim('[', ']').ToLowerInvariant(), uri.Port);
}
