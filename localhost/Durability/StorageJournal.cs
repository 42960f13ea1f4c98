using System.Globalization;
using System.Threading.Channels;

namespace Konduktor.LocalHost.Durability;

/// <summary>
/// The writes Azurite acknowledged and may not have saved yet, appended in segments and synced to disk before anyone is
/// told a write is done. Writers that arrive together share one sync (a group commit). A checkpoint rolls to a new
/// segment, and once Azurite's files hold everything of the sealed ones, deletes them.
/// </summary>
public sealed class StorageJournal : IAsyncDisposable
{
    private const string Extension = ".journal";
    private readonly string _folder;
    private readonly Channel<(byte[] Frame, TaskCompletionSource Kept)> _pending = Channel.CreateUnbounded<(byte[], TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _segmentGate = new(1, 1);
    private readonly Task _writer;
    private FileStream _segment;
    private long _number;
    private long _unsealed;

    private StorageJournal(string folder, long number)
    {
        _folder = folder;
        _number = number;
        _segment = OpenSegment(folder, number);
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>The segments there are that hold anything, oldest first.</summary>
    public static IReadOnlyList<string> Segments(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder, "*" + Extension).Where(s => new FileInfo(s).Length > 0).Order(StringComparer.Ordinal).ToList() : [];

    /// <summary>Opens a new segment after any already there (they stay until a checkpoint holds them).</summary>
    public static StorageJournal Open(string folder)
    {
        Directory.CreateDirectory(folder);
        var last = Directory.GetFiles(folder, "*" + Extension).Select(NumberOf).DefaultIfEmpty(0).Max();
        return new StorageJournal(folder, last + 1);
    }

    /// <summary>Records kept in the open segment since it was opened.</summary>
    public long Unsealed => Interlocked.Read(ref _unsealed);

    /// <summary>Completes once the record is on disk.</summary>
    public Task AppendAsync(JournalRecord record)
    {
        var kept = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.Writer.TryWrite((record.Frame(), kept)))
        {
            kept.SetException(new ObjectDisposedException(nameof(StorageJournal), "the storage journal is closed"));
        }

        return kept.Task;
    }

    /// <summary>Seals the open segment (every record in it on disk) and opens the next; returns the sealed one's number.</summary>
    public async Task<long> RollAsync()
    {
        await _segmentGate.WaitAsync();
        try
        {
            var sealedNumber = _number;
            await _segment.DisposeAsync();
            _segment = OpenSegment(_folder, ++_number);
            Interlocked.Exchange(ref _unsealed, 0);
            return sealedNumber;
        }
        finally
        {
            _segmentGate.Release();
        }
    }

    /// <summary>Deletes the segments up to and including <paramref name="number"/>: Azurite's synced files hold them.</summary>
    public void DeleteThrough(long number)
    {
        foreach (var segment in Segments(_folder).Where(s => NumberOf(s) <= number))
        {
            File.Delete(segment);
        }

        DiskSync.Directory(_folder);
    }

    /// <summary>Closes the journal; an open segment nothing was written to goes.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
        var empty = _segment.Length == 0;
        await _segment.DisposeAsync();
        if (empty)
        {
            File.Delete(_segment.Name);
        }

        _segmentGate.Dispose();
    }

    private async Task WriteAsync()
    {
        var batch = new List<(byte[] Frame, TaskCompletionSource Kept)>();
        while (await _pending.Reader.WaitToReadAsync())
        {
            while (_pending.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            await _segmentGate.WaitAsync();
            try
            {
                foreach (var (frame, _) in batch)
                {
                    await _segment.WriteAsync(frame);
                }

                _segment.Flush(flushToDisk: true);
                Interlocked.Add(ref _unsealed, batch.Count);
                batch.ForEach(item => item.Kept.SetResult());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Nobody was told these were kept. What follows goes to a fresh segment: a reader stops at this one's tear.
                batch.ForEach(item => item.Kept.SetException(e));
                await StartOverAsync();
            }
            finally
            {
                _segmentGate.Release();
                batch.Clear();
            }
        }
    }

    private async Task StartOverAsync()
    {
        try
        {
            await _segment.DisposeAsync();
            _segment = OpenSegment(_folder, ++_number);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The disk refuses: the next write fails too, and says so to its caller.
        }
    }

    private static FileStream OpenSegment(string folder, long number)
    {
        var segment = new FileStream(Path.Combine(folder, number.ToString("D8", CultureInfo.InvariantCulture) + Extension), FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        DiskSync.Directory(folder);
        return segment;
    }

    private static long NumberOf(string segment) => long.Parse(Path.GetFileNameWithoutExtension(segment), CultureInfo.InvariantCulture);
}
