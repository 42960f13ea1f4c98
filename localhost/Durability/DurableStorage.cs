
namespace Konduktor.LocalHost.Durability;

/// <summary>
/// <c>up</c>'s storage as its clients see it: Azurite behind the <see cref="JournalingProxy"/>, what the journal kept
/// replayed at start, a checkpoint every <see cref="CheckpointEvery"/> while there are writes, and at the end one more
/// before Azurite stops (it saves as it closes).
/// </summary>
public sealed class DurableStorage : IAsyncDisposable
{
    public static readonly TimeSpan CheckpointEvery = TimeSpan.FromSeconds(30);
    private readonly Azurite _azurite;
    private readonly StorageJournal _journal;
    private readonly JournalingProxy _proxy;
    private readonly StorageCheckpoints _checkpoints;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private readonly Action<string> _say;

    private DurableStorage(Azurite azurite, StorageJournal journal, JournalingProxy proxy, StorageCheckpoints checkpoints, Action<string> say)
    {
        (_azurite, _journal, _proxy, _checkpoints, _say) = (azurite, journal, proxy, checkpoints, say);
        _loop = Task.Run(CheckpointLoopAsync);
    }

    /// <summary>The connection string clients use: the proxy's ports, Azurite's account.</summary>
    public string ConnectionString => _azurite.ConnectionStringFor(_proxy.Ports);

    /// <summary>Where clients reach storage (the proxy), as <see cref="Azurite.Endpoints"/> says Azurite's own.</summary>
    public string Endpoints => $"127.0.0.1:{_proxy.Ports[0]}/{_proxy.Ports[1]}/{_proxy.Ports[2]}";

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
    /// Starts Azurite (on ports chosen here) and the proxy in front of it at the same time, then replays what the journal
    /// kept, before any client can reach storage.
    /// </summary>
    public static async Task<DurableStorage> StartAsync(Func<IReadOnlyList<int>, Task<Azurite>> startAzurite, string dataFolder, Action<string> step, CancellationToken ct)
    {
        var folder = JournalFolder(dataFolder);
        var kept = StorageJournal.Segments(folder);
        var journal = StorageJournal.Open(folder);
        var azuritePorts = new[] { Azurite.FreePort(), Azurite.FreePort(), Azurite.FreePort() };
        var starting = startAzurite(azuritePorts);
        JournalingProxy? proxy = null;
        try
        {
            proxy = await JournalingProxy.StartAsync(azuritePorts, [Azurite.FreePort(), Azurite.FreePort(), Azurite.FreePort()], journal, ct);
            var azurite = await starting;
            if (kept.Count > 0)
            {
                var report = await new JournalReplay(azurite.Ports, Azurite.AccountName, azurite.AccountKey).ReplayAsync(kept, refused => step($"warning: {refused}"), ct);
                step($"Replayed {report.Records:N0} write(s) Azurite had not saved when it last stopped{(report.Refused > 0 ? $" ({report.Refused} refused)" : "")}");
            }

            var storage = new DurableStorage(azurite, journal, proxy, new StorageCheckpoints(dataFolder, journal, azurite.AskToSave, step), step);
            if (kept.Count > 0)
            {
                await storage._checkpoints.CheckpointAsync(ct);
            }

            return storage;
        }
        catch
        {
            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }

            await journal.DisposeAsync();
            if (starting.IsCompletedSuccessfully)
            {
                await starting.Result.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Azurite, behind the journal.</summary>
    public Azurite Azurite => _azurite;

    /// <summary>After every client has stopped: nothing more comes through, and a last checkpoint leaves no journal behind.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        await _proxy.DisposeAsync();
        await _checkpoints.CheckpointAsync(CancellationToken.None);

        await _journal.DisposeAsync();
        _stopping.Dispose();
        await _azurite.DisposeAsync();
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
                    await _checkpoints.CheckpointAsync(_stopping.Token);
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
