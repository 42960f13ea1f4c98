using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Konduktor.LocalHost.Durability;

/// <summary>One table operation as a replay sends it: method, path (and query), headers, body.</summary>
public sealed record TableOperation(string Method, string Path, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body);

/// <summary>
/// Table writes as a replay must send them so that sending one again, or on a state that already has it, ends in the
/// state the original sequence left: an insert becomes an insert-or-replace of its entity, an update or merge loses its
/// If-Match (insert-or-replace, insert-or-merge), a delete takes any version. Batches (<c>$batch</c>, multipart) are
/// rewritten operation by operation.
/// </summary>
public static partial class TableBatch
{
    public static bool Is(JournalRecord record) =>
        record.Service == StorageService.Table && record.PathAndQuery.Split('?')[0].EndsWith("/$batch", StringComparison.Ordinal);

    /// <summary>Every operation's answer in a batch's response is a 2xx (a failed changeset answers with the one that failed).</summary>
    public static bool AllSucceeded(string response) =>
        StatusLine().Matches(response).All(m => m.Groups[1].Value.StartsWith('2'));

    /// <summary>The operations of a batch body, in order.</summary>
    public static IReadOnlyList<TableOperation> Operations(string body) =>
        InnerRequest().Matches(body).Select(OperationIn).ToList();

    /// <summary>The batch body with each operation rewritten for replay; the boundaries and framing as they were.</summary>
    public static string ForReplay(string body, string origin) =>
        InnerRequest().Replace(body, part =>
        {
            var replay = ForReplay(OperationIn(part));
            var text = new StringBuilder($"{replay.Method} {origin}{replay.Path} HTTP/1.1\r\n");
            foreach (var (name, value) in replay.Headers)
            {
                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }

            return text.Append("\r\n").Append(replay.Body).ToString();
        });

    private static TableOperation OperationIn(Match part) => new(
        part.Groups["method"].Value,
        new Uri(part.Groups["url"].Value).PathAndQuery,
        part.Groups["headers"].Value.Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(pair => pair.Length == 2)
            .Select(pair => KeyValuePair.Create(pair[0].Trim(), pair[1].Trim()))
            .ToList(),
        part.Groups["body"].Value.TrimEnd('\r', '\n'));

    /// <summary>One operation rewritten so that replaying it is safe in any state of the sequence it came from.</summary>
    public static TableOperation ForReplay(TableOperation operation)
    {
        var headers = operation.Headers.Where(h => !h.Key.Equals("If-Match", StringComparison.OrdinalIgnoreCase)).ToList();
        var path = operation.Path.Split('?')[0];
        if (operation.Method == "DELETE" && path.EndsWith(')'))
        {
            headers.Add(KeyValuePair.Create("If-Match", "*"));
            return operation with { Headers = headers };
        }

        if (operation.Method == "POST" && !path.EndsWith(')') && !path.EndsWith("/Tables", StringComparison.Ordinal) && !path.EndsWith("/$batch", StringComparison.Ordinal)
            && EntityKeys(operation.Body) is var (partitionKey, rowKey))
        {
            return operation with { Method = "PUT", Path = $"{path}(PartitionKey='{Key(partitionKey)}',RowKey='{Key(rowKey)}')", Headers = headers.Where(h => !h.Key.Equals("Prefer", StringComparison.OrdinalIgnoreCase)).ToList() };
        }

        return operation with { Headers = headers };
    }

    private static (string, string)? EntityKeys(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("PartitionKey", out var partition) && json.RootElement.TryGetProperty("RowKey", out var row)
                ? (partition.GetString()!, row.GetString()!)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Key(string value) => Uri.EscapeDataString(value.Replace("'", "''", StringComparison.Ordinal));

    [GeneratedRegex(@"^HTTP/1\.1 (\d{3})", RegexOptions.Multiline)]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"(?<method>GET|POST|PUT|MERGE|PATCH|DELETE) (?<url>https?://\S+) HTTP/1\.1\r\n(?<headers>(?:[^\r\n]+\r\n)*)\r\n(?<body>(?:(?!\r\n--)[\s\S])*)")]
    private static partial Regex InnerRequest();
}
