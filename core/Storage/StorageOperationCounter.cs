using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Konduktor.Core.Storage;

/// <summary>
/// Counts every storage request by service and operation, so the cost of a feature is visible
/// (<c>konduktor status --storage-ops</c>). Added to every storage client, which are all made in <see cref="StorageClients"/>.
/// </summary>
public sealed class StorageOperationCounter
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> Snapshot() =>
        _counts.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToDictionary(pair => pair.Key, pair => pair.Value);

    public long Total => _counts.Values.Sum();

    internal void Count(string service, Request request) =>
        _counts.AddOrUpdate($"{service} {Operation(service, request)}", 1, (_, count) => count + 1);

    public HttpPipelinePolicy PolicyFor(string service) => new CountingPolicy(this, service);

    private static string Operation(string service, Request request)
    {
        var method = request.Method.Method.ToUpperInvariant();
        var path = request.Uri.Path;
        var query = request.Uri.Query;
        return service switch
        {
            "table" when path.EndsWith("$batch", StringComparison.Ordinal) => "batch",
            "table" when path.EndsWith("/Tables", StringComparison.Ordinal) || path.Contains("/Tables(", StringComparison.Ordinal) => $"{method} table",
            "table" when method == "GET" => path.EndsWith(')') && !path.EndsWith("()", StringComparison.Ordinal) ? "read entity" : "query",
            "table" => method switch
            {
                "POST" => "insert",
                "PUT" => "replace",
                "MERGE" or "PATCH" => "merge",
                "DELETE" => "delete",
                _ => method,
            },
            "queue" when path.EndsWith("/messages", StringComparison.Ordinal) => method switch
            {
                "GET" when query.Contains("peekonly=true", StringComparison.OrdinalIgnoreCase) => "peek",
                "GET" => "receive",
                "POST" => "send",
                "DELETE" => "clear",
                _ => method,
            },
            "queue" when path.Contains("/messages/", StringComparison.Ordinal) => method == "DELETE" ? "delete message" : "update message",
            "queue" => $"{method} queue",
            _ => query.Contains("restype=container", StringComparison.OrdinalIgnoreCase) ? $"{method} container" : $"{method} blob",
        };
    }

    private sealed class CountingPolicy(StorageOperationCounter counter, string service) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message) => counter.Count(service, message.Request);
    }
}
