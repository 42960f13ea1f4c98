using System.Text;
using System.Text.Json;

namespace Konduktor.Runner.Worker;

/// <summary>
/// Puts the agent's stream-json back into whole events. Each event should be one line, but a long line can be written
/// in pieces, and another event (or a child process writing to the same pipe) can land between the pieces:
/// <c>{"type":"assistant",…</c> · <c>{"type":"system",…}</c> · <c>…rest}</c>. Such a line is held until it completes;
/// the event written in the middle of it comes out first. Nothing is dropped: what never completes comes out as it was.
/// </summary>
public sealed class StreamJsonLines
{
    private const int MaxHeldChars = 4 * 1024 * 1024;
    private const string EventStart = "{\"type\":";
    private readonly StringBuilder _held = new();

    /// <summary>The whole lines that <paramref name="line"/> completes, in order.</summary>
    public IEnumerable<string> Add(string line)
    {
        if (_held.Length > 0)
        {
            if (IsJsonObject(line))
            {
                // A whole event written between the pieces of the held one.
                yield return line;
                yield break;
            }

            var (start, rest) = SplitAtEmbeddedEvent(line);
            _held.Append(start);
            if (IsJsonObject(_held.ToString()))
            {
                yield return Take();
            }
            else if (_held.Length > MaxHeldChars)
            {
                yield return Take();
            }

            if (rest is not null)
            {
                foreach (var completed in Add(rest))
                {
                    yield return completed;
                }
            }

            yield break;
        }

        if (line.Length == 0 || line[0] != '{' || IsJsonObject(line))
        {
            yield return line;
            yield break;
        }

        // The start of an event that goes on later; an event may be embedded after it.
        var (head, embedded) = SplitAtEmbeddedEvent(line);
        _held.Append(head);
        if (embedded is not null)
        {
            yield return embedded;
        }
    }

    /// <summary>What is still held when the agent's output ends: given back as it was, never lost.</summary>
    public string? Flush() => _held.Length == 0 ? null : Take();

    private string Take()
    {
        var text = _held.ToString();
        _held.Clear();
        return text;
    }

    /// <summary>A piece followed by a whole event on the same line: the piece, and the event.</summary>
    private static (string Piece, string? Event) SplitAtEmbeddedEvent(string line)
    {
        for (var at = line.IndexOf(EventStart, 1, StringComparison.Ordinal); at > 0; at = line.IndexOf(EventStart, at + 1, StringComparison.Ordinal))
        {
            if (IsJsonObject(line[at..]))
            {
                return (line[..at], line[at..]);
            }
        }

        return (line, null);
    }

    private static bool IsJsonObject(string text)
    {
        if (text.Length < 2 || text[0] != '{')
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
