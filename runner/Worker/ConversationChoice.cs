using Konduktor.Core;
using Konduktor.Core.Sessions;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Worker;

/// <summary>The Claude conversation a session runs: Konduktor's id for a new one, or the one it continues (and its transcript file, as restored).</summary>
public sealed record Conversation(string Id, bool Resumed, string Prompt, string? Transcript = null);

/// <summary>
/// A new conversation gets Konduktor's own id (<c>--session-id</c>), so its transcript is found by that id. A resume
/// continues the conversation when its transcript is kept on this runner or in storage, put into the agent's new home
/// where Claude Code looks for it; when it is kept nowhere, a fresh conversation starts on the branch with what is known
/// of the earlier ones — never a <c>--resume</c> into Claude Code's "No conversation found".
/// </summary>
public sealed class ConversationChoice(SessionJob job, RunnerApi api, string workDirectory, string runnerName, IIdGenerator ids, ILogger logger)
{
    public async Task<Conversation> ChooseAsync(AgentRoom room, LogShipper shipper, CancellationToken ct)
    {
        if (job.ResumeClaudeSessionId is not { } resume)
        {
            return new Conversation(ids.NewId().ToString(), Resumed: false, job.Prompt);
        }

        if (ClaudeTranscripts.IsConversationId(resume))
        {
            // The home is new: nothing the agent wrote is in it yet, so the transcript is written there plainly.
            var file = ClaudeTranscripts.RestorePath(AgentHomes.Projects(room.Home), room.Worktree, resume);
            if (ClaudeTranscripts.KeptPath(workDirectory, resume) is var kept && File.Exists(kept))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.Copy(kept, file);
                return new Conversation(resume, Resumed: true, job.Prompt, file);
            }

            if (await Retry.UntilAcceptedAsync(token => api.LoadTranscriptAsync(job.Session.WorkspaceId, job.Session.Id, file, token), logger, "restore the transcript", ct))
            {
                shipper.Add("konduktor", $"restored the transcript of conversation {resume} from storage");
                return new Conversation(resume, Resumed: true, job.Prompt, file);
            }
        }

        var fresh = job.PromptWithoutConversation
            ?? throw new ProcessFailedException($"conversation {resume} cannot be continued: its transcript is neither on runner {runnerName} nor kept in storage");
        shipper.Add("konduktor", $"warning: the transcript of conversation {resume} is kept nowhere, so it cannot be continued; a new conversation starts on the branch with the task and the last session's summary");
        logger.LogWarning("Session {SessionId}: conversation {Conversation} has no transcript anywhere; starting a new one", job.Session.Id, resume);
        return new Conversation(ids.NewId().ToString(), Resumed: false, fresh);
    }
}
