using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Konduktor.Runner.Worker;

/// <summary>
/// Claude Code's conversation transcripts on this machine: <c>&lt;projects&gt;/&lt;folder per working directory&gt;/&lt;id&gt;.jsonl</c>.
/// A transcript is found by its id under any folder (as <c>claude --resume</c> finds it), never by recomputing a folder
/// name: a conversation resumed from another directory keeps growing in the file where it started.
/// </summary>
public static partial class ClaudeTranscripts
{
    private const int MaxFolderName = 200;

    /// <summary>
    /// Where <c>&lt;id&gt;.jsonl</c> stands under any folder of <paramref name="projectsDirectory"/> (as a file or a link,
    /// never followed), in folder order; none for an id that is not a conversation id.
    /// </summary>
    public static IEnumerable<string> Candidates(string projectsDirectory, string conversationId) =>
        !IsConversationId(conversationId) || !Directory.Exists(projectsDirectory) ? []
        : Directory.EnumerateDirectories(projectsDirectory).Order(StringComparer.Ordinal)
            .Select(folder => Path.Combine(folder, conversationId + ".jsonl"))
            .Where(file => Path.Exists(file) || new FileInfo(file).LinkTarget is not null);

    /// <summary>
    /// Where to put a transcript brought back from storage for a worktree: the folder Claude Code itself would use for
    /// that directory (its resolved path with every character outside <c>[A-Za-z0-9]</c> as <c>-</c>; long names cut
    /// and given a hash), so the conversation is also listed there by <c>claude --resume</c>.
    /// </summary>
    public static string RestorePath(string projectsDirectory, string worktree, string conversationId)
    {
        if (!IsConversationId(conversationId))
        {
            throw new ArgumentException($"'{conversationId}' is not a conversation id", nameof(conversationId));
        }

        var folder = NotAlphanumeric().Replace(Resolved(worktree), "-");
        if (folder.Length > MaxFolderName)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(folder)))[..8];
            folder = folder[..(MaxFolderName - hash.Length - 1)] + "-" + hash;
        }

        return Path.Combine(projectsDirectory, folder, conversationId + ".jsonl");
    }

    /// <summary>The largest transcript the runner takes from an agent's home.</summary>
    public const long MaxBytes = 256L * 1024 * 1024;

    /// <summary>Where the runner keeps its own copy of a conversation's transcript (out of every agent's reach), for a resume here.</summary>
    public static string KeptPath(string workDirectory, string conversationId) =>
        IsConversationId(conversationId) ? Path.Combine(workDirectory, "transcripts", conversationId + ".jsonl") : throw new ArgumentException($"'{conversationId}' is not a conversation id", nameof(conversationId));

    /// <summary>
    /// Takes the conversation's transcript out of the agent's home into the runner's keeping: found by its id under any
    /// folder, read without following links, only a regular file under the cap. Null and why when there is none to take.
    /// </summary>
    public static (string? Kept, string? Refusal) Take(string agentHome, string workDirectory, string conversationId)
    {
        var projects = AgentHomes.Projects(agentHome);
        if (!IsConversationId(conversationId) || !Directory.Exists(projects) || AgentWrittenFiles.WhyNotPlain(projects, agentHome) is not null)
        {
            return (null, null);
        }

        string? refusal = null;
        foreach (var file in Candidates(projects, conversationId))
        {
            var read = AgentWrittenFiles.ReadRegular(file, agentHome, MaxBytes);
            if (read.Content is { } content)
            {
                var kept = KeptPath(workDirectory, conversationId);
                PrivateFile.Write(kept, content);
                return (kept, null);
            }

            refusal = read.Refusal;
        }

        return (null, refusal);
    }

    /// <summary>How long the runner keeps its own copy of a transcript nobody continued: storage keeps every one for good.</summary>
    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(30);

    /// <summary>Removes the runner's copies of transcripts last written before <paramref name="before"/>; how many.</summary>
    public static int ForgetOlderThan(string workDirectory, DateTimeOffset before)
    {
        var folder = Path.Combine(workDirectory, "transcripts");
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        var old = new DirectoryInfo(folder).EnumerateFiles("*.jsonl").Where(file => file.LastWriteTimeUtc < before.UtcDateTime).ToList();
        old.ForEach(file => file.Delete());
        return old.Count;
    }

    /// <summary>Konduktor's conversation ids are UUIDs; anything else (an agent printing a path as its id) is never a file name.</summary>
    public static bool IsConversationId(string? id) => Guid.TryParseExact(id, "D", out _);

    /// <summary>The directory with symbolic links resolved, as the process working in it sees it (macOS: /var is /private/var).</summary>
    private static string Resolved(string directory)
    {
        var path = Path.GetFullPath(directory);
        var info = new DirectoryInfo(path);
        var resolved = info.Exists ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName : null;
        if (resolved is not null)
        {
            return resolved;
        }

        var parent = Path.GetDirectoryName(path);
        return parent is null ? path : Path.Combine(Resolved(parent), Path.GetFileName(path));
    }

    [GeneratedRegex("[^A-Za-z0-9]")]
    private static partial Regex NotAlphanumeric();
}
