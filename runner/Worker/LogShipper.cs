using System.Text.Json;
using Konduktor.Core.Json;
using Konduktor.Core.Sessions;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Konduktor.Runner.Worker;

/// <summary>
/// Ships a session's log events to the API in batches (at most ~100 ms apart). Every event is first appended to a
/// spool file on local disk; a batch the API did not acknowledge is sent again (the same sequence numbers, so
/// never twice) until it is, however long the API or its storage is away. A runner restarted with a spool left
/// behind ships what was not acknowledged.
/// </summary>
public sealed class LogShipper : IAsyncDisposable
{
    private const int MaxBatchEvents = 2000;
    private const int MaxBatchChars = 2 * 1024 * 1024;
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly RunnerApi _api;
    private readonly Guid _workspaceId;
    private readonly Guid _sessionId;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _untilShipped;
    private readonly TimeProvider _clock;
    private readonly string _spoolFile;
    private readonly string _ackFile;
    private readonly StreamWriter _spool;
    private readonly Lock _gate = new();
    private readonly List<LogEvent> _pending = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _loop;
    private readonly SecretMask _mask;
    private long _sequence;
    private bool _completing;

    /// <param name="mask">The session's secrets, masked in every event before it is spooled or shipped.</param>
    /// <param name="after">The session's last event so far: a session that waited for quota goes on from there.</param>
    public LogShipper(RunnerApi api, string spoolDirectory, Guid workspaceId, Guid sessionId, ILogger logger, IReadOnlyList<LogEvent>? unacknowledged = null, SecretMask? mask = null, long after = 0, TimeProvider? clock = null)
    {
        _mask = mask ?? SecretMask.None;
        _sequence = after;
        _api = api;
        _workspaceId = workspaceId;
        _sessionId = sessionId;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        _untilShipped = new ResiliencePipelineBuilder { TimeProvider = _clock }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RunnerApiException>(e => e.IsTransient),
                MaxRetryAttempts = int.MaxValue,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = MaxBackoff,
                BackoffType = DelayBackoffType.Exponential,
                OnRetry = args =>
                {
                    _logger.LogWarning("Logs of session {SessionId} not shipped yet ({Reason}); kept in the spool, retrying in {Delay} ms",
                        _sessionId, args.Outcome.Exception?.Message, (int)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .Build();
        Directory.CreateDirectory(spoolDirectory);
        _spoolFile = Path.Combine(spoolDirectory, $"{workspaceId:N}_{sessionId:N}.jsonl");
        _ackFile = Path.ChangeExtension(_spoolFile, ".acked");
        _spool = new StreamWriter(new FileStream(_spoolFile, FileMode.Append, FileAccess.Write, FileShare.Read));
        if (unacknowledged is { Count: > 0 })
        {
            foreach (var logEvent in unacknowledged)
            {
                _spool.WriteLine(KonduktorJson.Serialize(logEvent));
            }

            _spool.Flush();
            _pending.AddRange(unacknowledged);
            _sequence = unacknowledged[^1].Seq;
        }

        _loop = Task.Run(ShipLoopAsync);
    }

    /// <summary>The sequence number of the last event added.</summary>
    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _sequence;
            }
        }
    }

    public long Acknowledged { get; private set; }

    /// <summary>The API refused a batch for good (not a passing outage): the spool is kept for a later runner start.</summary>
    public bool Refused { get; private set; }

    public void Add(string stream, string text)
    {
        lock (_gate)
        {
            var logEvent = new LogEvent(++_sequence, _clock.GetUtcNow(), stream, _mask.Apply(text));
            _spool.WriteLine(KonduktorJson.Serialize(logEvent));
            _pending.Add(logEvent);
        }

        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Waits until every event added so far is acknowledged, then removes the spool.</summary>
    public async Task CompleteAsync()
    {
        _completing = true;
        _wake.Release();
        await _loop;
        await _spool.DisposeAsync();
        if (!Refused)
        {
            File.Delete(_spoolFile);
            File.Delete(_ackFile);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_loop.IsCompleted)
        {
            await _abandon.CancelAsync();
            await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await _spool.DisposeAsync();
        _abandon.Dispose();
        _wake.Dispose();
    }

    /// <summary>Events in a spool left by an earlier runner process that the API never acknowledged.</summary>
    public static IEnumerable<(Guid WorkspaceId, Guid SessionId, List<LogEvent> Events)> Leftovers(string spoolDirectory)
    {
        if (!Directory.Exists(spoolDirectory))
        {
            yield break;
        }

        foreach (var file in Directory.GetFiles(spoolDirectory, "*.jsonl"))
        {
            var ids = Path.GetFileNameWithoutExtension(file).Split('_');
            if (ids.Length != 2 || !Guid.TryParseExact(ids[0], "N", out var workspaceId) || !Guid.TryParseExact(ids[1], "N", out var sessionId))
            {
                continue;
            }

            var acked = File.Exists(Path.ChangeExtension(file, ".acked")) && long.TryParse(File.ReadAllText(Path.ChangeExtension(file, ".acked")), out var a) ? a : 0;
            var events = new List<LogEvent>();
            foreach (var line in File.ReadLines(file))
            {
                try
                {
                    if (KonduktorJson.Deserialize<LogEvent>(line) is { } logEvent && logEvent.Seq > acked)
                    {
                        events.Add(logEvent);
                    }
                }
                catch (JsonException)
                {
                    // A line cut off when the process died: its event was never acknowledged nor complete.
                }
            }

            File.Delete(file);
            yield return (workspaceId, sessionId, events);
        }
    }

    private async Task ShipLoopAsync()
    {
        var ct = _abandon.Token;
        while (!ct.IsCancellationRequested)
        {
            List<LogEvent> batch;
            lock (_gate)
            {
                batch = TakeBatch();
                if (batch.Count > 0)
                {
                    _spool.Flush();
                }
            }

            if (batch.Count == 0)
            {
                if (_completing)
                {
                    return;
                }

                await _wake.WaitAsync(ct);
                await Task.Delay(BatchWindow, ct);
                continue;
            }

            try
            {
                await _untilShipped.ExecuteAsync(async token => await _api.AppendLogsAsync(_workspaceId, _sessionId, batch, token), ct);
                lock (_gate)
                {
                    _pending.RemoveRange(0, batch.Count);
                }

                Acknowledged = batch[^1].Seq;
                await File.WriteAllTextAsync(_ackFile, Acknowledged.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
            }
            catch (RunnerApiException e)
            {
                _logger.LogError("Logs of session {SessionId} refused by the API: {Reason}; {Count} events stay in the spool {Spool}", _sessionId, e.Message, batch.Count, _spoolFile);
                Refused = true;
                return;
            }
        }
    }

    private List<LogEvent> TakeBatch()
    {
        var batch = new List<LogEvent>();
        var chars = 0;
        foreach (var logEvent in _pending)
        {
            if (batch.Count == MaxBatchEvents || (batch.Count > 0 && chars + logEvent.Text.Length > MaxBatchChars))
            {
                break;
            }

            batch.Add(logEvent);
            chars += logEvent.Text.Length;
        }

        return batch;
    }
}
