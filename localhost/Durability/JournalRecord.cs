using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Konduktor.LocalHost.Durability;

/// <summary>Which of Azurite's three services a request went to.</summary>
public enum StorageService
{
    Blob,
    Queue,
    Table,
}

/// <summary>
/// One write Azurite acknowledged, as it was asked: the service, the method, the path and query, the headers (never the
/// signature: replays sign with the account's key) and the body.
/// </summary>
public sealed record JournalRecord(StorageService Service, string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    private sealed record Head(StorageService Service, string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers);

    /// <summary>Framed for the journal: its length, a CRC-32 of it, then a JSON line of what it is and the body.</summary>
    public byte[] Frame()
    {
        var head = JsonSerializer.SerializeToUtf8Bytes(new Head(Service, Method, PathAndQuery, Headers));
        var frame = new byte[8 + head.Length + 1 + Body.Length];
        var payload = frame.AsSpan(8);
        head.CopyTo(payload);
        payload[head.Length] = (byte)'\n';
        Body.CopyTo(payload[(head.Length + 1)..]);
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32.HashToUInt32(payload));
        return frame;
    }

    /// <summary>
    /// The records of one segment in order. A record cut short or garbled (a power cut while it was written, before
    /// anyone was told it was kept) ends the segment: nothing after it was acknowledged either.
    /// </summary>
    public static IEnumerable<JournalRecord> ReadAll(string segment)
    {
        var bytes = File.ReadAllBytes(segment);
        var at = 0;
        while (at + 8 <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            if (length <= 0 || at + 8 + length > bytes.Length)
            {
                yield break;
            }

            var payload = bytes.AsMemory(at + 8, length);
            if (Crc32.HashToUInt32(payload.Span) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4)))
            {
                yield break;
            }

            var newline = payload.Span.IndexOf((byte)'\n');
            var head = JsonSerializer.Deserialize<Head>(payload.Span[..newline])!;
            yield return new JournalRecord(head.Service, head.Method, head.PathAndQuery, head.Headers, payload.Span[(newline + 1)..].ToArray());
            at += 8 + length;
        }
    }

    public override string ToString() => $"{Service} {Method} {PathAndQuery} ({Body.Length:N0} bytes)";

    public string BodyText => Encoding.UTF8.GetString(Body);
}
