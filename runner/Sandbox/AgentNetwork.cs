using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// The agent's side of its network, inside the sandbox. bubblewrap gives the agent a network namespace of its own with
/// nothing but loopback; the runner's own binary, run there with <see cref="Verb"/>, listens on
/// <see cref="ProxyPort"/> of that loopback and relays each connection to the session's <see cref="AgentProxy"/>
/// through the Unix socket bound in, then runs the agent as its child with <c>HTTPS_PROXY</c> and <c>HTTP_PROXY</c>
/// pointing there. Nothing else leaves the namespace: a program that ignores the proxy settings reaches nothing.
/// </summary>
public static class AgentNetwork
{
    /// <summary>The hidden first argument that makes `konduktor` the relay in front of the agent.</summary>
    public const string Verb = "__agent-network";

    /// <summary>The proxy's port on the sandbox's own loopback (a new namespace: every port is free).</summary>
    public const int ProxyPort = 3128;

    /// <summary>Where the proxy's socket is inside the sandbox (the session's socket folder is bound there).</summary>
    public const string SocketFolder = "/run/konduktor";

    public const string SocketName = "proxy.sock";

    /// <summary>The proxy settings an agent runs with; every other proxy setting of the runner's is dropped.</summary>
    public static void PointAtProxy(ProcessStartInfo agent)
    {
        foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy" })
        {
            agent.Environment[name] = $"http://127.0.0.1:{ProxyPort}";
        }

        // Loopback too goes through the proxy: inside, it is the sandbox's own; the runner's is reached as allowed.
        agent.Environment.Remove("NO_PROXY");
        agent.Environment.Remove("no_proxy");

        // What it cannot reach it need not try: Claude Code's telemetry, error reports and update checks.
        agent.Environment.TryAdd("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    }

    /// <summary>The relay's whole life: listen, start the agent, relay until it ends, its exit code as its own.</summary>
    public static int Relay(string[] arguments)
    {
        if (arguments is not [var socket, var program, .. var rest])
        {
            Console.Error.WriteLine("error: usage: konduktor __agent-network PROXY_SOCKET PROGRAM [ARGUMENTS...]");
            return 127;
        }

        using var listener = new TcpListener(IPAddress.Loopback, ProxyPort);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"error: the agent's network could not be set up: {e.Message}");
            return 127;
        }

        _ = AcceptAsync(listener, socket);
        if (AgentLauncher.StartChild(program, rest) is not { } agent)
        {
            return 127;
        }

        // A stop signals the whole group, the agent with it: the relay waits for it and reports its exit code.
        using var stops = new AgentLauncher.StopSignalsHeld();
        agent.WaitForExit();
        return agent.ExitCode;
    }

    /// <summary>Relays every connection to <paramref name="listener"/> to the proxy's socket (also what the proxy bench measures).</summary>
    public static async Task AcceptAsync(TcpListener listener, string socket)
    {
        while (true)
        {
            var client = await listener.AcceptSocketAsync();
            _ = RelayAsync(client, socket);
        }
    }

    private static async Task RelayAsync(Socket client, string socket)
    {
        using var proxy = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await using var agent = new NetworkStream(client, ownsSocket: true);
        try
        {
            await proxy.ConnectAsync(new UnixDomainSocketEndPoint(socket));
            await using var runner = new NetworkStream(proxy, ownsSocket: false);
            await PumpAsync(agent, runner, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // Either side went away: the connection ends, as it would have.
        }
    }

    /// <summary>
    /// Both ways until the far side ends (a half-close is passed on, so a request body's end still reaches the host);
    /// the near side ending first waits for the far side's answer to finish.
    /// </summary>
    internal static async Task PumpAsync(NetworkStream near, NetworkStream far, CancellationToken ct)
    {
        var up = CopyThenCloseAsync(near, far, ct);
        var down = CopyThenCloseAsync(far, near, ct);
        await Task.WhenAny(up, down);
        await down.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static async Task CopyThenCloseAsync(NetworkStream from, NetworkStream to, CancellationToken ct)
    {
        try
        {
            await from.CopyToAsync(to, ct);
        }
        finally
        {
            try
            {
                to.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }
    }
}
