using Azure.Storage.Blobs;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Sessions;

/// <summary>
/// Claude Code's own transcript of each conversation (its <c>~/.claude/projects/…/&lt;id&gt;.jsonl</c>), kept in blob storage
/// after every session so that any runner can resume the conversation, not only the one that has the file.
/// </summary>
public sealed class Transcripts(SessionStore sessions, StorageClients storage)
{
    private const string ContainerName = "transcripts";

    /// <summary>Stores the transcript of the conversation a session ran (the latest copy wins).</summary>
    public async Task<Result<Done>> SaveAsync(Principal caller, Guid workspaceId, Guid sessionId, Stream content, CancellationToken ct)
    {
        if (!(await sessions.FindOwnedUnendedAsync(caller, workspaceId, sessionId, "its transcript is no longer kept from this runner", ct)).TryGet(out var session, out var failure))
        {
            return failure;
        }

        if (session.ClaudeSessionId is not { } conversation)
        {
            return new Conflict($"session {ShortId.Of(sessionId)} has no Claude conversation yet");
        }

        var container = await storage.Container(ContainerName);
        await container.GetBlobClient(BlobName(workspaceId, conversation)).UploadAsync(content, overwrite: true, ct);
        return Done.Value;
    }

    /// <summary>The transcript a resume session continues, for a runner that does not have it on disk.</summary>
    public async Task<Result<Stream>> OpenAsync(Principal caller, Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        if (!(await sessions.FindOwnedAsync(caller, workspaceId, sessionId, ct)).TryGet(out var session, out var failure))
        {
            return failure;
        }

        var container = await storage.Container(ContainerName);
        var blob = container.GetBlobClient(BlobName(workspaceId, session.ClaudeSessionId ?? ""));
        if (session.ClaudeSessionId is null || !(await blob.ExistsAsync(ct)).Value)
        {
            return new NotFound($"no transcript is kept for the conversation of session {ShortId.Of(sessionId)}");
        }

        return await blob.OpenReadAsync(cancellationToken: ct);
    }

    private static string BlobName(Guid workspaceId, string conversation) =>
        $"{ShortId.Format(workspaceId)}/{string.Concat(conversation.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-'))}.jsonl";
}
