using Azure;
using Azure.Storage.Queues;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>
/// Where the runner reads session jobs: the queue itself with the runner's own SAS URL (refreshed by heartbeats), or the
/// API when Konduktor gives none. Each request to the queue is counted for the heartbeat.
/// </summary>
public sealed class JobSource(RunnerApi api, ILogger<JobSource> logger)
{
    private QueueClient? _queue;

    public StorageOperationCounter StorageOperations { get; } = new();

    public DateTimeOffset ExpiresAt { get; private set; }

    public bool Direct => _queue is not null;

    /// <summary>The runner's own SAS URL for the job queue; null: it reads jobs through the API.</summary>
    public void Use(Uri? url, DateTimeOffset? expiresAt)
    {
        if (url is null || expiresAt is null)
        {
            _queue = null;
            return;
        }

        var queueOptions = new QueueClientOptions();
        queueOptions.AddPolicy(StorageOperations.PolicyFor("queue"), Azure.Core.HttpPipelinePosition.PerRetry);
        _queue = new QueueClient(url, queueOptions);
        ExpiresAt = expiresAt.Value;
    }

    /// <summary>Up to <paramref name="count"/> jobs; none when the queue cannot be read now (said in the log).</summary>
    public async Task<IReadOnlyList<JobMessage>> ReceiveAsync(int count, CancellationToken ct)
    {
        try
        {
            return _queue is { } queue
                ? [.. (await queue.ReceiveMessagesAsync(count, SessionJobs.VisibilityTimeout, ct)).Value.Select(m => new JobMessage(m.MessageId, m.PopReceipt, m.MessageText, m.DequeueCount))]
                : await api.ReceiveJobsAsync(new JobRequest(count), ct);
        }
        catch (Exception e) when (e is RunnerApiException or RequestFailedException || StorageOutage.Is(e))
        {
            logger.LogWarning("Could not read the session queue: {Reason}", e.Message);
            return [];
        }
    }

    public async Task DeleteAsync(JobMessage message, CancellationToken ct)
    {
        try
        {
            if (_queue is { } queue)
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            }
            else
            {
                await api.DeleteJobAsync(message, ct);
            }
        }
        catch (Exception e) when (e is RunnerApiException or RequestFailedException || StorageOutage.Is(e))
        {
            logger.LogWarning("Could not delete message {MessageId}: {Reason} (a second delivery is harmless: its claim fails)", message.MessageId, e.Message);
        }
    }
}
