using Azure;
using Konduktor.Core.Auth;
using Konduktor.Core.Json;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;

namespace Konduktor.Core.Changes;

/// <summary>
/// Each task's latest change set, as its runner sends it after every session (one blob per task, the latest wins): what
/// the board's Changes tab and <c>konduktor tasks diff</c> show, with or without GitHub.
/// </summary>
public sealed class ChangeSets(SessionStore sessions, TaskService tasks, StorageClients storage, TimeProvider clock)
{
    private const string ContainerName = "changes";

    /// <summary>The runner that ran a task's session keeps what the branch changes now.</summary>
    public async Task<Result<Done>> SaveAsync(Principal caller, Guid workspaceId, Guid sessionId, ChangeSet changes, CancellationToken ct)
    {
        if (!(await sessions.FindOwnedUnendedAsync(caller, workspaceId, sessionId, "a later session keeps the task's changes", ct)).TryGet(out var session, out var failure))
        {
            return failure;
        }

        if (session.TaskId is not { } taskId)
        {
            return new Conflict($"session {ShortId.Of(sessionId)} has no task; only a task's branch has changes to keep");
        }

        if (Check(changes) is { } invalid)
        {
            return invalid;
        }

        var container = await storage.Container(ContainerName);
        var kept = changes with { SessionId = sessionId, At = clock.GetUtcNow() };
        await container.GetBlobClient(BlobName(workspaceId, Guid.Parse(taskId))).UploadAsync(BinaryData.FromString(KonduktorJson.Serialize(kept)), overwrite: true, ct);
        return Done.Value;
    }

    /// <summary>What the task's branch changes, as of its latest session.</summary>
    public async Task<Result<ChangeSet>> GetAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct)
    {
        if (!(await tasks.FindAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var taskId = Guid.Parse(found.Entity.RowKey);
        var container = await storage.Container(ContainerName);
        try
        {
            var content = await container.GetBlobClient(BlobName(found.Workspace.Id, taskId)).DownloadContentAsync(ct);
            return KonduktorJson.Deserialize<ChangeSet>(content.Value.Content.ToString())!;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return new NotFound($"task {ShortId.Of(taskId)} has no changes yet: they are kept after each of its sessions (`konduktor tasks run {ShortId.Of(taskId)}`)");
        }
    }

    private static Invalid? Check(ChangeSet changes)
    {
        var texts = new[] { changes.Branch, changes.Base, changes.BaseCommit, changes.HeadCommit }
            .Concat(changes.Files.SelectMany(f => new[] { f.Path, f.OldPath ?? "" }))
            .Concat(changes.Commits.SelectMany(c => c.Trailers.Append(c.Subject).Append(c.Author).Append(c.Sha)));
        return changes.Diff.Length > ChangeSetRules.MaxDiffChars + 1_000 ? new Invalid($"the diff is cut at {ChangeSetRules.MaxDiffChars:N0} characters; this one is {changes.Diff.Length:N0}", "diff")
            : changes.Files.Count > ChangeSetRules.MaxFiles ? new Invalid($"at most {ChangeSetRules.MaxFiles:N0} files are listed (the rest counted in moreFiles)", "files")
            : changes.Commits.Count > ChangeSetRules.MaxCommits || changes.Commits.Any(c => c.Trailers.Count > 50) ? new Invalid($"at most {ChangeSetRules.MaxCommits} commits of at most 50 trailers each", "commits")
            : texts.Any(t => t.Length > ChangeSetRules.MaxTextChars) ? new Invalid($"a path, name or subject is at most {ChangeSetRules.MaxTextChars:N0} characters", "files")
            : null;
    }

    private static string BlobName(Guid workspaceId, Guid taskId) => $"{ShortId.Format(workspaceId)}/{ShortId.Format(taskId)}.json";
}
