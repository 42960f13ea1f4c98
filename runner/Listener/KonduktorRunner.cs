using System.Text.Json;
using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Konduktor.Core.Json;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>
/// A runner: registers, reads the session queue (fast while there is work, backing off to about two seconds when
/// idle), claims each session through the API (only one runner wins), deletes the message only after that, runs
/// up to its capacity in parallel, and heartbeats. Cancelling <c>RunAsync</c> shuts it down gracefully.
/// </summary>
public sealed class KonduktorRunner(RunnerOptions options, ILogger<KonduktorRunner> logger) : IDisposable
{

    /// <summary>After work (a job taken or a session ended) more tends to follow: poll briskly this long before backing off.</summary>
    private static readonly TimeSpan WarmPeriod = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WarmPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan BusyHeartbeat = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(10);

    /// <summary>While its agent cannot run, the runner takes no jobs and looks again this often (installing it is enough).</summary>
    private static readonly TimeSpan AgentRecheck = TimeSpan.FromSeconds(30);
    private readonly RunnerApi _api = new(options.ApiUrl);
    private readonly GitWorkspaces _git = new(options.WorkDirectory);
    private readonly ConcurrentDictionary<Guid, Task> _running = new();
    private readonly ConcurrentDictionary<Guid, SessionExecution> _executions = new();
    private readonly StorageOperationCounter _storageOperations = new();
    private readonly RunnerLease _lease = new(TimeProvider.System);
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromMinutes(2);
    private QueueClient? _queue;
    private DateTimeOffset _queueExpiresAt;
    private long _lastActivity = Environment.TickCount64;
    private string? _note;
    private long _quotaUntilTicks;

    public Guid? RunnerId { get; private set; }

    /// <summary>What the runner's preflight found of its agent; the runner runs it when it starts, unless asked before.</summary>
    public AgentReadiness? Agent { get; private set; }

    /// <summary>How agents are kept from Konduktor's files here; found with the agent's preflight.</summary>
    public AgentSandbox? Sandbox { get; private set; }

    /// <summary>
    /// Checks the agent command (found, version, signed in) and the sandbox it will run in: what <c>up</c> and
    /// <c>runner start</c> print before starting.
    /// </summary>
    public async Task<AgentReadiness> CheckAgentAsync(CancellationToken ct)
    {
        if (Sandbox is null)
        {
            var sandbox = Sandbox = await AgentSandbox.DetectAsync(ct);
            _git.Confine = start => sandbox.Wrap(start, options.HiddenFromAgents, _git.GitFolders, []);
        }

        return Agent = await AgentPreflight.CheckAsync(options.AgentCommand, ct);
    }

    public int ActiveSessions => _running.Count;

    /// <summary>The Claude account its agents use, as a label: as given, else the agent's signed-in email, else user@host.</summary>
    public string Account => options.Account ?? Agent?.Email ?? $"{Environment.UserName}@{Environment.MachineName}";

    /// <summary>Until when the account is at its usage limit, as far as this runner knows; the runner takes no job before then.</summary>
    public DateTimeOffset? QuotaUntil => Interlocked.Read(ref _quotaUntilTicks) is var ticks and > 0 && new DateTimeOffset(ticks, TimeSpan.Zero) is var until && until > DateTimeOffset.UtcNow ? until : null;

    /// <summary>The account is at its usage limit until then (the latest word wins only if it is later).</summary>
    private void NoteQuotaUntil(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long seen;
        do
        {
            seen = Interlocked.Read(ref _quotaUntilTicks);
            if (seen >= ticks)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _quotaUntilTicks, ticks, seen) != seen);
        logger.LogWarning("Account {Account} is at its usage limit until {Until:u}: this runner starts no session before then", Account, until);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(options.WorkDirectory);
        if (Agent is null)
        {
            await CheckAgentAsync(ct);
            LogAgent();
        }

        var registration = await Retry.UntilAcceptedAsync(RegisterAsync, logger, "register the runner", ct);
        RunnerId = registration.RunnerId;
        _lease.Renewed(TimeProvider.System.GetUtcNow(), registration.LeaseSeconds);
        _api.UseToken(registration.Token);
        UseQueue(registration.QueueUrl, registration.QueueUrlExpiresAt);
        logger.LogInformation("Runner {RunnerName} registered ({RunnerId}), capacity {Capacity}, account {Account}, work dir {WorkDirectory}, jobs {JobSource}", options.Name, registration.RunnerId, options.Capacity, Account, options.WorkDirectory, _queue is null ? "through the API" : "from the queue");

        await EndLeftoverAgentsAsync();
        var leftovers = ShipLeftoverLogsAsync(ct);
        var heartbeat = HeartbeatLoopAsync(TimeSpan.FromSeconds(registration.HeartbeatSeconds), ct);
        var cleanup = CleanupLoopAsync(ct);
        try
        {
            await PollLoopAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogInformation("Runner {RunnerName} stopping: {Count} session(s) to wind down", options.Name, _running.Count);
        }

        await Task.WhenAll(_running.Values);
        await Task.WhenAll(heartbeat.ContinueWith(_ => { }, TaskScheduler.Default), leftovers.ContinueWith(_ => { }, TaskScheduler.Default), cleanup.ContinueWith(_ => { }, TaskScheduler.Default));
    }

    public void Dispose()
    {
        _api.Dispose();
    }

    /// <summary>
    /// Who the runner is: the credential it kept from an earlier registration (its queue access comes with a heartbeat),
    /// else a one-time registration secret traded for a credential it then keeps, else a person's credential.
    /// </summary>
    private async Task<RunnerRegistration> RegisterAsync(CancellationToken ct)
    {
        var self = new RegisterRunner { Name = options.Name, Capacity = options.Capacity, Host = Environment.MachineName, Version = options.Version, Agent = Agent?.Description, AgentProblem = Agent?.Problem, Account = Account };
        if (options.CredentialFile is { } file && File.Exists(file))
        {
            var kept = JsonSerializer.Deserialize(await File.ReadAllTextAsync(file, ct), RunnerFilesJson.Default.KeptCredential)!;
            _api.UseToken(kept.Token);
            var reply = await _api.HeartbeatAsync(kept.RunnerId, new RunnerHeartbeat { Capacity = options.Capacity, QueueUrlExpiresAt = DateTimeOffset.MinValue, Agent = Agent?.Description, AgentProblem = Agent?.Problem, Account = Account }, ct);
            NoteAccountLimit(reply);
            return new RunnerRegistration(kept.RunnerId, options.Name, kept.Token, RunnerService.HeartbeatSeconds, reply.QueueUrl, reply.QueueUrlExpiresAt, reply.LeaseSeconds);
        }

        if (options.RegistrationSecret is { } secret)
        {
            var registration = await _api.ExchangeAsync(secret, self, ct);
            if (options.CredentialFile is { } keep)
            {
                PrivateFile.Write(keep, JsonSerializer.Serialize(new KeptCredential(registration.RunnerId, registration.Token), RunnerFilesJson.Default.KeptCredential));
            }

            _api.UseToken(registration.Token);
            return registration;
        }

        _api.UseToken(options.UserToken ?? throw new InvalidOperationException("a runner needs a person's token, a registration secret or a kept credential"));
        return await _api.RegisterAsync(self, ct);
    }

    private async Task PollLoopAsync(CancellationToken ct)
    {
        var idleDelay = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            if (Agent is { Ready: false })
            {
                await Task.Delay(AgentRecheck, ct);
                if ((await CheckAgentAsync(ct)).Ready)
                {
                    LogAgent();
                    await HeartbeatAsync(ct);
                }

                continue;
            }

            // At the account's usage limit a session would only meet it again: jobs wait in the queue for the reset (or
            // for a runner with another account), without being received and counted towards the poison queue.
            if (QuotaUntil is { } until)
            {
                var wait = until - DateTimeOffset.UtcNow;
                await Task.Delay(wait < BusyHeartbeat ? (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) : BusyHeartbeat, ct);
                continue;
            }

            // Out of Konduktor's reach, a job could not be claimed anyway, and its message would hide from other runners.
            if (_lease.Lapsed)
            {
                await Task.Delay(BusyHeartbeat, ct);
                continue;
            }

            var free = options.Capacity - _running.Count;
            if (free <= 0)
            {
                if (_running.Values.ToArray() is { Length: > 0 } busy)
                {
                    await Task.WhenAny(busy).WaitAsync(ct);
                }

                continue;
            }

            IReadOnlyList<JobMessage> messages;
            try
            {
                messages = _queue is { } queue
                    ? (await queue.ReceiveMessagesAsync(Math.Min(free, 32), SessionJobs.VisibilityTimeout, ct)).Value.Select(m => new JobMessage(m.MessageId, m.PopReceipt, m.MessageText, m.DequeueCount)).ToList()
                    : await _api.ReceiveJobsAsync(new JobRequest(Math.Min(free, 32)), ct);
            }
            catch (Exception e) when (e is RunnerApiException or RequestFailedException || StorageOutage.Is(e))
            {
                logger.LogWarning("Could not read the session queue: {Reason}", e.Message);
                messages = [];
            }

            if (messages.Count == 0)
            {
                // Through the API every poll is a function execution: at rest it polls less often.
                var idleMax = _queue is null ? Math.Max(options.IdlePollMax.TotalMilliseconds, ApiIdlePollMax.TotalMilliseconds) : options.IdlePollMax.TotalMilliseconds;
                var warm = Environment.TickCount64 - Interlocked.Read(ref _lastActivity) < WarmPeriod.TotalMilliseconds;
                idleDelay = warm ? WarmPoll : TimeSpan.FromMilliseconds(Math.Clamp(idleDelay.TotalMilliseconds * 2, 50, idleMax));

                await Task.Delay(idleDelay, ct);
                continue;
            }

            idleDelay = TimeSpan.Zero;
            Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
            foreach (var message in messages)
            {
                await TakeAsync(message, ct);
            }
        }
    }

    private static readonly TimeSpan ApiIdlePollMax = TimeSpan.FromSeconds(10);

    private async Task TakeAsync(JobMessage message, CancellationToken ct)
    {
        if (SessionJobMessage.TryParse(message.MessageText) is not { } job)
        {
            logger.LogWarning("Dropping a message that is not a session job: {MessageId}", message.MessageId);
            await DeleteAsync(message, ct);
            return;
        }

        if (message.DequeueCount > SessionJobs.MaxDeliveries)
        {
            try
            {
                var reason = $"taken {message.DequeueCount} times, never claimed (runners crashed or the API failed while claiming)";
                await _api.PoisonAsync(new PoisonedJob { WorkspaceId = job.WorkspaceId, SessionId = job.SessionId, DequeueCount = message.DequeueCount, MessageText = message.MessageText, Reason = reason }, ct);
                await DeleteAsync(message, ct);
                logger.LogWarning("Session {SessionId}: its job message moved to the poison queue after {Count} deliveries", job.SessionId, message.DequeueCount);
            }
            catch (RunnerApiException e)
            {
                logger.LogWarning("Could not report the poisoned job of session {SessionId}: {Reason}", job.SessionId, e.Message);
            }

            return;
        }

        SessionJob claimed;
        try
        {
            claimed = await _api.ClaimAsync(job.WorkspaceId, job.SessionId, ct);
        }
        catch (RunnerApiException e) when (!e.IsTransient)
        {
            logger.LogInformation("Session {SessionId} not claimed: {Reason}", job.SessionId, e.Message);
            await DeleteAsync(message, ct);
            return;
        }
        catch (RunnerApiException e)
        {
            if (e.Status == System.Net.HttpStatusCode.TooManyRequests)
            {
                // Konduktor knows the account is at its usage limit before this runner did: its next heartbeat says until when.
                NoteQuotaUntil(DateTimeOffset.UtcNow + BusyHeartbeat);
            }

            logger.LogWarning("Session {SessionId} not claimed yet ({Reason}); the message comes back", job.SessionId, e.Message);
            return;
        }

        await DeleteAsync(message, ct);
        logger.LogInformation("Session {SessionId} claimed: task branch {Branch}", job.SessionId, claimed.Branch);
        var execution = new SessionExecution(options, _api, _git, claimed, Agent!, Sandbox!, _lease, logger,
            limit => NoteQuotaUntil(limit.ResetsAt is { } at && at > DateTimeOffset.UtcNow ? at : DateTimeOffset.UtcNow + UnknownResetWait));
        _executions[job.SessionId] = execution;
        _running[job.SessionId] = Task.Run(async () =>
        {
            try
            {
                await execution.RunAsync(ct);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogError(e, "Session {SessionId} ended with an unexpected error", job.SessionId);
                try
                {
                    await _api.ReportAsync(job.WorkspaceId, job.SessionId, new SessionReport { Status = SessionStatus.Failed, Error = $"runner {options.Name} failed unexpectedly while running it: {e.Message}" }, CancellationToken.None);
                }
                catch (RunnerApiException)
                {
                    // The janitor ends it: this runner's heartbeats no longer name it.
                }
            }
            finally
            {
                _running.TryRemove(job.SessionId, out _);
                _executions.TryRemove(job.SessionId, out _);
                Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
            }
        }, CancellationToken.None);
    }

    private async Task DeleteAsync(JobMessage message, CancellationToken ct)
    {
        try
        {
            if (_queue is { } queue)
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
            }
            else
            {
                await _api.DeleteJobAsync(message, ct);
            }
        }
        catch (Exception e) when (e is RunnerApiException or RequestFailedException || StorageOutage.Is(e))
        {
            logger.LogWarning("Could not delete message {MessageId}: {Reason} (a second delivery is harmless: its claim fails)", message.MessageId, e.Message);
        }
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval, CancellationToken ct)
    {
        var lastBeat = Environment.TickCount64;
        while (!ct.IsCancellationRequested)
        {
            // Every second or two while sessions run (a stop reaches them in seconds), every interval when idle; sooner,
            // with jitter, after a failed one.
            await Task.Delay(_lease.NextDelay(BusyHeartbeat), ct);
            StopAgentsIfLeaseLapsed();
            if (_running.IsEmpty && Environment.TickCount64 - lastBeat < _lease.NextDelay(interval).TotalMilliseconds)
            {
                continue;
            }

            lastBeat = Environment.TickCount64;
            await HeartbeatAsync(ct);
        }
    }

    /// <summary>Out of Konduktor's reach for most of the lease: the agents stop now, before their sessions can be given to another runner.</summary>
    private void StopAgentsIfLeaseLapsed()
    {
        if (!_lease.Lapsed)
        {
            return;
        }

        foreach (var execution in _executions.Values)
        {
            execution.Abandon(_lease.LapsedReason(options.Name));
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        if (RunnerId is not { } runnerId)
        {
            return;
        }

        // A heartbeat that hangs (a network that drops packets) must not hold up the lease's clock.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_lease.Window / 4 < HeartbeatTimeout ? _lease.Window / 4 : HeartbeatTimeout);
        try
        {
            var beat = new RunnerHeartbeat
            {
                ActiveSessions = _running.Keys.ToList(),
                Capacity = options.Capacity,
                StorageOperations = _storageOperations.Total,
                QueueUrlExpiresAt = _queueExpiresAt,
                Note = _note,
                Agent = Agent?.Description,
                AgentProblem = Agent?.Problem,
                Account = Account,
            };
            var sentAt = TimeProvider.System.GetUtcNow();
            var reply = await _api.HeartbeatAsync(runnerId, beat, timeout.Token);
            _lease.Renewed(sentAt, reply.LeaseSeconds);
            NoteAccountLimit(reply);
            foreach (var execution in _executions.Values)
            {
                execution.RenewLease(_lease.Deadline);
            }

            foreach (var stop in reply.StopSessions)
            {
                if (_executions.TryGetValue(stop, out var execution))
                {
                    execution.RequestStop();
                }
            }

            foreach (var lost in reply.LostSessions ?? [])
            {
                if (_executions.TryGetValue(lost, out var execution))
                {
                    execution.Abandon($"Konduktor no longer counts session {Konduktor.Core.ShortId.Of(lost)} as runner {options.Name}'s (it was orphaned while the runner was out of reach), so the runner stopped its agent");
                }
            }

            if (reply.QueueUrl is { } url && reply.QueueUrlExpiresAt is { } expiresAt)
            {
                UseQueue(url, expiresAt);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _lease.Failed();
            logger.LogWarning("Heartbeat not answered in time; {Seconds:0} s since Konduktor last heard from this runner", _lease.SinceRenewal.TotalSeconds);
        }
        catch (RunnerApiException e)
        {
            _lease.Failed();
            logger.LogWarning("Heartbeat not delivered: {Reason}", e.Message);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException)
        {
            logger.LogError("Heartbeat reply not understood ({Reason}); are the runner and the API the same version?", e.Message);
        }
    }

    /// <summary>What Konduktor knows of the account's limit (another runner using it may have met it first).</summary>
    private void NoteAccountLimit(HeartbeatReply reply)
    {
        if (reply.AccountLimit is { IsRejected: true, ResetsAt: { } until })
        {
            NoteQuotaUntil(until);
        }
    }

    /// <summary>A limit met without a reset: look again this soon (Konduktor's own fallback comes with the next heartbeat).</summary>
    private static readonly TimeSpan UnknownResetWait = TimeSpan.FromMinutes(1);

    private void LogAgent()
    {
        if (Agent is not { } agent)
        {
            return;
        }

        if (agent.Ready)
        {
            logger.LogInformation("Agent: {Agent}", agent.Description);
        }
        else
        {
            logger.LogWarning("Agent not ready, no sessions are taken until it is: {Problem}", agent.Problem);
        }

        foreach (var note in agent.Notes)
        {
            logger.LogWarning("Agent: {Note}", note);
        }

        if (Sandbox is { Risk: { } risk })
        {
            logger.LogWarning("{Risk}", risk);
        }
    }

    /// <summary>
    /// Agents a crashed run of this runner left running: their sessions are (or will be) orphaned and may be resumed
    /// elsewhere, so they must not keep working in the worktree. Each is stopped like a stopped session.
    /// </summary>
    private async Task EndLeftoverAgentsAsync()
    {
        var folder = Path.Combine(options.WorkDirectory, "agents");
        foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder, "*.pid") : [])
        {
            // The agent led its own process group (same id as its pid): while the leader lives it must still be the
            // agent; once it is gone, a group by that id can only be what the agent left behind.
            if (int.TryParse(await File.ReadAllTextAsync(file), out var group) && ProcessSignals.GroupExists(group)
                && (!ProcessSignals.IsAlive(group) || ProcessSignals.CommandLine(group).Contains(Path.GetFileName(options.AgentCommand[0]), StringComparison.Ordinal)))
            {
                logger.LogWarning("Stopping agent process group {Group} left running by an earlier run of this runner (session {Session})", group, Path.GetFileNameWithoutExtension(file));
                await ProcessSignals.StopGroupAsync(group, TimeSpan.FromSeconds(10));
            }

            File.Delete(file);
        }
    }

    private async Task CleanupLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var busy = _executions.Values.Select(e => e.TaskId).OfType<Guid>().ToHashSet();
                var report = await _git.CleanupAsync(async tasks => await _api.TaskStatesAsync(tasks, ct), busy, (worktree, gitDirectory) => CleanUpWorktreeAsync(worktree, gitDirectory, ct), ct);
                _note = report.Summary;
                foreach (var removed in report.Removed)
                {
                    logger.LogInformation("Removed the worktree {Worktree}: its task is done", removed);
                }

                foreach (var kept in report.Kept)
                {
                    logger.LogWarning("Kept the worktree {Worktree} of a finished task: it holds work that is not on the remote", kept);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not OutOfMemoryException)
            {
                logger.LogWarning("Worktree cleanup did not finish: {Reason}", e.Message);
            }

            await Task.Delay(options.CleanupInterval, ct);
        }
    }

    /// <summary>
    /// The cleanup script (the workspace's, kept beside the worktree, else the repository's <c>.konduktor/cleanup</c>)
    /// before a worktree is removed: confined like an agent, without a session's credentials, for at most
    /// <see cref="CleanupTimeout"/>. Its output goes to the runner's log; a failure is logged and the removal goes on.
    /// </summary>
    private async Task CleanUpWorktreeAsync(string worktree, string gitDirectory, CancellationToken ct)
    {
        if (WorktreeSetup.FindCleanup(worktree, gitDirectory) is not { } script)
        {
            return;
        }

        var name = Path.GetFileName(worktree);
        var leaseFile = Path.Combine(options.WorkDirectory, "sessions", "cleanup-" + Guid.NewGuid().ToString("N")[..8], "lease");
        Directory.CreateDirectory(Path.GetDirectoryName(leaseFile)!);
        AgentLauncher.WriteLease(leaseFile, DateTimeOffset.UtcNow + CleanupTimeout + TimeSpan.FromSeconds(30));
        var mirror = Path.GetDirectoryName(Path.GetDirectoryName(gitDirectory))!;
        try
        {
            var (exitCode, tail, timedOut) = await WorktreeSetup.RunAsync(script, worktree, AgentInvocation.RemoveKonduktorsOwn(new System.Diagnostics.ProcessStartInfo()),
                start => System.Diagnostics.Process.Start(AgentLauncher.InNewSession(Sandbox!.Wrap(start, options.HiddenFromAgents, [worktree, mirror], [script.Path]), leaseFile))!,
                line => logger.LogInformation("Cleanup of {Worktree}: {Line}", name, line), CleanupTimeout, ct);
            if (timedOut || exitCode != 0)
            {
                logger.LogWarning("{Script} in {Worktree} {Failure}; the worktree is removed anyway. Its last lines:\n{Tail}", script.Name, name, timedOut ? $"did not finish in {CleanupTimeout.TotalMinutes:0} min" : $"exited with code {exitCode}", tail);
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(leaseFile)!, recursive: true);
        }
    }

    private async Task ShipLeftoverLogsAsync(CancellationToken ct)
    {
        foreach (var (workspaceId, sessionId, events) in LogShipper.Leftovers(Path.Combine(options.WorkDirectory, "spool")))
        {
            logger.LogInformation("Shipping {Count} log events of session {SessionId} left by an earlier run", events.Count, sessionId);
            await using var shipper = new LogShipper(_api, Path.Combine(options.WorkDirectory, "spool"), workspaceId, sessionId, logger, events);
            await shipper.CompleteAsync().WaitAsync(ct);
        }
    }

    /// <summary>The runner's own SAS URL for the job queue; null: it reads jobs through the API.</summary>
    private void UseQueue(Uri? url, DateTimeOffset? expiresAt)
    {
        if (url is null || expiresAt is null)
        {
            _queue = null;
            return;
        }

        var queueOptions = new QueueClientOptions();
        queueOptions.AddPolicy(_storageOperations.PolicyFor("queue"), Azure.Core.HttpPipelinePosition.PerRetry);
        _queue = new QueueClient(url, queueOptions);
        _queueExpiresAt = expiresAt.Value;
    }
}
