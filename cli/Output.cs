using System.Text;
using System.Text.Json;

namespace Konduktor.Cli;

/// <summary>How the CLI prints: human tables by default, the API's JSON (indented) with --json.</summary>
public static class Output
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Indented))
        {
            document.WriteTo(writer);
        }

        Console.Out.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    public static void Line(string text) => Console.Out.WriteLine(text);

    /// <summary>A plain aligned table; the last column is not padded.</summary>
    /// <param name="empty">What a person reads when there is nothing to list: every empty list says so.</param>
    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string empty)
    {
        var all = rows.ToList();
        if (all.Count == 0)
        {
            Line(empty);
            return;
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Max(r => r[i].Length))).ToArray();
        var builder = new StringBuilder();
        void Write(IReadOnlyList<string> cells)
        {
            for (var i = 0; i < cells.Count; i++)
            {
                builder.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
            }

            builder.AppendLine();
        }

        Write(headers);
        all.ForEach(Write);
        Console.Out.Write(builder.ToString());
    }

    /// <summary>A time as the CLI prints it everywhere: universal sortable ("2026-11-25 21:03:00Z"), or "-".</summary>
    /// <summary>An enum as words a person reads: <c>awaitingReview</c> → "awaiting review", <c>waiting-for-quota</c> → "waiting for quota".</summary>
    public static string Words<T>(T value)
        where T : struct, Enum =>
        string.Concat(Konduktor.Core.Json.KonduktorJson.Name(value).Select(c => char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : c == '-' ? " " : c.ToString()));

    /// <summary>
    /// A moment as people say it, the board's words (web/src/lib/format.ts): "just now", "4 min ago", "3 h ago",
    /// "yesterday", "5 days ago", then the date; "in 12 min" ahead. The exact time is in <c>--json</c>.
    /// </summary>
    public static string Time(DateTimeOffset? at) => at is { } when ? Ago(when, DateTimeOffset.UtcNow) : "-";

    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var delta = now - at;
        var span = delta.Duration();
        string? words = span < TimeSpan.FromMinutes(1) ? null
            : span < TimeSpan.FromHours(1) ? $"{(int)span.TotalMinutes} min"
            : span < TimeSpan.FromDays(1) ? $"{(int)span.TotalHours} h"
            : span < TimeSpan.FromDays(2) ? null
            : span < TimeSpan.FromDays(30) ? $"{(int)span.TotalDays} days"
            : "";
        return words switch
        {
            "" => at.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            null => span < TimeSpan.FromMinutes(1) ? "just now" : delta > TimeSpan.Zero ? "yesterday" : "tomorrow",
            _ => delta >= TimeSpan.Zero ? $"{words} ago" : $"in {words}",
        };
    }

    /// <summary>A moment soon: "14:05 UTC" today, with the date on another day.</summary>
    public static string Clock(DateTimeOffset at) =>
        at.UtcDateTime.Date == DateTime.UtcNow.Date
            ? at.ToString("HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture)
            : at.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A task whose session waits for quota: when it resumes, or that a person resumes it; null otherwise.</summary>
    public static string? QuotaWait(Konduktor.Core.Tasks.TaskItem task) =>
        task.ResumesAt is { } resumes ? $"waiting for quota, resumes at {Clock(resumes)}"
        : task.QuotaResetsAt is { } resets ? $"waiting for quota (the limit resets at {Clock(resets)}); automatic resumes are off: `konduktor tasks resume {task.ShortId}`"
        : null;

    /// <summary>
    /// Money as everywhere in Konduktor (the board's <c>money</c>): cents from $1, otherwise up to four decimals (a run
    /// often costs a fraction of a cent); "-" for none.
    /// </summary>
    public static string Cost(decimal? usd) => usd switch
    {
        null => "-",
        { } value when value == 0 || Math.Abs(value) >= 1 => "$" + value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
        { } value => "$" + value.ToString("0.00##", System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
