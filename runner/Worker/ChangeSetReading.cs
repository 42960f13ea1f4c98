using System.Globalization;
using Konduktor.Core.Changes;

namespace Konduktor.Runner.Worker;

/// <summary>Reads git's machine formats into a change set's parts: <c>diff --numstat -z</c> and the log's field-separated lines.</summary>
public static class ChangeSetReading
{
    /// <summary>
    /// <c>added\tremoved\tpath\0</c>, or for a rename <c>added\tremoved\t\0old\0new\0</c>; a binary file counts <c>-</c>.
    /// </summary>
    public static List<ChangedFile> Numstat(string numstat)
    {
        var files = new List<ChangedFile>();
        var fields = numstat.Split('\0');
        for (var i = 0; i < fields.Length; i++)
        {
            var parts = fields[i].Split('\t', 3);
            if (parts.Length < 3)
            {
                continue;
            }

            int? Count(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
            if (parts[2].Length == 0 && i + 2 < fields.Length)
            {
                files.Add(new ChangedFile(fields[i + 2], Count(parts[0]), Count(parts[1]), OldPath: fields[i + 1]));
                i += 2;
            }
            else
            {
                files.Add(new ChangedFile(parts[2], Count(parts[0]), Count(parts[1])));
            }
        }

        return files;
    }

    /// <summary>Records ended by <c>\x1e</c>: sha, author, ISO date, subject, trailers (one per line), separated by <c>\x1f</c>.</summary>
    public static List<ChangeCommit> Log(string log) =>
        log.Split('\x1e', StringSplitOptions.RemoveEmptyEntries)
            .Select(record => record.TrimStart('\n').Split('\x1f'))
            .Where(fields => fields.Length >= 5)
            .Select(fields => new ChangeCommit(fields[0], fields[1], DateTimeOffset.Parse(fields[2], CultureInfo.InvariantCulture), fields[3],
                fields[4].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()))
            .ToList();
}
