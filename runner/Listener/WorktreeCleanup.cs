using Konduktor.Core;
using Konduktor.Runner.Worker;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>
/// Every cleanup interval: the worktrees of tasks that are done are removed (after the workspace's cleanup script),
/// unless they hold work that is not on the remote; what it did is the runner's note in its next heartbeat.
/// </summary>
public sealed class WorktreeCleanup(RunnerOptions options, RunnerApi api, GitWorkspaces git, RunnerState state, TimeProvider clock, IIdGenerator ids, ILogger<WorktreeCleanup> logger)
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(2);

    public async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var busy = state.Executions.Values.Select(e => e.TaskId).OfType<Guid>().ToHashSet();
                var report = await git.CleanupAsync(async tasks => await api.TaskStatesAsync(tasks, ct), busy, (worktree, gitDirectory) => CleanUpWorktreeAsync(worktree, gitDirectory, ct), ct);
                state.Note = report.Summary;
                foreach (var removed in report.Removed)
                {
                    logger.LogInformation("Removed the worktree {Worktree}: its task is done", removed);
                }

                foreach (var kept in report.Kept)
                {
                    logger.LogWarning("Kept the worktree {Worktree} of a finished task: it holds work that is not on the remote", kept);
                }

                if (ClaudeTranscripts.ForgetOlderThan(options.WorkDirectory, clock.GetUtcNow() - ClaudeTranscripts.KeptFor) is > 0 and var forgotten)
                {
                    logger.LogInformation("Removed this runner's copies of {Count} transcript(s) not continued for {Days} days (storage keeps them)", forgotten, ClaudeTranscripts.KeptFor.TotalDays);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not OutOfMemoryException)
            {
                logger.LogWarning("Worktree cleanup did not finish: {Reason}", e.Message);
            }

            await Task.Delay(options.CleanupInterval, clock, ct);
        }
    }

    /// <summary>
    /// The cleanup script (the workspace's, kept beside the worktree, else the repository's <c>.konduktor/cleanup</c>)
    /// before a worktree is removed: confined like an agent, without a session's credentials, for at most
    /// <see cref="ScriptTimeout"/>. Its output goes to the runner's log; a failure is logged and the removal goes on.
    /// </summary>
    private async Task CleanUpWorktreeAsync(string worktree, string gitDirectory, CancellationToken ct)
    {
        if (WorktreeSetup.FindCleanup(worktree, gitDirectory) is not { } script)
        {
            return;
        }

        var name = Path.GetFileName(worktree);
        var leaseFile = Path.Combine(options.WorkDirectory, "sessions", "cleanup-" + ids.NewId().ToString("N")[..8], "lease");
        Directory.CreateDirectory(Path.GetDirectoryName(leaseFile)!);
        AgentLauncher.WriteLease(leaseFile, clock.GetUtcNow() + ScriptTimeout + TimeSpan.FromSeconds(30));
        var mirror = Path.GetDirectoryName(Path.GetDirectoryName(gitDirectory))!;
        var room = new AgentRoom(worktree, mirror, gitDirectory, Path.Combine(Path.GetDirectoryName(leaseFile)!, "home"), [script.Path]);
        Directory.CreateDirectory(room.Home);
        try
        {
            var (exitCode, tail, timedOut) = await WorktreeSetup.RunAsync(script, worktree, AgentEnvironment.Restrict(new System.Diagnostics.ProcessStartInfo()),
                start => System.Diagnostics.Process.Start(AgentLauncher.InNewSession(state.Sandbox!.Confine(start, room), leaseFile))!,
                line => logger.LogInformation("Cleanup of {Worktree}: {Line}", name, line), ScriptTimeout, ct);
            if (timedOut || exitCode != 0)
            {
                logger.LogWarning("{Script} in {Worktree} {Failure}; the worktree is removed anyway. Its last lines:\n{Tail}", script.Name, name, timedOut ? $"did not finish in {ScriptTimeout.TotalMinutes:0} min" : $"exited with code {exitCode}", tail);
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(leaseFile)!, recursive: true);
        }
    }
}
