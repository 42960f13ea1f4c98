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
public sealed class SessionExecution(RunnerOptions options, RunnerApi api, GitWorkspaces git, SessionJob job, AgentReadiness agent, AgentSandbox sandbox, AgentHomes homes, RunnerLease lease, TimeProvider clock, IIdGenerator ids, ILogger logger, Action<UsageLimit> usageLimitMet)
{
    /// <summary>How long the agent's output may stay open after it exited (descendants still writing) before they are killed.</summary>
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    /// <summary>A Unix socket's path is at most 107 bytes (104 on macOS): a longer one goes under the temporary folder.</summary>
    private const int MaxSocketPath = 100;
    private readonly TaskCompletionSource<Process> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _halt = new();
    private readonly SecretMask _mask = new(job.Secrets.Values);
    private volatile bool _stopRequested;
    private string? _abandoned;
    private string? _leaseFile;
    private volatile bool _reporting;
    private string? _worktree;
    private AgentRoom? _room;
    private Task _claudeSessionReported = Task.CompletedTask;
    private volatile string? _claudeSessionId;
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
        _ = _started.Task.ContinueWith(started => ProcessSignals.StopGroupAsync(started.Result.Id, ProcessSignals.StopGrace), TaskScheduler.Default).Unwrap();

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

            var room = _room = new AgentRoom(worktree, git.MirrorPath(job.Repository), await git.GitDirectoryAsync(worktree, shutdown),
                await homes.CreateAsync(session.Id, Path.GetDirectoryName(agent.ProjectsDirectory)!, shutdown), []);
            conversation = await new ConversationChoice(job, api, options.WorkDirectory, options.Name, ids, logger).ChooseAsync(room, shipper, shutdown);
            report = await RunAgentAsync(room, conversation, shipper, shutdown);
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

        report = await SettleAsync(report, conversation, shipper);
        if (_room is { } used)
        {
            AgentHomes.Remove(used.Home);
        }

        await SendReportAsync(report, shipper, shutdown);
    }

    /// <summary>The report once the work is kept: not finished when its commits are only here, secrets masked, and why it was abandoned in the log.</summary>
    private async Task<SessionReport> SettleAsync(SessionReport report, Conversation? conversation, LogShipper shipper)
    {
        if (_worktree is { } kept)
        {
            var (branch, notPushed) = await new SessionWorkKeeper(job, api, git, options.WorkDirectory, _mask, logger).KeepAsync(kept, _room?.Home, report.ClaudeSessionId ?? conversation?.Id, _claudeSessionReported, shipper);
            report = branch is { } pushed ? report with { CommitsAhead = pushed.Ahead, HeadCommit = pushed.Head } : report;
            if (notPushed is not null && report.Status is SessionStatus.Succeeded or SessionStatus.NeedsAttention)
            {
                // Work that is only on this machine is not done: the task must not look finished.
                report = report with { Status = SessionStatus.Failed, Error = SessionVerdicts.Shorten($"the agent finished, but its commits could not be pushed to {job.Branch} ({notPushed}); they are in the worktree on runner {options.Name} — resume the task to try again") };
            }
        }

        if (report is { Status: SessionStatus.WaitingForQuota, UsageLimit: { } limit })
        {
            shipper.Add("konduktor", $"the agent stopped at its account's usage limit ({limit.Window?.Replace('_', ' ') ?? "window unknown"}{(limit.ResetsAt is { } at ? $", resets {at:yyyy-MM-dd HH:mm} UTC" : "")}): the session waits for the reset, then continues its conversation");
        }

        _reporting = true;
        if (Volatile.Read(ref _abandoned) is { } abandoned)
        {
            shipper.Add("konduktor", abandoned);
        }

        // The secrets the agent had never leave in what Konduktor keeps of the session.
        return report with { Error = _mask.ApplyOrNull(report.Error), Outcome = report.Outcome is { } outcome ? outcome with { Result = _mask.ApplyOrNull(outcome.Result), Errors = outcome.Errors?.Select(_mask.Apply).ToList() } : null };
    }

    /// <summary>The log first (every event shipped), then the report; on shutdown the runner waits for Konduktor ten seconds at most.</summary>
    private async Task SendReportAsync(SessionReport report, LogShipper shipper, CancellationToken shutdown)
    {
        var session = job.Session;
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

    private async Task<SessionReport> RunAgentAsync(AgentRoom room, Conversation conversation, LogShipper shipper, CancellationToken shutdown)
    {
        var session = job.Session;
        var worktree = room.Worktree;
        var systemPromptFile = Path.Combine(options.WorkDirectory, "sessions", $"{session.Id:N}", "system-prompt.md");
        PrivateFile.Write(systemPromptFile, job.SystemPrompt);
        shutdown.ThrowIfCancellationRequested();
        var leaseFile = _leaseFile = Path.Combine(options.WorkDirectory, "sessions", $"{session.Id:N}", "lease");
        AgentLauncher.WriteLease(leaseFile, lease.Deadline);
        var invocation = AgentInvocation.Build(options, job, worktree, conversation, systemPromptFile);
        await using var network = StartNetwork(invocation, shipper);
        room = room with { ProxySocket = network?.SocketPath };
        if (await SetUpAsync(room, invocation, shipper, leaseFile, shutdown) is { } notStarted)
        {
            File.Delete(leaseFile);
            return notStarted;
        }

        using var process = StartAgent(Confined(invocation, room with { ReadOnlyFiles = [systemPromptFile] }), leaseFile);
        _started.TrySetResult(process);
        var pidFile = AgentPidFile(options.WorkDirectory, session.Id);
        Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
        await File.WriteAllTextAsync(pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
        shipper.Add("konduktor", $"agent started (pid {process.Id}) in {worktree}, {(conversation.Resumed ? "continuing" : "starting")} conversation {conversation.Id}");
        await using var inbox = new AgentInbox(job, api, shipper, logger);
        await inbox.StartAsync(process, conversation, RequestStop, shutdown);
        try
        {
            await Retry.UntilAcceptedAsync(ct => api.ReportAsync(session.WorkspaceId, session.Id, new SessionReport { Status = SessionStatus.Running }, ct), logger, "report session " + session.ShortId + " running", shutdown);
        }
        catch
        {
            ProcessSignals.KillGroup(process.Id);
            throw;
        }

        var output = new AgentOutput(process, shipper, conversation.Resumed ? conversation.Id : null, id =>
        {
            _claudeSessionId = id;
            _claudeSessionReported = ReportClaudeSessionAsync(id, shutdown);
        }, limit => UsageLimitChanged(limit, shutdown), inbox.AgentIdle);
        using var agentEnded = new CancellationTokenSource();
        var transcript = new TranscriptShipping(job, api, room.Home, options.WorkDirectory, _mask, shipper, logger).RunAsync(() => (_claudeSessionId ?? conversation.Id, _claudeSessionReported), agentEnded.Token);
        try
        {
            await process.WaitForExitAsync(shutdown);
        }
        catch (OperationCanceledException)
        {
            await ProcessSignals.StopGroupAsync(process.Id, ShutdownGrace);
            await process.WaitForExitAsync(CancellationToken.None);
            await agentEnded.CancelAsync();
            await OutputEndedAsync(output, process);
            await transcript;
            throw;
        }

        await agentEnded.CancelAsync();

        // What the agent left running in its group (a server started in the background) ends with it; a stop in
        // flight is already seeing to the group. Not awaited: a sandbox's pid namespace keeps the group alive for a
        // second or two after its last process ended (the kernel tearing it down), and the session need not wait.
        if (!_stopRequested && Volatile.Read(ref _abandoned) is null)
        {
            _ = ProcessSignals.StopGroupAsync(process.Id, ShutdownGrace);
        }

        await OutputEndedAsync(output, process);
        await transcript;
        File.Delete(pidFile);
        File.Delete(systemPromptFile);
        File.Delete(leaseFile);
        shipper.Add("konduktor", $"agent exited with code {process.ExitCode}");
        return Report(output, process.ExitCode, conversation);
    }

    /// <summary>
    /// The session's proxy, the confined agent's (and setup script's) only way out, allowing Anthropic's API (or the
    /// agent's ANTHROPIC_BASE_URL), Konduktor, the repository's remote and the workspace's allowed hosts; null where the
    /// sandbox does not give the agent a network of its own.
    /// </summary>
    private AgentProxy? StartNetwork(ProcessStartInfo invocation, LogShipper shipper)
    {
        if (!sandbox.ConfinesNetwork)
        {
            return null;
        }

        var allowed = NetworkAllowList.For(options.ApiUrl, invocation.Environment.TryGetValue("ANTHROPIC_BASE_URL", out var anthropic) ? anthropic : null, job.Repository, job.AllowedHosts);
        var socket = Path.Combine(options.WorkDirectory, "net", ShortId.Format(job.Session.Id), AgentNetwork.SocketName);
        if (socket.Length > MaxSocketPath)
        {
            socket = Path.Combine(Path.GetTempPath(), $"konduktor-net-{ShortId.Format(job.Session.Id)}", AgentNetwork.SocketName);
        }

        var proxy = AgentProxy.Start(socket, allowed, line => shipper.Add("konduktor", line), logger, (request, ct) => PushForAgentAsync(request, shipper, ct));
        shipper.Add("konduktor", $"the agent's network reaches {string.Join(", ", allowed.Hosts)} and nothing else");
        return proxy;
    }

    /// <summary>
    /// The agent's <c>git push</c>, which it cannot do itself (no credential, no way out but the proxy): the runner pushes
    /// the commit with its own credential, to the task's branch only; anything else is refused, and said in the log.
    /// </summary>
    private async Task<PushAnswer> PushForAgentAsync(PushRequest request, LogShipper shipper, CancellationToken ct)
    {
        var branch = $"refs/heads/{job.Branch}";
        var refusal = job.FreshWorktree ? "a scheduled agent's work is not pushed"
            : request.Ref != branch ? $"only {job.Branch} can be pushed from this session"
            : _worktree is null ? "the worktree is not ready"
            : null;
        if (refusal is not null)
        {
            shipper.Add("konduktor", $"refused the agent's push to {request.Ref}: {refusal}");
            return new PushAnswer(false, refusal);
        }

        try
        {
            await git.PushCommitAsync(_worktree!, request.Commit, job.Branch, request.Force, ct);
            shipper.Add("konduktor", $"pushed {request.Commit[..12]} to {job.Branch} for the agent");
            return new PushAnswer(true, "pushed");
        }
        catch (ProcessFailedException e)
        {
            shipper.Add("konduktor", $"could not push the agent's {request.Commit[..12]} to {job.Branch}: {e.Message}");
            return new PushAnswer(false, e.Message);
        }
    }

    /// <summary>The agent (or the setup script) in its room, Claude Code's config in its own home.</summary>
    private ProcessStartInfo Confined(ProcessStartInfo invocation, AgentRoom room)
    {
        invocation.Environment["CLAUDE_CONFIG_DIR"] = AgentHomes.ClaudeConfig(room.Home);
        return sandbox.Confine(invocation, room);
    }

    /// <summary>
    /// The runner's files copied in, then the setup script, confined like the agent and under the same lease, with the
    /// agent's environment. A report when the agent must not start (the setup failed, or a stop came first), else null.
    /// </summary>
    private async Task<SessionReport?> SetUpAsync(AgentRoom room, ProcessStartInfo environment, LogShipper shipper, string leaseFile, CancellationToken shutdown)
    {
        var (worktree, gitDirectory) = (room.Worktree, room.WorktreeGitDirectory);
        foreach (var note in await WorktreeSetup.CopyRunnerFilesAsync(options.FilesDirectory, job.WorkspaceName, worktree, git.MirrorPath(job.Repository), (path, ct) => git.IsVersionedAsync(worktree, path, ct), shutdown))
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
                start => Process.Start(AgentLauncher.InNewSession(Confined(start, room with { ReadOnlyFiles = [script.Path] }), leaseFile))!,
                text => shipper.Add(WorktreeSetup.LogStream, text), TimeSpan.FromMinutes(job.SetupTimeoutMinutes), halt.Token);
        }
        catch (OperationCanceledException) when (!shutdown.IsCancellationRequested)
        {
            return Interrupted(new SessionReport { Status = SessionStatus.Failed });
        }

        shipper.Add("konduktor", outcome.Note);
        return outcome.Failure is { } failure ? new SessionReport { Status = SessionStatus.Failed, Error = SessionVerdicts.Shorten(failure) }
            : _stopRequested || Volatile.Read(ref _abandoned) is not null ? Interrupted(new SessionReport { Status = SessionStatus.Failed })
            : null;
    }

    /// <summary>The session's report when a lapsed lease or a stop ended it, else null.</summary>
    private SessionReport? Interrupted(SessionReport report) =>
        (Volatile.Read(ref _abandoned) ?? (lease.Lapsed ? lease.LapsedReason(options.Name) : null)) is { } abandoned
            ? report with { Status = SessionStatus.Orphaned, Error = SessionVerdicts.Shorten(abandoned + "; resume the task to continue where it left off") }
            : _stopRequested ? report with { Status = SessionStatus.Stopped, Error = "stopped as asked" }
            : null;

    /// <summary>
    /// The agent has exited: what it wrote is read to the end, but a process it left behind holding its output open (one
    /// that escaped its group, a remote's receive side) does not hold the session: after a short grace the group is
    /// killed and reading stops.
    /// </summary>
    private async Task OutputEndedAsync(AgentOutput output, Process process)
    {
        if (await Task.WhenAny(output.Completion, Task.Delay(OutputGrace)) == output.Completion)
        {
            return;
        }

        ProcessSignals.KillGroup(process.Id);
        if (await Task.WhenAny(output.Completion, Task.Delay(OutputGrace)) != output.Completion)
        {
            logger.LogWarning("Session {SessionId}: a process the agent left behind still holds its output; the session ends without waiting for it", SessionId);
            output.Detach();
        }
    }

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
                ? report with { Status = SessionStatus.NeedsAttention, Error = SessionVerdicts.Shorten(SessionVerdicts.DeniedReason(denials, job.PermissionMode)) }
                : report with { Status = SessionStatus.Succeeded };
        }

        report = report with { Error = SessionVerdicts.Shorten(SessionVerdicts.FailureReason(outcome, exitCode, output.StderrTail)) };
        if (UsageLimit.EndedOn(succeeded: false, outcome?.ApiErrorStatus, output.UsageLimit) is not { } limit)
        {
            return report;
        }

        // A usage limit is not the agent's failure: a task's session waits for the reset and continues its conversation;
        // a scheduled agent's run simply ends (the agent runs again when next due).
        usageLimitMet(limit);
        var resets = limit.ResetsAt is { } at ? $"it resets at {at:yyyy-MM-dd HH:mm} UTC" : "its reset was not given";
        return job.Session.TaskId is null
            ? report with { UsageLimit = limit, Error = SessionVerdicts.Shorten($"stopped at the account's usage limit ({limit.Window ?? "window unknown"}); {resets}; the agent runs again when next due") }
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

    /// <summary>Where a running agent's pid is noted, so a runner restarted after a crash can end agents left behind.</summary>
    public static string AgentPidFile(string workDirectory, Guid sessionId) => Path.Combine(workDirectory, "agents", $"{sessionId:N}.pid");

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
