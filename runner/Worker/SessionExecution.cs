using System.Diagnostics;
using Konduktor.Core;
using Konduktor.Core.Quota;
using Konduktor.Core.Sessions;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Worker;

/// <summary>
/// One claimed session on this runner: worktree, the conversation to start or continue, the agent process with the
/// session's environment, every line it writes shipped as a log event, stream-json understood (Claude session id,
/// outcome), the result reported with why it failed when it did.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "_halt has no timer and nothing unmanaged; a stop may arrive after the session ended, when a disposed one would throw")]
/// <param name="usageLimitMet">Told when an agent meets its account's usage limit (rejected): the runner starts nothing more until the reset.</param>
public sealed class SessionExecution(RunnerOptions options, RunnerApi api, GitWorkspaces git, SessionJob job, AgentReadiness agent, AgentSandbox sandbox, RunnerLease lease, TimeProvider clock, IIdGenerator ids, ILogger logger, Action<UsageLimit> usageLimitMet)
{
    private const int MaxErrorLength = 4000;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);
    private readonly TaskCompletionSource<Process> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _halt = new();
    private readonly SecretMask _mask = new(job.Secrets.Values);
    private volatile bool _stopRequested;
    private string? _abandoned;
    private string? _leaseFile;
    private volatile bool _reporting;
    private string? _worktree;
    private Task _claudeSessionReported = Task.CompletedTask;
    private Task _usageLimitReported = Task.CompletedTask;

    public Guid SessionId => job.Session.Id;

    public Guid? TaskId => job.Session.TaskId;

    /// <summary>Stops the agent's process group: SIGTERM, then SIGKILL after a grace period. The worktree stays.</summary>
    public void RequestStop()
    {
        if (_stopRequested)
        {
            return;
        }

        _stopRequested = true;
        logger.LogInformation("Stopping session {SessionId} as asked", SessionId);
        _halt.Cancel();
        StopAgentOnceStarted();
    }

    /// <summary>
    /// The session is no longer this runner's to run (its lease lapsed, or Konduktor orphaned it): the agent's group
    /// is stopped like a stop, the worktree stays and its commits are pushed, and the report says why.
    /// </summary>
    public void Abandon(string reason)
    {
        if (Interlocked.CompareExchange(ref _abandoned, reason, null) is not null || _reporting)
        {
            return;
        }

        logger.LogWarning("Session {SessionId}: {Reason}", SessionId, reason);
        _halt.Cancel();
        StopAgentOnceStarted();
    }

    /// <summary>Stops the agent's group now, or as soon as it has started.</summary>
    private void StopAgentOnceStarted() =>
        _ = _started.Task.ContinueWith(started => ProcessSignals.StopGroupAsync(started.Result.Id, StopGrace), TaskScheduler.Default).Unwrap();

    /// <summary>The runner renewed its lease: the agent's supervisor may let it run until the new deadline.</summary>
    public void RenewLease(DateTimeOffset deadline)
    {
        if (_leaseFile is { } file && File.Exists(file))
        {
            try
            {
                AgentLauncher.WriteLease(file, deadline);
            }
            catch (IOException e)
            {
                logger.LogWarning("Session {SessionId}: could not renew the agent's lease: {Reason}", SessionId, e.Message);
            }
        }
    }

    public async Task RunAsync(CancellationToken shutdown)
    {
        var session = job.Session;
        await using var shipper = new LogShipper(api, Path.Combine(options.WorkDirectory, "spool"), session.WorkspaceId, session.Id, logger, mask: _mask, after: session.LastSequence ?? 0, clock: clock);
        SessionReport report;
        Conversation? conversation = null;
        try
        {
            shipper.Add("konduktor", $"runner {options.Name} preparing the worktree of branch {job.Branch}");
            var worktree = _worktree = await git.PrepareAsync(job.Repository, job.DefaultBranch, job.Branch, session.WorkspaceId, session.TaskId ?? Guid.Empty, session.Id, shutdown, fresh: job.FreshWorktree);
            if (!job.FreshWorktree && await git.CatchUpAsync(worktree, job.Branch, shutdown) is { } caughtUp)
            {
                shipper.Add("konduktor", caughtUp);
            }

            conversation = await ChooseConversationAsync(worktree, shipper, shutdown);
            report = await RunAgentAsync(worktree, conversation, shipper, shutdown);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            report = new SessionReport { Status = SessionStatus.Failed, Error = $"runner {options.Name} shut down while the session ran; resume the task to continue" };
        }
        catch (Exception e) when (e is ProcessFailedException or RunnerApiException or IOException or UnauthorizedAccessException)
        {
            shipper.Add("konduktor", e.Message);
            report = new SessionReport { Status = SessionStatus.Failed, Error = e.Message };
        }

        if (_worktree is { } kept)
        {
            var (branch, notPushed) = await KeepWorkAsync(kept, report.ClaudeSessionId ?? conversation?.Id, shipper);
            report = branch is { } pushed ? report with { CommitsAhead = pushed.Ahead, HeadCommit = pushed.Head } : report;
            if (notPushed is not null && report.Status is SessionStatus.Succeeded or SessionStatus.NeedsAttention)
            {
                // Work that is only on this machine is not done: the task must not look finished.
                report = report with { Status = SessionStatus.Failed, Error = Shorten($"the agent finished, but its commits could not be pushed to {job.Branch} ({notPushed}); they are in the worktree on runner {options.Name} — resume the task to try again") };
            }
        }

        if (report is { Status: SessionStatus.WaitingForQuota, UsageLimit: { } limit })
        {
            shipper.Add("konduktor", $"the agent stopped at its account's usage limit ({limit.Window?.Replace('_', ' ') ?? "window unknown"}{(limit.ResetsAt is { } at ? $", resets {at:yyyy-MM-dd HH:mm} UTC" : "")}): the session waits for the reset, then continues its conversation");
        }

        // The secrets the agent had never leave in what Konduktor keeps of the session.
        report = report with { Error = _mask.ApplyOrNull(report.Error), Outcome = report.Outcome is { } outcome ? outcome with { Result = _mask.ApplyOrNull(outcome.Result), Errors = outcome.Errors?.Select(_mask.Apply).ToList() } : null };
        _reporting = true;
        if (Volatile.Read(ref _abandoned) is { } abandoned)
        {
            shipper.Add("konduktor", abandoned);
        }

        await _claudeSessionReported;
        await _usageLimitReported;
        await shipper.CompleteAsync();
        using var grace = new CancellationTokenSource(shutdown.IsCancellationRequested ? TimeSpan.FromSeconds(10) : Timeout.InfiniteTimeSpan);
        try
        {
            await Retry.UntilAcceptedAsync(ct => api.ReportAsync(session.WorkspaceId, session.Id, report with { LastSequence = shipper.LastSequence }, ct), logger, "report the outcome of session " + session.ShortId, grace.Token);
            logger.LogInformation("Session {SessionId} ended {Status}", session.Id, report.Status);
        }
        catch (RunnerApiException e) when (e.Status == System.Net.HttpStatusCode.Conflict)
        {
            await KeepLateReportAsync(report, shipper.LastSequence, e.Message, grace.Token);
        }
    }

    /// <summary>
    /// Konduktor ended the session while this runner was out of reach (orphaned): its outcome stays, and what this runner
    /// would have reported is kept in the session's log for a person to read.
    /// </summary>
    private async Task KeepLateReportAsync(SessionReport report, long lastSequence, string refusal, CancellationToken ct)
    {
        var said = $"late report from runner {options.Name}, not taken as the outcome ({refusal}): the agent ended {Konduktor.Core.Json.KonduktorJson.Name(report.Status)}"
            + (report.ExitCode is { } code ? $" with exit code {code}" : "") + (report.Error is { Length: > 0 } error ? $": {error}" : "");
        try
        {
            await Retry.UntilAcceptedAsync(token => api.AppendLogsAsync(job.Session.WorkspaceId, job.Session.Id, [new LogEvent(lastSequence + 1, clock.GetUtcNow(), "konduktor", said)], token), logger, "keep the late report", ct);
        }
        catch (Exception e) when (e is RunnerApiException or OperationCanceledException)
        {
            // The log line is all that was left to keep.
        }

        logger.LogWarning("Session {SessionId}: {Said}", job.Session.Id, said);
    }

    /// <summary>
    /// A new conversation gets Konduktor's own id (<c>--session-id</c>), so its transcript is found by that id. A resume
    /// continues the conversation when its transcript is on this machine or kept in storage; when it is kept nowhere, a
    /// fresh conversation starts on the branch with what is known of the earlier ones — never a <c>--resume</c> into
    /// Claude Code's "No conversation found".
    /// </summary>
    private async Task<Conversation> ChooseConversationAsync(string worktree, LogShipper shipper, CancellationToken ct)
    {
        if (job.ResumeClaudeSessionId is not { } resume)
        {
            return new Conversation(ids.NewId().ToString(), Resumed: false, job.Prompt);
        }

        if (ClaudeTranscripts.IsConversationId(resume))
        {
            if (ClaudeTranscripts.Find(agent.ProjectsDirectory, resume) is not null)
            {
                return new Conversation(resume, Resumed: true, job.Prompt);
            }

            var file = ClaudeTranscripts.RestorePath(agent.ProjectsDirectory, worktree, resume);
            if (await Retry.UntilAcceptedAsync(token => api.LoadTranscriptAsync(job.Session.WorkspaceId, job.Session.Id, file, token), logger, "restore the transcript", ct))
            {
                shipper.Add("konduktor", $"restored the transcript of conversation {resume} from storage");
                return new Conversation(resume, Resumed: true, job.Prompt);
            }
        }

        var fresh = job.PromptWithoutConversation
            ?? throw new ProcessFailedException($"conversation {resume} cannot be continued: its transcript is neither on runner {options.Name} nor kept in storage");
        shipper.Add("konduktor", $"warning: the transcript of conversation {resume} is kept nowhere, so it cannot be continued; a new conversation starts on the branch with the task and the last session's summary");
        logger.LogWarning("Session {SessionId}: conversation {Conversation} has no transcript anywhere; starting a new one", job.Session.Id, resume);
        return new Conversation(ids.NewId().ToString(), Resumed: false, fresh);
    }

    private async Task<SessionReport> RunAgentAsync(string worktree, Conversation conversation, LogShipper shipper, CancellationToken shutdown)
    {
        var session = job.Session;
        var systemPromptFile = Path.Combine(options.WorkDirectory, "sessions", $"{session.Id:N}", "system-prompt.md");
        PrivateFile.Write(systemPromptFile, job.SystemPrompt);
        shutdown.ThrowIfCancellationRequested();
        var leaseFile = _leaseFile = Path.Combine(options.WorkDirectory, "sessions", $"{session.Id:N}", "lease");
        AgentLauncher.WriteLease(leaseFile, lease.Deadline);
        var invocation = AgentInvocation.Build(options, job, worktree, conversation, systemPromptFile);
        if (await SetUpAsync(worktree, invocation, shipper, leaseFile, shutdown) is { } notStarted)
        {
            File.Delete(leaseFile);
            return notStarted;
        }

        using var process = StartAgent(Confined(invocation, worktree, systemPromptFile), leaseFile);
        _started.TrySetResult(process);
        var pidFile = AgentPidFile(options.WorkDirectory, session.Id);
        Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
        await File.WriteAllTextAsync(pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
        shipper.Add("konduktor", $"agent started (pid {process.Id}) in {worktree}, {(conversation.Resumed ? "continuing" : "starting")} conversation {conversation.Id}");
        var prompt = WritePromptAsync(process, conversation.Prompt);
        try
        {
            await Retry.UntilAcceptedAsync(ct => api.ReportAsync(session.WorkspaceId, session.Id, new SessionReport { Status = SessionStatus.Running }, ct), logger, "report session " + session.ShortId + " running", shutdown);
        }
        catch
        {
            ProcessSignals.KillGroup(process.Id);
            throw;
        }

        var output = new AgentOutput(process, shipper, conversation.Resumed ? conversation.Id : null, id => _claudeSessionReported = ReportClaudeSessionAsync(id, shutdown), limit => UsageLimitChanged(limit, shutdown));
        try
        {
            await process.WaitForExitAsync(shutdown);
        }
        catch (OperationCanceledException)
        {
            await ProcessSignals.StopGroupAsync(process.Id, ShutdownGrace);
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(output.Completion, prompt);
            throw;
        }

        // What the agent left running in its group (a server started in the background) ends with it; a stop in
        // flight is already seeing to the group. Not awaited: a sandbox's pid namespace keeps the group alive for a
        // second or two after its last process ended (the kernel tearing it down), and the session need not wait.
        if (!_stopRequested && Volatile.Read(ref _abandoned) is null)
        {
            _ = ProcessSignals.StopGroupAsync(process.Id, ShutdownGrace);
        }

        await Task.WhenAll(output.Completion, prompt);
        File.Delete(pidFile);
        File.Delete(systemPromptFile);
        File.Delete(leaseFile);
        shipper.Add("konduktor", $"agent exited with code {process.ExitCode}");
        return Report(output, process.ExitCode, conversation);
    }

    /// <summary>The agent (or the setup script) inside the sandbox, with what it needs of the hidden folders bound back.</summary>
    private ProcessStartInfo Confined(ProcessStartInfo invocation, string worktree, params string[] readOnlyFiles)
    {
        var home = invocation.Environment.TryGetValue("HOME", out var value) && value is { Length: > 0 } ? value : null;
        return sandbox.Wrap(invocation, options.HiddenFromAgents,
            [worktree, git.MirrorPath(job.Repository), .. home is null ? Array.Empty<string>() : [home], Path.GetDirectoryName(agent.ProjectsDirectory)!],
            readOnlyFiles);
    }

    /// <summary>
    /// The runner's files copied in, then the setup script, confined like the agent and under the same lease, with the
    /// agent's environment. A report when the agent must not start (the setup failed, or a stop came first), else null.
    /// </summary>
    private async Task<SessionReport?> SetUpAsync(string worktree, ProcessStartInfo environment, LogShipper shipper, string leaseFile, CancellationToken shutdown)
    {
        var gitDirectory = await git.GitDirectoryAsync(worktree, shutdown);
        foreach (var note in await WorktreeSetup.CopyRunnerFilesAsync(options.FilesDirectory, job.WorkspaceName, worktree, git.MirrorPath(job.Repository), shutdown))
        {
            shipper.Add("konduktor", note);
        }

        WorktreeSetup.KeepCleanup(gitDirectory, job.CleanupScript);
        if (WorktreeSetup.FindSetup(worktree, job.SetupScript, Path.GetDirectoryName(leaseFile)!) is not { } script)
        {
            return null;
        }

        shipper.Add("konduktor", $"running {script.Name}");
        using var halt = CancellationTokenSource.CreateLinkedTokenSource(shutdown, _halt.Token);
        WorktreeSetup.Outcome outcome;
        try
        {
            outcome = await WorktreeSetup.SetUpAsync(script, worktree, gitDirectory, environment,
                start => Process.Start(AgentLauncher.InNewSession(Confined(start, worktree, script.Path), leaseFile))!,
                text => shipper.Add(WorktreeSetup.LogStream, text), TimeSpan.FromMinutes(job.SetupTimeoutMinutes), halt.Token);
        }
        catch (OperationCanceledException) when (!shutdown.IsCancellationRequested)
        {
            return Interrupted(new SessionReport { Status = SessionStatus.Failed });
        }

        shipper.Add("konduktor", outcome.Note);
        return outcome.Failure is { } failure ? new SessionReport { Status = SessionStatus.Failed, Error = Shorten(failure) }
            : _stopRequested || Volatile.Read(ref _abandoned) is not null ? Interrupted(new SessionReport { Status = SessionStatus.Failed })
            : null;
    }

    /// <summary>The session's report when a lapsed lease or a stop ended it, else null.</summary>
    private SessionReport? Interrupted(SessionReport report) =>
        (Volatile.Read(ref _abandoned) ?? (lease.Lapsed ? lease.LapsedReason(options.Name) : null)) is { } abandoned
            ? report with { Status = SessionStatus.Orphaned, Error = Shorten(abandoned + "; resume the task to continue where it left off") }
            : _stopRequested ? report with { Status = SessionStatus.Stopped, Error = "stopped as asked" }
            : null;

    /// <summary>The prompt goes on stdin: it may be far longer than a command line allows, and `ps` shows nothing of it.</summary>
    private static Task WritePromptAsync(Process process, string prompt) => Task.Run(async () =>
    {
        try
        {
            await process.StandardInput.WriteAsync(prompt);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The agent ended before it read its prompt; its exit code and stderr say why.
        }
    }, CancellationToken.None);

    /// <summary>How the session ended: stopped, succeeded, needing attention (refused tool calls), or failed with why.</summary>
    private SessionReport Report(AgentOutput output, int exitCode, Conversation conversation)
    {
        var outcome = output.Outcome?.WithRunCost(conversation.Resumed ? job.EarlierConversationCostUsd : null);
        var report = new SessionReport { Status = SessionStatus.Failed, ClaudeSessionId = output.ConversationId, ExitCode = exitCode, Outcome = outcome };
        // The runner's own check or the agent's supervisor, whichever saw the lapsed lease first, ended the agent.
        if (Interrupted(report) is { } interrupted)
        {
            return interrupted;
        }

        if (outcome is { Succeeded: true } && exitCode == 0)
        {
            return outcome.PermissionDenials is { Count: > 0 } denials
                ? report with { Status = SessionStatus.NeedsAttention, Error = Shorten(DeniedReason(denials)) }
                : report with { Status = SessionStatus.Succeeded };
        }

        report = report with { Error = Shorten(FailureReason(outcome, exitCode, output.StderrTail)) };
        if (UsageLimit.EndedOn(succeeded: false, outcome?.ApiErrorStatus, output.UsageLimit) is not { } limit)
        {
            return report;
        }

        // A usage limit is not the agent's failure: a task's session waits for the reset and continues its conversation;
        // a scheduled agent's run simply ends (the agent runs again when next due).
        usageLimitMet(limit);
        var resets = limit.ResetsAt is { } at ? $"it resets at {at:yyyy-MM-dd HH:mm} UTC" : "its reset was not given";
        return job.Session.TaskId is null
            ? report with { UsageLimit = limit, Error = Shorten($"stopped at the account's usage limit ({limit.Window ?? "window unknown"}); {resets}; the agent runs again when next due") }
            : report with { Status = SessionStatus.WaitingForQuota, UsageLimit = limit, Error = null };
    }

    /// <summary>What Claude Code said of the account's limit goes to Konduktor at once: a warning for people to see, a rejection for every runner using the account.</summary>
    private void UsageLimitChanged(UsageLimit limit, CancellationToken ct)
    {
        if (limit.IsRejected)
        {
            usageLimitMet(limit);
        }

        var reported = Task.Run(async () =>
        {
            try
            {
                await Retry.UntilAcceptedAsync(token => api.ReportAsync(job.Session.WorkspaceId, job.Session.Id, new SessionReport { Status = SessionStatus.Running, UsageLimit = limit }, token), logger, "report the usage limit", ct);
            }
            catch (Exception e) when (e is OperationCanceledException or RunnerApiException)
            {
                // The session's final report carries a rejection too.
            }
        }, CancellationToken.None);
        _usageLimitReported = Task.WhenAll(_usageLimitReported, reported);
    }

    private Process StartAgent(ProcessStartInfo start, string leaseFile)
    {
        try
        {
            return Process.Start(AgentLauncher.InNewSession(start, leaseFile)) ?? throw new ProcessFailedException($"could not start the agent `{options.AgentCommand[0]}`");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ProcessFailedException(Executable.Find(options.AgentCommand[0]) is null
                ? $"the agent command `{options.AgentCommand[0]}` was not found on runner {options.Name}: install Claude Code with `{AgentPreflight.InstallCommand}`, or start the runner with --agent-command PATH"
                : $"the agent command `{options.AgentCommand[0]}` could not be started on runner {options.Name}: {e.Message}");
        }
    }

    /// <summary>Why the session failed, from whatever exists: Claude Code's errors, its result text, the stderr tail.</summary>
    public static string FailureReason(SessionOutcome? outcome, int exitCode, string stderrTail)
    {
        var exit = exitCode != 0 ? $", exit code {exitCode}" : "";
        if (outcome is null)
        {
            return $"the agent exited with code {exitCode} without a result{(stderrTail.Length > 0 ? ":\n" + stderrTail : "")}";
        }

        var why = outcome.Reason ?? (stderrTail.Length > 0 ? stderrTail : "it gave no reason");
        var api = outcome.ApiErrorStatus is { } status ? $", API status {status}" : "";
        return $"the agent's result was {outcome.Subtype}{(outcome.IsError ? " (is_error)" : "")}{api}{exit}: {why}";
    }

    /// <summary>What a person needs to see when the agent was refused tool calls: which, and what to change.</summary>
    public string DeniedReason(IReadOnlyList<PermissionDenial> denials)
    {
        var shown = string.Join("; ", denials.Take(5).Select(d => d.Input is { Length: > 0 } input ? $"{d.Tool} ({input})" : d.Tool));
        return $"Claude Code refused {denials.Count} tool call{(denials.Count == 1 ? "" : "s")} under permission mode {job.PermissionMode}: {shown}{(denials.Count > 5 ? "; …" : "")}. "
            + "The agent may not have done what it was asked: look at its log, allow what it needs (`konduktor config set --permission-mode bypassPermissions`), and resume the task.";
    }

    private static string Shorten(string text) => text.Length > MaxErrorLength ? text[..(MaxErrorLength - 1)] + "…" : text;

    /// <summary>Where a running agent's pid is noted, so a runner restarted after a crash can end agents left behind.</summary>
    public static string AgentPidFile(string workDirectory, Guid sessionId) => Path.Combine(workDirectory, "agents", $"{sessionId:N}.pid");

    /// <summary>
    /// After every session: the transcript goes to storage (so any runner can resume), and commits the agent left
    /// on the task branch are pushed (so the work is never only on this machine). Best effort, reported in the log.
    /// Returns how far the pushed task branch is ahead of the default branch (Konduktor opens its pull request from that).
    /// </summary>
    private async Task<((int Ahead, string Head)? Branch, string? NotPushed)> KeepWorkAsync(string worktree, string? claudeSessionId, LogShipper shipper)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        (int Ahead, string Head)? branch = null;
        string? notPushed = null;
        try
        {
            // The commits first: they need only git's remote, which may be reachable when Konduktor is not.
            // A scheduled agent's worktree is refreshed on its next run; what it makes goes through tasks, not this branch.
            if (!job.FreshWorktree)
            {
                if (await git.UnpushedCommitsAsync(worktree, job.Branch, job.DefaultBranch, limit.Token) > 0)
                {
                    try
                    {
                        await git.PushAsync(worktree, job.Branch, limit.Token);
                        shipper.Add("konduktor", $"pushed the agent's commits on {job.Branch} so they are kept");
                    }
                    catch (Exception e) when (e is ProcessFailedException or OperationCanceledException)
                    {
                        notPushed = e is OperationCanceledException ? "the push timed out" : e.Message;
                        shipper.Add("konduktor", $"could not push the agent's commits on {job.Branch}: {notPushed}");
                    }
                }

                branch = await git.AheadOfDefaultAsync(worktree, job.DefaultBranch, limit.Token);
                await KeepChangesAsync(worktree, shipper, limit.Token);
            }

            if (claudeSessionId is not null)
            {
                if (ClaudeTranscripts.Find(agent.ProjectsDirectory, claudeSessionId) is { } transcript)
                {
                    await _claudeSessionReported.WaitAsync(limit.Token);
                    await Retry.UntilAcceptedAsync(async token =>
                    {
                        await api.SaveTranscriptAsync(job.Session.WorkspaceId, job.Session.Id, transcript, _mask, token);
                        return true;
                    }, logger, "keep the transcript", limit.Token);
                }
                else
                {
                    shipper.Add("konduktor", $"warning: no transcript of conversation {claudeSessionId} under {agent.ProjectsDirectory}; only this runner's agent could have continued it, and a resume elsewhere starts afresh");
                    logger.LogWarning("Session {SessionId}: no transcript of conversation {Conversation} under {Projects}", job.Session.Id, claudeSessionId, agent.ProjectsDirectory);
                }
            }
        }
        catch (Exception e) when (e is RunnerApiException or ProcessFailedException or IOException or OperationCanceledException)
        {
            shipper.Add("konduktor", $"could not keep everything of this session: {e.Message}");
        }

        return (branch, notPushed);
    }

    /// <summary>What the branch changes against its base goes to Konduktor (the board's Changes tab), the session's secrets masked in it.</summary>
    private async Task KeepChangesAsync(string worktree, LogShipper shipper, CancellationToken ct)
    {
        Konduktor.Core.Changes.ChangeSet changes;
        try
        {
            changes = await git.ChangeSetAsync(worktree, job.DefaultBranch, job.Branch, ct);
            changes = changes with
            {
                Diff = _mask.Apply(changes.Diff),
                Commits = changes.Commits.Select(c => c with { Subject = _mask.Apply(c.Subject), Trailers = c.Trailers.Select(_mask.Apply).ToList() }).ToList(),
            };
            await Retry.UntilAcceptedAsync(token => api.SaveChangesAsync(job.Session.WorkspaceId, job.Session.Id, changes, token), logger, "keep the branch's changes", ct);
        }
        catch (Exception e) when (e is ProcessFailedException or RunnerApiException)
        {
            // The transcript and the commits matter more: the next session keeps the changes again.
            shipper.Add("konduktor", $"could not keep the branch's changes for the board: {e.Message}");
            return;
        }

        shipper.Add("konduktor", $"kept the branch's changes against {job.DefaultBranch}: {changes.Files.Count + changes.MoreFiles} file(s), +{changes.Added} -{changes.Removed}, {changes.Commits.Count} commit(s)"
            + (changes.Truncated ? $" (the diff is cut at {Konduktor.Core.Changes.ChangeSetRules.MaxDiffChars:N0} characters)" : ""));
    }

    private async Task ReportClaudeSessionAsync(string claudeSessionId, CancellationToken ct)
    {
        try
        {
            await Retry.UntilAcceptedAsync(token => api.ReportAsync(job.Session.WorkspaceId, job.Session.Id, new SessionReport { Status = SessionStatus.Running, ClaudeSessionId = claudeSessionId }, token), logger, "record the Claude session id", ct);
        }
        catch (Exception e) when (e is OperationCanceledException or RunnerApiException)
        {
            // Shutting down, or refused: the final report carries the id too.
        }
    }
}

/// <summary>The Claude conversation a session runs: Konduktor's id for a new one, or the one it continues.</summary>
public sealed record Conversation(string Id, bool Resumed, string Prompt);
