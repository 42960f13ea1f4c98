using System.Net.Sockets;
using System.Text;
using Konduktor.Core.Workspaces;
using Konduktor.Runner.Sandbox;
using Konduktor.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Konduktor.Tests.Security;

/// <summary>The confined agent's one way out lets through what its session allows, by host and port, and nothing else.</summary>
public sealed class AgentProxyTests
{
    private const string Established = "HTTP/1.1 200 Connection established\r\n\r\n";

    private static async Task<string> AskAsync(string socket, string request)
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(socket));
        await using var stream = new NetworkStream(client, ownsSocket: false);
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        var answered = "";
        if (request.StartsWith("CONNECT", StringComparison.Ordinal))
        {
            var established = new byte[Established.Length];
            var read = await stream.ReadAtLeastAsync(established, established.Length, throwOnEndOfStream: false);
            answered = Encoding.Latin1.GetString(established, 0, read);
            if (answered == Established)
            {
                await stream.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            }
        }

        using var reader = new StreamReader(stream, Encoding.Latin1);
        return answered + await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static string Socket() => Path.Combine(Directory.CreateTempSubdirectory("konduktor-proxy-").FullName, "proxy.sock");

    [Fact]
    public async Task An_allowed_host_is_reached_through_connect_and_as_plain_http_and_another_port_of_the_same_host_is_refused_and_said_once()
    {
        await using var allowed = LoopbackHost.Start("ALLOWED");
        await using var other = LoopbackHost.Start("OTHER");
        var said = new List<string>();
        var allowList = NetworkAllowList.For(new Uri("http://127.0.0.1:1"), "http://127.0.0.1:2", "/a/local/path", [allowed.Authority]);
        await using var proxy = AgentProxy.Start(Socket(), allowList, line => { lock (said) { said.Add(line); } }, NullLogger.Instance);

        Assert.Contains("ALLOWED", await AskAsync(proxy.SocketPath, $"CONNECT {allowed.Authority} HTTP/1.1\r\nHost: {allowed.Authority}\r\n\r\n"), StringComparison.Ordinal);
        Assert.Contains("ALLOWED", await AskAsync(proxy.SocketPath, $"GET http://{allowed.Authority}/x HTTP/1.1\r\nHost: {allowed.Authority}\r\nProxy-Connection: keep-alive\r\n\r\n"), StringComparison.Ordinal);
        var refused = await AskAsync(proxy.SocketPath, $"GET http://{other.Authority}/ HTTP/1.1\r\nHost: {other.Authority}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 403", refused, StringComparison.Ordinal);
        Assert.Contains($"konduktor config set --allow-host {other.Authority}", refused, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 403", await AskAsync(proxy.SocketPath, $"CONNECT {other.Authority} HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);

        Assert.Equal(2, allowed.Requests);
        Assert.Equal(0, other.Requests);
        Assert.Equal([$"refused a connection to {other.Authority}: not on this workspace's network allow-list (a person can allow it: konduktor config set --allow-host {other.Authority})"], said);
    }

    [Fact]
    public async Task What_is_not_a_proxy_request_is_answered_400_and_reaches_nothing()
    {
        await using var host = LoopbackHost.Start("HOST");
        var allowList = NetworkAllowList.For(new Uri("http://127.0.0.1:1"), null, "/a/local/path", [host.Authority]);
        await using var proxy = AgentProxy.Start(Socket(), allowList, _ => { }, NullLogger.Instance);

        Assert.StartsWith("HTTP/1.1 400", await AskAsync(proxy.SocketPath, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", await AskAsync(proxy.SocketPath, $"GET https://{host.Authority}/ HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.Equal(0, host.Requests);
    }

    [Fact]
    public void The_session_allows_anthropic_konduktor_the_remote_and_the_workspaces_hosts_by_host_and_port()
    {
        var list = NetworkAllowList.For(new Uri("http://127.0.0.1:7071/"), null, "https://github.com/o/r.git", ["registry.example.com", "*.example.org:8443"]);

        Assert.Equal(["127.0.0.1:7071", "api.anthropic.com:443", "github.com:443", "registry.example.com:443", "*.example.org:8443"], list.Hosts);
        Assert.True(list.Allows("API.anthropic.com", 443));
        Assert.True(list.Allows("pkg.example.org", 8443));
        Assert.False(list.Allows("example.org", 8443));
        Assert.False(list.Allows("127.0.0.1", 7072));
        Assert.False(list.Allows("localhost", 7071));
        Assert.False(list.Allows("github.com", 22));
        Assert.Equal(["127.0.0.1:7071", "127.0.0.1:9000"], NetworkAllowList.For(new Uri("http://127.0.0.1:7071/"), "http://127.0.0.1:9000", "/srv/repo.git", []).Hosts);
    }

    [Theory]
    [InlineData("registry.example.com", "registry.example.com:443")]
    [InlineData(" Registry.Example.com:8080 ", "registry.example.com:8080")]
    [InlineData("[::1]:5000", "[::1]:5000")]
    [InlineData("*.example.com", "*.example.com:443")]
    public void A_host_to_allow_is_kept_as_host_and_port(string text, string kept)
    {
        Assert.True(AllowedHost.TryParse(text, out var host));
        Assert.Equal(kept, host.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("example.com:0")]
    [InlineData("example.com:70000")]
    [InlineData("example.com:http")]
    [InlineData("exa mple.com")]
    [InlineData("http://example.com")]
    public void What_is_not_a_host_is_refused(string text) => Assert.False(AllowedHost.TryParse(text, out _));
}
