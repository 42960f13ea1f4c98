using System.Globalization;

namespace Konduktor.Core.Workspaces;

/// <summary>One host and port a workspace's agents may reach; <c>*.example.com</c> allows every name under example.com.</summary>
public sealed record AllowedHost(string Host, int Port)
{
    public const int DefaultPort = 443;

    /// <summary><c>HOST[:PORT]</c> (an IPv6 address in brackets); port 443 unless given.</summary>
    public static AllowedHost Parse(string text) =>
        TryParse(text, out var host) ? host : throw new FormatException($"'{text}' is not HOST or HOST:PORT");

    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AllowedHost? allowed)
    {
        allowed = null;
        var trimmed = text.Trim().ToLowerInvariant();
        var colon = trimmed.LastIndexOf(':');
        var bracketed = trimmed.StartsWith('[');
        var hasPort = colon > trimmed.LastIndexOf(']') && (bracketed || trimmed.IndexOf(':') == colon);
        var host = (hasPort ? trimmed[..colon] : trimmed).Trim('[', ']');
        var port = DefaultPort;
        if (hasPort && (!int.TryParse(trimmed[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            return false;
        }

        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        if (name.Length == 0 || Uri.CheckHostName(name) == UriHostNameType.Unknown)
        {
            return false;
        }

        allowed = new AllowedHost(host, port);
        return true;
    }

    public bool Matches(string host, int port)
    {
        var name = host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        return port == Port && (name == Host || (Host.StartsWith("*.", StringComparison.Ordinal) && name.EndsWith(Host[1..], StringComparison.Ordinal)));
    }

    public override string ToString() => $"{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}";
}
