using Konduktor.Core.Sessions;
using Konduktor.Runner.Sandbox;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Worker;

/// <summary>
/// While the agent works: its conversation's transcript goes to storage whenever it has grown (looked at every
/// <see cref="Interval"/>), so a resume on any runner continues from the last turn that reached Konduktor even when
/// this runner dies or is cut off before the session ends. What fails to reach Konduktor goes with the next look.
/// </summary>
public sealed class TranscriptShipping(SessionJob job, RunnerApi api, string agentHome, string workDirectory, SecretMask mask, LogShipper shipper, ILogger logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>The log's line when the transcript first reached Konduktor.</summary>
    public const string FirstKept = "the conversation's transcript reaches Konduktor as it grows";

    /// <param name="conversation">The conversation's id once Claude Code said it, and its report to Konduktor (a transcript waits for it).</param>
    public async Task RunAsync(Func<(string? Id, Task Reported)> conversation, CancellationToken ct)
    {
        (long Length, DateTime Written)? shipped = null;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var (id, reported) = conversation();
                if (!ClaudeTranscripts.IsConversationId(id) || Stamp(id!) is not { } stamp || stamp == shipped)
                {
                    continue;
                }

                await reported.WaitAsync(ct);
                if (ClaudeTranscripts.Take(agentHome, workDirectory, id!).Kept is not { } kept)
                {
                    continue;
                }

                try
                {
                    await api.SaveTranscriptAsync(job.Session.WorkspaceId, job.Session.Id, kept, mask, ct);
                    if (shipped is null)
                    {
                        shipper.Add("konduktor", $"{FirstKept}: a resume on any runner continues it");
                    }

                    shipped = stamp;
                }
                catch (Exception e) when (e is RunnerApiException or HttpRequestException or IOException || (e is TaskCanceledException && !ct.IsCancellationRequested))
                {
                    logger.LogDebug("Session {SessionId}: the transcript did not reach Konduktor this time: {Why}", job.Session.Id, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>The transcript file's size and time of writing, as the link or file it is (never followed); null while there is none.</summary>
    private (long, DateTime)? Stamp(string id) =>
        ClaudeTranscripts.Candidates(AgentHomes.Projects(agentHome), id).Select(file => new FileInfo(file)).Select(file => ((long, DateTime)?)(file.Length, file.LastWriteTimeUtc)).FirstOrDefault();
}
