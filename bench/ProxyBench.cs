using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Konduktor.Runner.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Konduktor.Bench;

/// <summary>
/// What a confined agent's way out costs per request: the sandbox's relay (<see cref="AgentNetwork"/>) and the
/// session's proxy (<see cref="AgentProxy"/>) in front of a loopback API, beside the same requests made directly, in the
/// same run, alternately. HTTPS (Anthropic's API) goes through one CONNECT tunnel a client keeps open: its cost is the
/// relaying. A plain-http base URL (the tests' fake API) is sent in absolute form, a new connection each time.
/// </summary>
public static class ProxyBench
{
    public static async Task RunAsync(int requests)
    {
        using var api = new TcpListener(IPAddress.Loopback, 0);
        api.Start();
        _ = ServeAsync(api);
        var authority = $"127.0.0.1:{((IPEndPoint)api.LocalEndpoint).Port}";
        var socket = Path.Combine(Directory.CreateTempSubdirectory("konduktor-bench-proxy-").FullName, AgentNetwork.SocketName);
        await using var proxy = AgentProxy.Start(socket, NetworkAllowList.For(new Uri("http://127.0.0.1:1"), "http://" + authority, "/none", []), _ => { }, NullLogger.Instance);
        using var relay = new TcpListener(IPAddress.Loopback, 0);
        relay.Start();
        _ = AgentNetwork.AcceptAsync(relay, socket);
        var relayPort = ((IPEndPoint)relay.LocalEndpoint).Port;

        using var direct = await ConnectAsync(((IPEndPoint)api.LocalEndpoint).Port);
        using var tunnel = await ConnectAsync(relayPort);
        await tunnel.GetStream().WriteAsync(Encoding.Latin1.GetBytes($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"));
        await ReadAnswerAsync(tunnel.GetStream(), headOnly: true);

        var (directKept, tunnelled, directNew, absolute) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (var i = -20; i < requests; i++)
        {
            var kept = await TimeAsync(() => AskAsync(direct.GetStream(), $"GET /v1/messages HTTP/1.1\r\nHost: {authority}\r\n\r\n"));
            var through = await TimeAsync(() => AskAsync(tunnel.GetStream(), $"GET /v1/messages HTTP/1.1\r\nHost: {authority}\r\n\r\n"));
            var fresh = await TimeAsync(() => AskOnceAsync(((IPEndPoint)api.LocalEndpoint).Port, $"GET /v1/messages HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"));
            var proxied = await TimeAsync(() => AskOnceAsync(relayPort, $"GET http://{authority}/v1/messages HTTP/1.1\r\nHost: {authority}\r\n\r\n"));
            if (i >= 0)
            {
                directKept.Add(kept);
                tunnelled.Add(through);
                directNew.Add(fresh);
                absolute.Add(proxied);
            }
        }

        Console.WriteLine($"bench proxy: {requests} requests to a loopback API, each way in turn");
        Console.WriteLine($"  HTTPS-like, one kept connection: through the relay and the proxy's tunnel {Summary(tunnelled)}; direct {Summary(directKept)}; added p50 {Median(tunnelled) - Median(directKept):0.00} ms (target under 5 ms)");
        Console.WriteLine($"  plain http, a connection each:   through the relay and the proxy {Summary(absolute)}; direct {Summary(directNew)}; added p50 {Median(absolute) - Median(directNew):0.00} ms");
    }

    private static async Task<double> TimeAsync(Func<Task> request)
    {
        var watch = Stopwatch.StartNew();
        await request();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        return client;
    }

    private static async Task AskAsync(NetworkStream stream, string request)
    {
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        await ReadAnswerAsync(stream, headOnly: false);
    }

    private static async Task AskOnceAsync(int port, string request)
    {
        using var client = await ConnectAsync(port);
        await AskAsync(client.GetStream(), request);
    }

    /// <summary>An answer's head, and its body by Content-Length unless only the head comes (a CONNECT's).</summary>
    private static async Task ReadAnswerAsync(NetworkStream stream, bool headOnly)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("the answer ended early");
            }

            head.Append((char)one[0]);
        }

        var length = headOnly ? 0 : int.Parse(head.ToString().Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await stream.ReadExactlyAsync(new byte[length]);
    }

    /// <summary>A loopback API that keeps connections alive unless asked not to, answering each request with a small body.</summary>
    private static async Task ServeAsync(TcpListener listener)
    {
        while (true)
        {
            var client = await listener.AcceptTcpClientAsync();
            client.NoDelay = true;
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var reader = new StreamReader(stream, Encoding.Latin1);
                    while (await reader.ReadLineAsync() is { Length: > 0 })
                    {
                        var close = false;
                        while (await reader.ReadLineAsync() is { Length: > 0 } header)
                        {
                            close |= header.Equals("Connection: close", StringComparison.OrdinalIgnoreCase);
                        }

                        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray());
                        if (close)
                        {
                            break;
                        }
                    }
                }
            });
        }
    }

    private static double Median(List<double> values) => Figures.Percentile([.. values.Order()], 0.5);

    private static string Summary(List<double> values)
    {
        var sorted = values.Order().ToList();
        return $"p50 {Figures.Percentile(sorted, 0.5):0.00} ms, p95 {Figures.Percentile(sorted, 0.95):0.00} ms";
    }
}
