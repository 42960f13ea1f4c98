using System.Net;
using System.Net.Sockets;

namespace Konduktor.Tests.Infrastructure;

/// <summary>
/// A TCP relay a runner talks to the API through, so a test can cut the network and bring it back: <see cref="Cut"/>
/// closes the listener and every open connection (as a lost Wi-Fi does), <see cref="Restore"/> listens again on the same port.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly Uri _target;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource _cut = new();

    private TcpRelay(Uri target, int port)
    {
        _target = target;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public static TcpRelay Start(string target)
    {
        var relay = new TcpRelay(new Uri(target), KonduktorUp.FreePort());
        relay.Restore();
        return relay;
    }

    public void Restore()
    {
        _cut = new CancellationTokenSource();
        var listener = _listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _ = AcceptAsync(listener, _cut.Token);
    }

    public void Cut()
    {
        _cut.Cancel();
        _listener?.Stop();
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Close();
            }

            _open.Clear();
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(inbound, ct);
        }
    }

    private async Task RelayAsync(TcpClient inbound, CancellationToken ct)
    {
        using var outbound = new TcpClient();
        lock (_open)
        {
            _open.Add(inbound);
            _open.Add(outbound);
        }

        try
        {
            await outbound.ConnectAsync(_target.Host, _target.Port, ct);
            var up = inbound.GetStream().CopyToAsync(outbound.GetStream(), ct);
            var down = outbound.GetStream().CopyToAsync(inbound.GetStream(), ct);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Cut, or one side closed.
        }
        finally
        {
            inbound.Close();
        }
    }
}
