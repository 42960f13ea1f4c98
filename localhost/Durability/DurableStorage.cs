
namespace Konduktor.LocalHost.Durability;

/// <summary>
/// <c>up</c>'s storage as its clients see it: Azurite behind the <see cref="JournalingProxy"/>, what the journal kept
/// replayed at start, a checkpoint every <see cref="CheckpointEvery"/> while there are writes, and at the end one more
/// before Azurite stops (it saves as it closes). Clients get its address at once and may start while Azurite loads
/// its data: the proxy holds their requests until <see cref="Ready"/>.
/// </summary>
public sealed class DurableStorage : IAsyncDisposable
{
    public static readonly TimeSpan CheckpointEvery = TimeSpan.FromSeconds(30);
    private readonly StorageJournal _journal;
    private readonly JournalingProxy _proxy;
    private readonly string _accountKey;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Action<string> _say;
    private Azurite? _azurite;
    private StorageCheckpoints? _checkpoints;
    private Task _loop = Task.CompletedTask;

    private DurableStorage(StorageJournal journal, JournalingProxy proxy, string accountKey, Action<string> say) =>
        (_journal, _proxy, _accountKey, _say) = (journal, proxy, accountKey, say);

    /// <summary>The connection string clients use: the proxy's ports, Azurite's account.</summary>
    public string ConnectionString => Azurite.ConnectionStringFor(_accountKey, _proxy.Ports);

    /// <summary>Where clients reach storage (the proxy), as <see cref="Azurite.Endpoints"/> says Azurite's own.</summary>
    public string Endpoints => $"127.0.0.1:{_proxy.Ports[0]}/{_proxy.Ports[1]}/{_proxy.Ports[2]}";

    /// <summary>Done when Azurite runs and holds everything the journal kept; the proxy passes requests on from then.</summary>
    public Task Ready { get; private set; } = Task.CompletedTask;

    /// <summary>Azurite, behind the journal (once <see cref="Ready"/>).</summary>
    public Azurite Azurite => _azurite ?? throw new InvalidOperationException("Azurite is not running yet");

    /// <summary>The journal's folder beside Azurite's data.</summary>
    public static string JournalFolder(string dataFolder) => Path.Combine(dataFolder, "journal");

    /// <summary>Before Azurite starts: database files a power cut damaged come back from the last checkpoint.</summary>
    public static void PrepareDataFolder(string dataFolder, Action<string> step)
    {
        foreach (var restored in StorageCheckpoints.RestoreDamaged(dataFolder))
        {
            step($"{Path.GetFileName(restored)} was not whole (a power cut?): restored from the last checkpoint; the journal has what came after");
        }
    }

    /// <summary>
    /// Starts the proxy, and Azurite (on ports it binds, with <paramref name="accountKey"/>) behind it; what the
    /// journal kept is replayed into Azurite before the proxy lets any client's request through (<see cref="Ready"/>).
    /// </summary>
    public static async Task<DurableStorage> StartAsync(Func<Task<Azurite>> startAzurite, string accountKey, string dataFolder, Action<string> step, CancellationToken ct)
    {
        var folder = JournalFolder(dataFolder);
        var kept = StorageJournal.Segments(folder);
        var journal = StorageJournal.Open(folder);
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var azurite = new TaskCompletionSource<IReadOnlyList<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        JournalingProxy proxy;
        try
        {
            proxy = await JournalingProxy.StartAsync(azurite.Task, journal, open.Task, ct);
        }
        catch
        {
            await journal.DisposeAsync();
            throw;
        }

        var storage = new DurableStorage(journal, proxy, accountKey, step);
        var starting = startAzurite();
        _ = starting.ContinueWith(started => azurite.TrySetResult(started.Result.Ports), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        storage.Ready = storage.OpenAsync(starting, kept, dataFolder, open, ct);
        return storage;
    }

    private async Task OpenAsync(Task<Azurite> starting, IReadOnlyList<string> kept, string dataFolder, TaskCompletionSource open, CancellationToken ct)
    {
        try
        {
            _azurite = await starting;
            if (kept.Count > 0)
            {
                var report = await new JournalReplay(_azurite.Ports, Azurite.AccountName, _azurite.AccountKey).ReplayAsync(kept, refused => _say($"warning: {refused}"), ct);
                _say($"Replayed {report.Records:N0} write(s) Azurite had not saved when it last stopped{(report.Refused > 0 ? $" ({report.Refused} refused)" : "")}");
            }

            _checkpoints = new StorageCheckpoints(dataFolder, _journal, _azurite.AskToSave, _say);
            if (kept.Count > 0)
            {
                await _checkpoints.CheckpointAsync(ct);
            }

            _loop = Task.Run(CheckpointLoopAsync, CancellationToken.None);
            open.SetResult();
        }
        catch (Exception e)
        {
            open.SetException(e);
            throw;
        }
    }

    /// <summary>After every client has stopped: nothing more comes through, and a last checkpoint leaves no journal behind.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Ready.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _loop;
        await _proxy.DisposeAsync();
        if (_checkpoints is not null)
        {
            await _checkpoints.CheckpointAsync(CancellationToken.None);
        }

        await _journal.DisposeAsync();
        _stopping.Dispose();
        if (_azurite is not null && !await _azurite.StopAsync())
        {
            _say("warning: Azurite had not stopped 10 s after it was asked to and was killed (what it had not saved is replayed at the next start)");
        }
    }

    private async Task CheckpointLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(CheckpointEvery, _stopping.Token);
                if (_journal.Unsealed > 0)
                {
                    await _checkpoints!.CheckpointAsync(_stopping.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _say($"warning: a checkpoint of the storage journal failed ({e.Message}); the journal keeps everything until the next one");
            }
        }
    }
}
