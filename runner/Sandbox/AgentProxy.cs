using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// A confined agent's only way out: an HTTP proxy the runner holds for one session, on a Unix socket bound into the
/// agent's sandbox (whose own network namespace has nothing but loopback; <see cref="AgentNetwork"/> relays its proxy
/// port here). It takes <c>CONNECT host:port</c> (HTTPS, and any TLS) and absolute-form HTTP requests, as Claude Code,
/// git, curl, npm and .NET send them through <c>HTTPS_PROXY</c>/<c>HTTP_PROXY</c>, and connects only where the
/// <see cref="NetworkAllowList"/> allows. A refusal is answered 403 with why, and said once per host in the session's log.
/// </summary>
public sealed partial class AgentProxy : IAsyncDisposable
{
    private const int MaxHead = 64 * 1024;
    private const int MaxPushBody = 4096;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly Socket _listener;
    private readonly NetworkAllowList _allowed;
    private readonly Action<string> _say;
    private readonly Func<PushRequest, CancellationToken, Task<PushAnswer>>? _push;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<string> _refused = [];
    private readonly Task _accepting;

    private AgentProxy(Socket listener, string socketPath, NetworkAllowList allowed, Action<string> say, Func<PushRequest, CancellationToken, Task<PushAnswer>>? push, ILogger logger)
    {
        (_listener, SocketPath, _allowed, _say, _push, _logger) = (listener, socketPath, allowed, say, push, logger);
        _accepting = AcceptAsync();
    }

    public string SocketPath { get; }

    /// <summary>Listens on <paramref name="socketPath"/> (made anew); <paramref name="say"/> writes a line in the session's log.</summary>
    /// <param name="push">Pushes for the agent's git (<see cref="PushBroker"/>); null: nothing is pushed for it.</param>
    public static AgentProxy Start(string socketPath, NetworkAllowList allowed, Action<string> say, ILogger logger, Func<PushRequest, CancellationToken, Task<PushAnswer>>? push = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
        File.Delete(socketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(64);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new AgentProxy(listener, socketPath, allowed, say, push, logger);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        File.Delete(SocketPath);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        await using var agent = new NetworkStream(client, ownsSocket: true);
        try
        {
            var (head, rest) = await ReadHeadAsync(agent, _stopping.Token);
            if (ProxyRequest.Parse(head) is not { } request)
            {
                await AnswerAsync(agent, 400, "Bad Request", "Konduktor's proxy takes CONNECT host:port and absolute-form http:// requests.");
                return;
            }

            if (request.Host == PushBroker.Host && _push is not null)
            {
                await BrokerAsync(agent, request, rest, _push);
                return;
            }

            if (!_allowed.Allows(request.Host, request.Port))
            {
                Refused(request.Authority);
                await AnswerAsync(agent, 403, "Forbidden", $"Konduktor: {request.Authority} is not on this workspace's network allow-list; a person can allow it with `konduktor config set --allow-host {request.Authority}`.");
                return;
            }

            using var upstream = new TcpClient();
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                connecting.CancelAfter(ConnectTimeout);
                try
                {
                    await upstream.ConnectAsync(request.Host, request.Port, connecting.Token);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    await AnswerAsync(agent, 502, "Bad Gateway", $"Konduktor: could not connect to {request.Authority} ({(e is SocketException s ? s.SocketErrorCode.ToString() : "timed out")}).");
                    return;
                }
            }

            var server = upstream.GetStream();
            if (request.IsConnect)
            {
                await agent.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), _stopping.Token);
            }
            else
            {
                await server.WriteAsync(request.Forwarded(), _stopping.Token);
            }

            await server.WriteAsync(rest, _stopping.Token);
            await AgentNetwork.PumpAsync(agent, server, _stopping.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
        {
            // The agent or the host closed the connection (or sent more than a request head can be): nothing to keep.
        }
        catch (Exception e)
        {
            LogUnexpected(_logger, e);
        }
    }

    private void Refused(string authority)
    {
        bool first;
        lock (_refused)
        {
            first = _refused.Add(authority);
        }

        if (first)
        {
            _say($"refused a connection to {authority}: not on this workspace's network allow-list (a person can allow it: konduktor config set --allow-host {authority})");
        }
    }

    /// <summary>A push the agent's git asks for, answered with the runner's outcome: 200 pushed, 403 refused or failed, with why.</summary>
    private async Task BrokerAsync(NetworkStream agent, ProxyRequest request, ReadOnlyMemory<byte> after, Func<PushRequest, CancellationToken, Task<PushAnswer>> push)
    {
        var length = request.ContentLength;
        if (request.Method != "POST" || length is not (> 0 and <= MaxPushBody) || after.Length > length)
        {
            await AnswerAsync(agent, 400, "Bad Request", "Konduktor: a push is asked for as a POST with its ref, commit and mode.");
            return;
        }

        var body = new byte[length.Value];
        after.CopyTo(body);
        await agent.ReadExactlyAsync(body.AsMemory(after.Length), _stopping.Token);
        if (PushBroker.Parse(Encoding.UTF8.GetString(body)) is not { } asked)
        {
            await AnswerAsync(agent, 400, "Bad Request", "Konduktor: a push names a ref under refs/, a full commit id and force or fast-forward.");
            return;
        }

        var answer = await push(asked, _stopping.Token);
        await AnswerAsync(agent, answer.Pushed ? 200 : 403, answer.Pushed ? "OK" : "Forbidden", answer.Message);
    }

    /// <summary>The request's head (through its blank line) and whatever came after it in the same reads.</summary>
    private static async Task<(string Head, ReadOnlyMemory<byte> After)> ReadHeadAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxHead];
        var filled = 0;
        while (true)
        {
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (Encoding.Latin1.GetString(buffer, 0, end + 4), buffer.AsMemory(end + 4, filled - end - 4));
            }

            if (filled == buffer.Length)
            {
                throw new InvalidDataException("request head too long");
            }

            var read = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            if (read == 0)
            {
                throw new IOException("closed before a request head");
            }

            filled += read;
        }
    }

    private static Task AnswerAsync(NetworkStream agent, int status, string reason, string text)
    {
        var body = Encoding.UTF8.GetBytes(text + "\n");
        var head = Encoding.Latin1.GetBytes(string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
        return agent.WriteAsync(head.Concat(body).ToArray()).AsTask();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The agent's proxy failed a connection")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}

/// <summary>A request to the agent's proxy: where to (host, port) and, for plain HTTP, the head to send on.</summary>
internal sealed record ProxyRequest(string Method, string Host, int Port, string Head, string Target)
{
    public bool IsConnect => Method == "CONNECT";

    public string Authority => new Konduktor.Core.Workspaces.AllowedHost(Host, Port).ToString();

    /// <summary>The head's Content-Length, when it has a valid one.</summary>
    public int? ContentLength => Head.Split("\r\n").FirstOrDefault(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase)) is { } header
        && int.TryParse(header["content-length:".Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null;

    /// <summary><c>CONNECT host:port</c>, or an absolute-form <c>http://</c> request; null for anything else.</summary>
    public static ProxyRequest? Parse(string head)
    {
        var line = head[..head.IndexOf("\r\n", StringComparison.Ordinal)];
        if (line.Split(' ') is not [var method, var target, var version] || !version.StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return null;
        }

        if (method == "CONNECT")
        {
            return Uri.TryCreate("tcp://" + target, UriKind.Absolute, out var authority) && authority.Port > 0 && target.Contains(':', StringComparison.Ordinal)
                ? new ProxyRequest(method, authority.IdnHost, authority.Port, head, target)
                : null;
        }

        return Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme == "http"
            ? new ProxyRequest(method, uri.IdnHost, uri.Port, head, target)
            : null;
    }

    /// <summary>The head as the host expects it: origin-form target, no proxy headers, and the connection closed after the answer.</summary>
    public byte[] Forwarded()
    {
        var uri = new Uri(Target);
        var lines = Head.Split("\r\n").Skip(1).Where(l => l.Length > 0)
            .Where(l => !l.StartsWith("proxy-", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("connection:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("keep-alive:", StringComparison.OrdinalIgnoreCase));
        var head = new StringBuilder($"{Method} {uri.PathAndQuery} HTTP/1.1\r\n");
        foreach (var line in lines)
        {
            head.Append(line).Append("\r\n");
        }

        return Encoding.Latin1.GetBytes(head.Append("Connection: close\r\n\r\n").ToString());
    }
}
