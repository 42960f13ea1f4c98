using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Sas;
using Konduktor.Core.Json;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Sessions;

/// <summary>The small job message a runner takes from the session queue: which session to claim.</summary>
public sealed record SessionJobMessage(Guid WorkspaceId, Guid SessionId)
{
    public string ToJson() => JsonSerializer.Serialize(this, KonduktorJson.Options);

    public static SessionJobMessage? TryParse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<SessionJobMessage>(text, KonduktorJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The Storage queue of session jobs. Runners read it directly with a SAS limited to reading and deleting.</summary>
public sealed class SessionJobs(StorageClients storage, TimeProvider clock)
{
    public const string Name = "session-jobs";
    public const string PoisonName = "session-jobs-poison";

    /// <summary>A runner gives a message up after this many deliveries without a claim.</summary>
    public const int MaxDeliveries = 5;

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

    /// <summary>A URL a runner can receive and delete messages with, and nothing else, until it expires.</summary>
    public async Task<(Uri Url, DateTimeOffset ExpiresAt)> RunnerAccessAsync(TimeSpan lifetime)
    {
        QueueClient queue = await storage.Queue(Name);
        if (!queue.CanGenerateSasUri)
        {
            throw new InvalidOperationException("the storage connection cannot sign queue URLs for runners (queues have no user-delegation SAS): configure a connection string with an account key");
        }

        var expiresAt = clock.GetUtcNow() + lifetime;
        return (queue.GenerateSasUri(QueueSasPermissions.Read | QueueSasPermissions.Process, expiresAt), expiresAt);
    }
}
