using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Konduktor.LocalHost.Durability;

/// <summary>
/// Stands in front of Azurite on three loopback ports of its own: every client of <c>up</c>'s storage (the host, the
/// Durable Task engine, a runner) talks to it, and it forwards each request to Azurite unchanged (YARP). A write
/// Azurite accepted is kept in the <see cref="StorageJournal"/>, synced to disk, before its answer goes back: nothing
/// a client is told was written can be lost when Azurite dies before its next save.
/// </summary>
public sealed partial class JournalingProxy : IAsyncDisposable
{
    private static readonly HttpRequestOptionsKey<JournalRecord> Record = new("konduktor-journal-record");
    private readonly WebApplication _app;
    private readonly IReadOnlyCollection<HttpMessageInvoker> _clients;

    private JournalingProxy(WebApplication app, IReadOnlyCollection<HttpMessageInvoker> clients, IReadOnlyList<int> ports)
    {
        (_app, _clients) = (app, clients);
        Ports = ports;
    }

    /// <summary>Blob, queue and table ports, as Azurite's are ordered.</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <param name="open">Requests wait for it (Azurite running, the journal replayed); when it fails, they are answered 503.</param>
    /// <remarks>
    /// Its three ports are the system's choice, taken as they are bound: a port chosen first and bound later may be taken
    /// meanwhile (an outgoing connection gets one from the same range), which stopped `up` under load.
    /// </remarks>
    /// <param name="azuritePorts">Azurite's ports, once it listens (before <paramref name="open"/>).</param>
    public static async Task<JournalingProxy> StartAsync(Task<IReadOnlyList<int>> azuritePorts, StorageJournal journal, Task open, CancellationToken ct)
    {
        var builder = LocalWebApplication.CreateBuilder("Konduktor.StorageProxy");
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            foreach (var _ in Enum.GetValues<StorageService>())
            {
                kestrel.Listen(IPAddress.Loopback, 0);
            }
        });
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var clients = Enum.GetValues<StorageService>().ToDictionary(s => s, s => new HttpMessageInvoker(new JournalingHandler(journal)
        {
            InnerHandler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseCookies = false },
        }));
        var transformer = new RecordingTransformer();
        // Filled once Kestrel has bound the ports (in the order they were asked for); no client knows them before.
        var services = new Dictionary<int, StorageService>();
        app.Run(async http =>
        {
            if (!open.IsCompletedSuccessfully)
            {
                await open.WaitAsync(http.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (!open.IsCompletedSuccessfully)
                {
                    http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    return;
                }
            }

            var service = services[http.Connection.LocalPort];
            if (Journaled(service, http.Request.Method, http.Request.Path.Value ?? "", http.Request.QueryString.Value ?? ""))
            {
                http.Request.EnableBuffering();
                using var body = new MemoryStream();
                await http.Request.Body.CopyToAsync(body, http.RequestAborted);
                http.Request.Body.Position = 0;
                http.Items[Record.Key] = new JournalRecord(service, http.Request.Method, http.Request.Path + http.Request.QueryString, Headers(http.Request), body.ToArray());
            }

            var target = await azuritePorts;
            await forwarder.SendAsync(http, $"http://127.0.0.1:{target[(int)service]}", clients[service], ForwarderRequestConfig.Empty, transformer);
        });
        await app.StartAsync(ct);
        var ports = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .GetRequiredFeature<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>().Addresses.Select(address => new Uri(address).Port).ToList();
        foreach (var (port, index) in ports.Select((port, index) => (port, index)))
        {
            services[port] = (StorageService)index;
        }

        return new JournalingProxy(app, clients.Values, ports);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        // Their pooled connections closed too: Azurite, stopped next, waits for every open connection before it exits.
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    /// <summary>
    /// What changes stored data and is worth replaying: not reads (a queue's dequeue included: a message a crash brings
    /// back is delivered again, as queues promise at least once), not leases (they expire anyway), not a message's
    /// delete or visibility change (they name a pop receipt no replay can have).
    /// </summary>
    internal static bool Journaled(StorageService service, string method, string path, string query) =>
        !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method)
        && !query.Contains("comp=lease", StringComparison.OrdinalIgnoreCase)
        && !(service == StorageService.Queue && MessagePath().IsMatch(path));

    private static List<KeyValuePair<string, string>> Headers(HttpRequest request) =>
        request.Headers
            .Where(h => !h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)
                && !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                && !h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Expect", StringComparison.OrdinalIgnoreCase))
            .Select(h => KeyValuePair.Create(h.Key, h.Value.ToString()))
            .ToList();

    [GeneratedRegex("/messages/[^/]+$", RegexOptions.IgnoreCase)]
    private static partial Regex MessagePath();

    /// <summary>Hands the record made of the incoming request to the handler that sends it on.</summary>
    private sealed class RecordingTransformer : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            // The target exactly as the client sent it: Azurite checks the signature over the path, and re-encoding it
            // (a quote in an entity's key) would break that.
            proxyRequest.RequestUri = new Uri(destinationPrefix + httpContext.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget);
            if (httpContext.Items[Record.Key] is JournalRecord record)
            {
                proxyRequest.Options.Set(Record, record);
            }
        }
    }

    /// <summary>Sends the request to Azurite; a write it accepted is journaled (and synced) before the answer goes back.</summary>
    private sealed class JournalingHandler(StorageJournal journal) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Options.TryGetValue(Record, out var record) && await AcceptedAsync(record, response, cancellationToken))
            {
                await journal.AppendAsync(record);
            }

            return response;
        }

        /// <summary>A 2xx; for a table batch, every operation in it too (the batch answers 202 and names the one that failed inside).</summary>
        private static async Task<bool> AcceptedAsync(JournalRecord record, HttpResponseMessage response, CancellationToken ct)
        {
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            if (!TableBatch.Is(record))
            {
                return true;
            }

            await response.Content.LoadIntoBufferAsync(ct);
            return TableBatch.AllSucceeded(await response.Content.ReadAsStringAsync(ct));
        }
    }
}
