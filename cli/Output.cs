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
    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        if (all.Count == 0)
        {
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

    public static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
