using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Konduktor.Tests.Infrastructure;

/// <summary>
/// A stand-in for a host on the internet (an attacker's, or one a person allows): a loopback HTTP server that answers
/// every request with its <see cref="Answer"/> and counts the requests that reached it.
/// </summary>
public sealed class LoopbackHost : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _serving;
    private int _requests;

    private LoopbackHost(string answer)
    {
        Answer = answer;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _serving = ServeAsync();
    }

    public string Answer { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Authority => $"127.0.0.1:{Port}";

    public int Requests => Volatile.Read(ref _requests);

    public static LoopbackHost Start(string answer) => new(answer);

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            var client = await _listener.AcceptTcpClientAsync();
            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer);
                if (read == 0)
                {
                    return;
                }

                head.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }

            Interlocked.Increment(ref _requests);
            var body = Encoding.UTF8.GetBytes(Answer + "\n");
            await stream.WriteAsync(Encoding.Latin1.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
            await stream.WriteAsync(body);
        }
    }
}
