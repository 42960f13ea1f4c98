using System.Text.Json.Serialization;
using System.Text.Json;
using Konduktor.Core.Json;
using Konduktor.Core.Storage;

namespace Konduktor.Core.GitHub;

/// <summary>What Konduktor has to do on GitHub, done from a queue rather than where it was noticed (a webhook, a report).</summary>
[JsonConverter(typeof(JsonEnumName<GitHubWorkKind>))]
public enum GitHubWorkKind
{
    /// <summary>A task's session left commits on its branch: make sure it has a pull request.</summary>
    [JsonStringEnumMemberName("open-pull-request")]
    OpenPullRequest,

    /// <summary>CI failed on a task's pull request (<c>Sha</c> the head, <c>Detail</c> what failed).</summary>
    [JsonStringEnumMemberName("ci-failed")]
    CiFailed,

    /// <summary>The default branch moved to <c>Sha</c>: do task pull requests still merge?</summary>
    [JsonStringEnumMemberName("base-moved")]
    BaseMoved,

    /// <summary>A task pull request was updated (<c>Sha</c> its base): does it still merge?</summary>
    [JsonStringEnumMemberName("pull-request-updated")]
    PullRequestUpdated,

    /// <summary>A reviewer requested changes on pull request <c>Number</c> (<c>ReviewId</c>, at head <c>Sha</c>).</summary>
    [JsonStringEnumMemberName("changes-requested")]
    ChangesRequested,

    /// <summary>A session of the task ended while an automatic fix waited for it: the fix's turn now.</summary>
    [JsonStringEnumMemberName("start-waiting-auto-fix")]
    StartWaitingAutoFix,

    /// <summary>Task <c>TaskId</c> reached Done or went away, or its own blockers or auto-run changed: start what nothing blocks any more.</summary>
    [JsonStringEnumMemberName("start-unblocked")]
    StartUnblocked,

    /// <summary>Task <c>TaskId</c>, made from an issue, has pull request <c>Number</c> now: say so on the issue, once.</summary>
    [JsonStringEnumMemberName("announce-pull-request")]
    AnnouncePullRequest,

    /// <summary>Question <c>Detail</c> was asked about task <c>TaskId</c>: ask it on the task's issue too.</summary>
    [JsonStringEnumMemberName("mirror-question")]
    MirrorQuestion,
}

/// <param name="Kind">What to do.</param>
/// <param name="WorkspaceId">Whose repository.</param>
/// <param name="TaskId">Which task, when it is about one.</param>
public sealed record GitHubWorkItem(GitHubWorkKind Kind, Guid WorkspaceId, Guid? TaskId = null, string? Branch = null, string? Sha = null, string? Detail = null, int? Number = null, long? ReviewId = null);

/// <summary>
/// The <c>github-work</c> queue: slow GitHub calls (they wait on GitHub, and retry) run from here, in the
/// <c>GitHubWork</c> queue function (the local host serves it too), never inside a webhook's or a runner's request.
/// A message that keeps failing goes to <c>github-work-poison</c> after five tries, as the Functions host does.
/// </summary>
public sealed class GitHubWork(StorageClients storage) : IDisposable
{
    public const string QueueName = "github-work";
    private readonly SemaphoreSlim _sent = new(0);

    public async Task EnqueueAsync(GitHubWorkItem item, CancellationToken ct)
    {
        var queue = await storage.Queue(QueueName);
        await queue.SendMessageAsync(KonduktorJson.Serialize(item), ct);
        _sent.Release();
    }

    /// <summary>
    /// Waits until this process sends work or the time is up: a host reading the queue in the same process (the local
    /// one) picks its own messages up at once and polls slowly otherwise, as the Functions host backs off when idle.
    /// </summary>
    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (await _sent.WaitAsync(timeout, ct))
        {
            while (_sent.CurrentCount > 0 && _sent.Wait(0, CancellationToken.None))
            {
                // Many sends wake one read, which takes up to 16 messages.
            }
        }
    }

    public void Dispose() => _sent.Dispose();

    /// <summary>A message as the queue function receives it; null when it is not one of Konduktor's.</summary>
    public static GitHubWorkItem? Read(string message)
    {
        try
        {
            return KonduktorJson.Deserialize<GitHubWorkItem>(message);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
