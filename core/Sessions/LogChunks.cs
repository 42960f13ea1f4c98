using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Konduktor.Core.Json;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Sessions;

/// <summary>A run of a session's log events kept in one compressed blob: events <see cref="First"/> to <see cref="Last"/>.</summary>
public sealed record LogChunk(long First, long Last, string Name);

/// <summary>
/// Session logs at rest: gzip-compressed JSON lines, one blob per run of events, named by the run
/// (<c>{workspace}/{session}/{first}-{last}.jsonl.gz</c>, zero-padded so names sort as sequences do). A chunk is
/// written once and never changed; merging writes a longer chunk before the shorter ones go, so a reader always finds
/// some chunk that holds the next event. What a session's chunks are is cached here (they only grow) and looked up
/// again when an event is not in any cached chunk.
/// </summary>
public sealed class LogChunks(StorageClients storage)
{
    private const string ContainerName = "logs";
    private static readonly TimeSpan ListAgainAfter = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<Guid, (IReadOnlyList<LogChunk> Chunks, DateTimeOffset ListedAt)> _known = new();

    /// <summary>Writes the events (a contiguous run, in order) as one chunk; an identical chunk already there is fine.</summary>
    public async Task<LogChunk> WriteAsync(Guid workspaceId, Guid sessionId, IReadOnlyList<LogEvent> events, CancellationToken ct)
    {
        var chunk = new LogChunk(events[0].Seq, events[^1].Seq, NameOf(workspaceId, sessionId, events[0].Seq, events[^1].Seq));
        var container = await storage.Container(ContainerName);
        var blob = container.GetBlobClient(chunk.Name);
        try
        {
            await blob.UploadAsync(new BinaryData(Compress(events)), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Written before (a compaction cut short after the upload): what is there is checked like a new one.
        }

        _known.TryRemove(sessionId, out _);
        return chunk;
    }

    /// <summary>The events a chunk holds, read back from storage.</summary>
    public async Task<IReadOnlyList<LogEvent>> ReadAsync(LogChunk chunk, CancellationToken ct)
    {
        var container = await storage.Container(ContainerName);
        var content = await container.GetBlobClient(chunk.Name).DownloadContentAsync(ct);
        return Decompress(content.Value.Content.ToArray());
    }

    /// <summary>A session's chunks, by first event.</summary>
    public async Task<IReadOnlyList<LogChunk>> ListAsync(Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        var container = await storage.Container(ContainerName);
        var chunks = new List<LogChunk>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix(workspaceId, sessionId) }, ct))
        {
            if (Parse(item.Name) is { } chunk)
            {
                chunks.Add(chunk);
            }
        }

        chunks.Sort((a, b) => a.First != b.First ? a.First.CompareTo(b.First) : b.Last.CompareTo(a.Last));
        _known[sessionId] = (chunks, DateTimeOffset.UtcNow);
        return chunks;
    }

    /// <summary>
    /// The chunk that goes on after event <paramref name="after"/>: the longest holding the next event, else the first
    /// that starts later (past a gap an ended session keeps); null when no chunk holds anything later. What is cached is
    /// looked up again when it has nothing after <paramref name="after"/> and is older than a second.
    /// </summary>
    public async Task<LogChunk?> FindNextAsync(Guid workspaceId, Guid sessionId, long after, CancellationToken ct)
    {
        if (_known.TryGetValue(sessionId, out var cached))
        {
            var next = Next(cached.Chunks, after);
            if (next?.First <= after + 1 || DateTimeOffset.UtcNow - cached.ListedAt < ListAgainAfter)
            {
                return next;
            }
        }

        return Next(await ListAsync(workspaceId, sessionId, ct), after);
    }

    /// <summary>Removes a chunk a longer one holds all of (after a merge).</summary>
    public async Task DeleteAsync(Guid sessionId, LogChunk chunk, CancellationToken ct)
    {
        var container = await storage.Container(ContainerName);
        await container.GetBlobClient(chunk.Name).DeleteIfExistsAsync(cancellationToken: ct);
        _known.TryRemove(sessionId, out _);
    }

    /// <summary>Forgets what a session's chunks were (a chunk a reader expected is gone: merged).</summary>
    public void Forget(Guid sessionId) => _known.TryRemove(sessionId, out _);

    private static LogChunk? Next(IReadOnlyList<LogChunk> chunks, long after) =>
        chunks.Where(c => c.First <= after + 1 && after + 1 <= c.Last).MaxBy(c => c.Last) ?? chunks.Where(c => c.First > after).MinBy(c => c.First);

    private static string Prefix(Guid workspaceId, Guid sessionId) => $"{ShortId.Format(workspaceId)}/{ShortId.Format(sessionId)}/";

    private static string NameOf(Guid workspaceId, Guid sessionId, long first, long last) =>
        $"{Prefix(workspaceId, sessionId)}{first.ToString("D12", CultureInfo.InvariantCulture)}-{last.ToString("D12", CultureInfo.InvariantCulture)}.jsonl.gz";

    private static LogChunk? Parse(string name)
    {
        var file = name[(name.LastIndexOf('/') + 1)..];
        var range = file.Split('.')[0].Split('-');
        return range.Length == 2 && long.TryParse(range[0], CultureInfo.InvariantCulture, out var first) && long.TryParse(range[1], CultureInfo.InvariantCulture, out var last)
            ? new LogChunk(first, last, name)
            : null;
    }

    private static byte[] Compress(IReadOnlyList<LogEvent> events)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal))
        using (var writer = new StreamWriter(gzip, new UTF8Encoding(false)))
        {
            foreach (var logEvent in events)
            {
                writer.Write(KonduktorJson.Serialize(logEvent));
                writer.Write('\n');
            }
        }

        return buffer.ToArray();
    }

    private static List<LogEvent> Decompress(byte[] bytes)
    {
        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var events = new List<LogEvent>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                events.Add(KonduktorJson.Deserialize<LogEvent>(line)!);
            }
        }

        return events;
    }
}
