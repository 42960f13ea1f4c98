using System.Text.Json;
using System.Text.Json.Serialization;
using Konduktor.Core.Json;
using Konduktor.Core.Storage;

namespace Konduktor.Core.GitHub;

/// <summary>What Konduktor has to do on GitHub, done from a queue rather than where it was noticed (a webhook, a report).</summary>
public enum GitHubWorkKind
{
    /// <summary>A task's session left commits on its branch: make sure it has a pull request.</summary>
    [JsonStringEnumMemberName("open-pull-request")]
    OpenPullRequest,
}

/// <param name="Kind">What to do.</param>
/// <param name="WorkspaceId">Whose repository.</param>
/// <param name="TaskId">Which task, when it is about one.</param>
public sealed record GitHubWorkItem(GitHubWorkKind Kind, Guid WorkspaceId, Guid? TaskId = null);

/// <summary>
/// The <c>github-work</c> queue: slow GitHub calls (they wait on GitHub, and retry) run from here, in the
/// <c>GitHubWork</c> queue function (the local host serves it too), never inside a webhook's or a runner's request.
/// A message that keeps failing goes to <c>github-work-poison</c> after five tries, as the Functions host does.
/// </summary>
public sealed class GitHubWork(StorageClients storage)
{
    public const string QueueName = "github-work";

    public async Task EnqueueAsync(GitHubWorkItem item, CancellationToken ct)
    {
        var queue = await storage.Queue(QueueName);
        await queue.SendMessageAsync(JsonSerializer.Serialize(item, KonduktorJson.Options), ct);
    }

    /// <summary>A message as the queue function receives it; null when it is not one of Konduktor's.</summary>
    public static GitHubWorkItem? Read(string message)
    {
        try
        {
            return JsonSerializer.Deserialize<GitHubWorkItem>(message, KonduktorJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
