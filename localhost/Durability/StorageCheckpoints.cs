namespace Konduktor.LocalHost.Durability;

/// <summary>
/// A checkpoint makes Azurite's files hold what the journal's sealed segments hold, and then drops those segments:
/// the open segment is sealed, Azurite is asked to save every database now (the preload answers SIGUSR2 with the token
/// of the request it saved for), the saved files and the blob and queue contents are synced to disk, hard links in
/// <c>checkpoint/</c> keep those exact files (a later save renames a new file over the name, unsynced; after a power
/// cut that one may be empty, and the kept one is put back), and the sealed segments are deleted.
/// </summary>
public sealed class StorageCheckpoints(string dataFolder, StorageJournal journal, Func<bool> askAzuriteToSave, Action<string> say)
{
    public const string SnapshotFolder = "checkpoint";
    private static readonly string[] ContentFolders = ["__blobstorage__", "__queuestorage__"];
    private static readonly TimeSpan SaveTimeout = TimeSpan.FromSeconds(60);

    /// <summary>True when the sealed segments were dropped; false (logged) leaves them for the next checkpoint.</summary>
    public async Task<bool> CheckpointAsync(CancellationToken ct)
    {
        var sealedSegment = await journal.RollAsync();
        if (await SaveAsync(ct) is not { } files)
        {
            return false;
        }

        var snapshots = Path.Combine(dataFolder, SnapshotFolder);
        Directory.CreateDirectory(snapshots);
        foreach (var file in files.Where(File.Exists))
        {
            var kept = Path.Combine(snapshots, Path.GetFileName(file));
            DiskSync.HardLink(file, kept);
            DiskSync.File(kept);
        }

        foreach (var content in ContentFolders.Select(f => Path.Combine(dataFolder, f)).Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(content, "*", SearchOption.AllDirectories))
            {
                DiskSync.File(file);
            }

            DiskSync.Directory(content);
        }

        DiskSync.Directory(snapshots);
        DiskSync.Directory(dataFolder);
        journal.DeleteThrough(sealedSegment);
        return true;
    }

    /// <summary>
    /// Before Azurite starts: a database file a power cut left empty or cut short is replaced by the one the last
    /// checkpoint kept (the journal holds everything since). Returns the files put back.
    /// </summary>
    public static IReadOnlyList<string> RestoreDamaged(string dataFolder)
    {
        var snapshots = Path.Combine(dataFolder, SnapshotFolder);
        var restored = new List<string>();
        foreach (var kept in Directory.Exists(snapshots) ? Directory.GetFiles(snapshots, "*.json") : [])
        {
            var live = Path.Combine(dataFolder, Path.GetFileName(kept));
            if (!File.Exists(live) || Damaged(live))
            {
                File.Copy(kept, live, overwrite: true);
                DiskSync.File(live);
                restored.Add(live);
            }
        }

        return restored;
    }

    /// <summary>A LokiJS database is one JSON object: a file that does not end with its closing brace was not written whole.</summary>
    private static bool Damaged(string file)
    {
        using var stream = File.OpenRead(file);
        if (stream.Length == 0)
        {
            return true;
        }

        stream.Seek(-Math.Min(16, stream.Length), SeekOrigin.End);
        var tail = new byte[Math.Min(16, stream.Length)];
        stream.ReadExactly(tail);
        return Array.FindLastIndex(tail, b => !char.IsWhiteSpace((char)b)) is var last && (last < 0 || tail[last] != (byte)'}');
    }

    /// <summary>Asks Azurite to save now; the files it saved, or null when it could not (logged).</summary>
    private async Task<IReadOnlyList<string>?> SaveAsync(CancellationToken ct)
    {
        var token = Guid.NewGuid().ToString("N");
        var request = Path.Combine(dataFolder, "checkpoint.request");
        var done = Path.Combine(dataFolder, "checkpoint.done");
        await File.WriteAllTextAsync(request, token, ct);
        if (!askAzuriteToSave())
        {
            say("warning: Azurite could not be asked to save for a checkpoint: it is not running");
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(SaveTimeout);
        try
        {
            while (true)
            {
                if (File.Exists(done) && (await File.ReadAllLinesAsync(done, timeout.Token)) is [var answered, .. var files] && answered == token)
                {
                    if (files is [var only] && only.StartsWith("failed", StringComparison.Ordinal))
                    {
                        say($"warning: Azurite could not save for a checkpoint: {only}");
                        return null;
                    }

                    return files;
                }

                await Task.Delay(20, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            say($"warning: Azurite did not save within {SaveTimeout.TotalSeconds} s; the journal keeps everything until the next checkpoint");
            return null;
        }
    }
}
