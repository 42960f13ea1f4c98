using System.Text.Json;
using Konduktor.Core.Runners;
using Konduktor.Runner.Sandbox;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>
/// A runner, as the anchors' listener: registers (or comes back with the credential it kept), ends what a crashed run of
/// it left behind, then runs its parts until cancelled — the intake that claims session jobs, the heartbeat that holds
/// the lease and carries stops, and the worktree cleanup — and lets its sessions wind down. Cancelling <c>RunAsync</c>
/// shuts it down gracefully.
/// </summary>
public sealed class KonduktorRunner(RunnerOptions options, RunnerApi api, RunnerLease lease, RunnerState state, AgentCheck agent, JobSource jobs, JobIntake intake,
    Heartbeats heartbeats, WorktreeCleanup cleanup, AgentHomes homes, TimeProvider clock, ILogger<KonduktorRunner> logger)
{
    public async Task RunAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(options.WorkDirectory);
        if (state.Agent is null)
        {
            await agent.CheckAsync(ct);
            agent.Log();
        }

        var registration = await Retry.UntilAcceptedAsync(RegisterAsync, logger, "register the runner", ct);
        state.RunnerId = registration.RunnerId;
        lease.Renewed(clock.GetUtcNow(), registration.LeaseSeconds);
        api.UseToken(registration.Token);
        jobs.Use(registration.QueueUrl, registration.QueueUrlExpiresAt);
        logger.LogInformation("Runner {RunnerName} registered ({RunnerId}), capacity {Capacity}, account {Account}, work dir {WorkDirectory}, jobs {JobSource}", options.Name, registration.RunnerId, options.Capacity, state.Account, options.WorkDirectory, jobs.Direct ? "from the queue" : "through the API");

        await EndLeftoverAgentsAsync();
        foreach (var conversation in homes.KeepLeftovers())
        {
            logger.LogInformation("Kept the transcript of conversation {Conversation} left by an earlier run, for a resume here", conversation);
        }

        var leftovers = ShipLeftoverLogsAsync(ct);
        var beating = heartbeats.LoopAsync(TimeSpan.FromSeconds(registration.HeartbeatSeconds), ct);
        var cleaning = cleanup.LoopAsync(ct);
        try
        {
            await intake.LoopAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogInformation("Runner {RunnerName} stopping: {Count} session(s) to wind down", options.Name, state.Running.Count);
        }

        await Task.WhenAll(state.Running.Values);
        await Task.WhenAll(beating.ContinueWith(_ => { }, TaskScheduler.Default), leftovers.ContinueWith(_ => { }, TaskScheduler.Default), cleaning.ContinueWith(_ => { }, TaskScheduler.Default));
    }

    /// <summary>
    /// Who the runner is: the credential it kept from an earlier registration (its queue access comes with a heartbeat),
    /// else a one-time registration secret traded for a credential it then keeps, else a person's credential.
    /// </summary>
    private async Task<RunnerRegistration> RegisterAsync(CancellationToken ct)
    {
        var self = new RegisterRunner { Name = options.Name, Capacity = options.Capacity, Host = Environment.MachineName, Version = options.Version, Agent = state.Agent?.Description, AgentProblem = state.Agent?.Problem, Account = state.Account };
        if (options.CredentialFile is { } file && File.Exists(file))
        {
            var kept = JsonSerializer.Deserialize(await File.ReadAllTextAsync(file, ct), RunnerFilesJson.Default.KeptCredential)!;
            api.UseToken(kept.Token);
            var reply = await api.HeartbeatAsync(kept.RunnerId, new RunnerHeartbeat { Capacity = options.Capacity, QueueUrlExpiresAt = DateTimeOffset.MinValue, Agent = state.Agent?.Description, AgentProblem = state.Agent?.Problem, Account = state.Account }, ct);
            state.NoteAccountLimit(reply);
            return new RunnerRegistration(kept.RunnerId, options.Name, kept.Token, RunnerService.HeartbeatSeconds, reply.QueueUrl, reply.QueueUrlExpiresAt, reply.LeaseSeconds);
        }

        if (options.RegistrationSecret is { } secret)
        {
            var registration = await api.ExchangeAsync(secret, self, ct);
            if (options.CredentialFile is { } keep)
            {
                PrivateFile.Write(keep, JsonSerializer.Serialize(new KeptCredential(registration.RunnerId, registration.Token), RunnerFilesJson.Default.KeptCredential));
            }

            api.UseToken(registration.Token);
            return registration;
        }

        api.UseToken(options.UserToken ?? throw new InvalidOperationException("a runner needs a person's token, a registration secret or a kept credential"));
        return await api.RegisterAsync(self, ct);
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

    private async Task ShipLeftoverLogsAsync(CancellationToken ct)
    {
        foreach (var (workspaceId, sessionId, events) in LogShipper.Leftovers(Path.Combine(options.WorkDirectory, "spool")))
        {
            logger.LogInformation("Shipping {Count} log events of session {SessionId} left by an earlier run", events.Count, sessionId);
            await using var shipper = new LogShipper(api, Path.Combine(options.WorkDirectory, "spool"), workspaceId, sessionId, logger, events, clock: clock);
            await shipper.CompleteAsync().WaitAsync(ct);
        }
    }
}
