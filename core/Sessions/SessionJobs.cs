using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Sas;
using Konduktor.Core.Json;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Sessions;

/// <summary>The small job message a runner takes from the session queue: which session to claim.</summary>
public sealed record SessionJobMessage(Guid WorkspaceId, Guid SessionId)
{
    public string ToJson() => KonduktorJson.Serialize(this);

    public static SessionJobMessage? TryParse(string text)
    {
        try
        {
            return KonduktorJson.Deserialize<SessionJobMessage>(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A job message as a runner handles it, whichever way it read it (its SAS URL, or through the API).</summary>
public sealed record JobMessage(string MessageId, string PopReceipt, string MessageText, long DequeueCount);

/// <summary>A runner's request for job messages through the API.</summary>
public sealed record JobRequest(int Max = 1);

/// <summary>
/// The Storage queue of session jobs. Runners read it directly with a SAS limited to reading and deleting when the
/// account can sign one (a key: Azurite under <c>up</c>); on an account with no shared key (Azure, where queues have
/// no user-delegation SAS) they read it through the API, which uses its own identity.
/// </summary>
public sealed class SessionJobs(StorageClients storage, StorageOptions options, TimeProvider clock)
{
    public const string Name = "session-jobs";
    public const string PoisonName = "session-jobs-poison";

    /// <summary>How long a received job message stays hidden from other runners while one claims it.</summary>
    public static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A runner gives a message up after this many deliveries without a claim.</summary>
    public const int MaxDeliveries = 5;

    /// <summary>Konduktor's job messages are a few ids; anything longer was never one of them (a queue message holds 64 KiB).</summary>
    public const int MaxMessageChars = 8_000;

    public async Task EnqueueAsync(Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        var queue = await storage.Queue(Name);
        await queue.SendMessageAsync(new SessionJobMessage(workspaceId, sessionId).ToJson(), ct);
    }

    public async Task PoisonAsync(string messageText, CancellationToken ct)
    {
        var poison = await storage.Queue(PoisonName);
        await poison.SendMessageAsync(messageText, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: ct);
    }

    /// <summary>A URL a runner can receive and delete messages with, and nothing else, until it expires; null when runners go through the API.</summary>
    public async Task<(Uri? Url, DateTimeOffset? ExpiresAt)> RunnerAccessAsync(TimeSpan lifetime)
    {
        QueueClient queue = await storage.Queue(Name);
        if (!queue.CanGenerateSasUri || options.RunnersThroughApi)
        {
            return (null, null);
        }

        var expiresAt = clock.GetUtcNow() + lifetime;
        return (queue.GenerateSasUri(QueueSasPermissions.Read | QueueSasPermissions.Process, expiresAt), expiresAt);
    }

    /// <summary>Job messages received for a runner that reads the queue through the API (same visibility timeout as its own reads).</summary>
    public async Task<IReadOnlyList<JobMessage>> ReceiveAsync(int max, TimeSpan visibility, CancellationToken ct)
    {
        var queue = await storage.Queue(Name);
        var messages = (await queue.ReceiveMessagesAsync(Math.Clamp(max, 1, 32), visibility, ct)).Value;
        return messages.Select(m => new JobMessage(m.MessageId, m.PopReceipt, m.MessageText, m.DequeueCount)).ToList();
    }

    public async Task DeleteAsync(string messageId, string popReceipt, CancellationToken ct)
    {
        var queue = await storage.Queue(Name);
        await queue.DeleteMessageAsync(messageId, popReceipt, ct);
    }
}
