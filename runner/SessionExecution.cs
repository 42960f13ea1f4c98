using System.Diagnostics;
using Konduktor.Core;
using Konduktor.Core.Sessions;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner;

/// <summary>
/// One claimed session on this runner: worktree, the agent process with the session's environment, every line
/// it writes shipped as a log event, stream-json understood (Claude session id, outcome), the result reported.
/// </summary>
public sealed partial class SessionExecution(RunnerOptions options, RunnerApi api, GitWorkspaces git, SessionJob job, ILogger logger)
{
    private const int StderrTailLines = 30;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private readonly TaskCompletionSource<Process> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopRequested;
    private string? _worktree;

    public Guid SessionId => job.Session.Id;

    public Guid? TaskId => job.Session.TaskId;

    /// <summary>Stops the agent's whole process tree: SIGTERM, then SIGKILL after a grace period. The worktree stays.</summary>
    public void RequestStop()
    {
        if (_stopRequested)
        {
            return;
        }

        _stopRequested = true;
        logger.LogInformation("Stopping session {SessionId} as asked", SessionId);
        _ = _started.Task.ContinueWith(started => ProcessSignals.StopTreeAsync(started.Result, StopGrace), TaskScheduler.Default).Unwrap();
    }

    public async Task RunAsync(CancellationToken shutdown)
    {
        var session = job.Session;
        await using var shipper = new LogShipper(api, Path.Combine(options.WorkDirectory, "spool"), session.WorkspaceId, session.Id, logger);
        SessionReport report;
        try
        {
            shipper.Add("konduktor", $"runner {options.Name} preparing the worktree of branch {job.Branch}");
            var worktree = _worktree = await git.PrepareAsync(job.Repository, job.DefaultBranch, job.Branch, session.WorkspaceId, session.TaskId ?? Guid.Empty, session.Id, shutdown, fresh: job.FreshWorktree);
            if (job.ResumeClaudeSessionId is { } resume)
            {
                await RestoreTranscriptAsync(worktree, resume, shipper, shutdown);
            }

            report = await RunAgentAsync(worktree, shipper, shutdown);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            report = new SessionReport { Status = SessionStatus.Failed, Error = $"runner {options.Name} shut down while the session ran; resume the task to continue" };
        }
        catch (Exception e) when (e is CommandFailedException or RunnerApiException or IOException or System.ComponentModel.Win32Exception or UnauthorizedAccessException)
        {
            shipper.Add("konduktor", e.Message);
            report = new SessionReport { Status = SessionStatus.Failed, Error = e.Message };
        }

        if (_worktree is { } kept)
        {
            await KeepWorkAsync(kept, report.ClaudeSessionId ?? job.ResumeClaudeSessionId, shipper);
        }

        await shipper.CompleteAsync();
        using var grace = new CancellationTokenSource(shutdown.IsCancellationRequested ? TimeSpan.FromSeconds(10) : Timeout.InfiniteTimeSpan);
        await Retry.UntilAcceptedAsync(ct => api.ReportAsync(session.WorkspaceId, session.Id, report with { LastSequence = shipper.LastSequence }, ct), logger, "report the outcome of session " + session.ShortId, grace.Token);
        logger.LogInformation("Session {SessionId} ended {Status}", session.Id, report.Status);
    }

    private async Task<SessionReport> RunAgentAsync(string worktree, LogShipper shipper, CancellationToken shutdown)
    {
        var session = job.Session;
        var start = new ProcessStartInfo(options.AgentCommand[0])
        {
            WorkingDirectory = worktree,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in AgentArguments())
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["KONDUKTOR_URL"] = options.ApiUrl.ToString().TrimEnd('/');
        start.Environment["KONDUKTOR_TOKEN"] = job.Token;
        start.Environment["KONDUKTOR_WORKSPACE"] = ShortId.Format(session.WorkspaceId);
        start.Environment["KONDUKTOR_TASK"] = session.TaskId is { } taskId ? ShortId.Format(taskId) : "";
        start.Environment["KONDUKTOR_SESSION"] = ShortId.Format(session.Id);
        if (options.KonduktorDirectory is { } konduktor)
        {
            start.Environment["PATH"] = konduktor + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        }

        using var process = Process.Start(start) ?? throw new CommandFailedException($"could not start the agent '{options.AgentCommand[0]}'");
        _started.TrySetResult(process);
        var pidFile = AgentPidFile(options.WorkDirectory, session.Id);
        Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
        await File.WriteAllTextAsync(pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
        process.StandardInput.Close();
        shipper.Add("konduktor", $"agent started (pid {process.Id}) in {worktree}");
        try
        {
            await Retry.UntilAcceptedAsync(ct => api.ReportAsync(session.WorkspaceId, session.Id, new SessionReport { Status = SessionStatus.Running }, ct), logger, "report session " + session.ShortId + " running", shutdown);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        string? claudeSessionId = null;
        SessionOutcome? outcome = null;
        var stderrTail = new Queue<string>();
        var stdout = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
            {
                shipper.Add("stdout", line);
                if (line.Length == 0 || line[0] != '{')
                {
                    continue;
                }

                switch (ClaudeEvent.Parse(line))
                {
                    case ClaudeEvent.Init init when init.SessionId.Length > 0 && claudeSessionId is null:
                        claudeSessionId = init.SessionId;
                        _ = ReportClaudeSessionAsync(init.SessionId, shutdown);
                        break;
                    case ClaudeEvent.Result result:
                        outcome = result.Outcome;
                        break;
                }
            }
        }, CancellationToken.None);
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
            {
                shipper.Add("stderr", line);
                lock (stderrTail)
                {
                    stderrTail.Enqueue(line);
                    if (stderrTail.Count > StderrTailLines)
                    {
                        stderrTail.Dequeue();
                    }
                }
            }
        }, CancellationToken.None);

        try
        {
            await process.WaitForExitAsync(shutdown);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(stdout, stderr);
            throw;
        }

        await Task.WhenAll(stdout, stderr);
        File.Delete(pidFile);
        var exitCode = process.ExitCode;
        shipper.Add("konduktor", $"agent exited with code {exitCode}");
        string tail;
        lock (stderrTail)
        {
            tail = string.Join('\n', stderrTail);
        }

        if (_stopRequested)
        {
            return new SessionReport { Status = SessionStatus.Stopped, ClaudeSessionId = claudeSessionId, ExitCode = exitCode, Error = "stopped as asked", Outcome = outcome };
        }

        var succeeded = outcome is { Succeeded: true } && exitCode == 0;
        var error = succeeded ? null
            : outcome is { } o ? $"the agent's result was {o.Subtype}{(o.IsError ? " (is_error)" : "")}{(exitCode != 0 ? $", exit code {exitCode}" : "")}: {o.Result}"
            : $"the agent exited with code {exitCode} without a result{(tail.Length > 0 ? ":\n" + tail : "")}";
        return new SessionReport
        {
            Status = succeeded ? SessionStatus.Succeeded : SessionStatus.Failed,
            ClaudeSessionId = claudeSessionId,
            ExitCode = exitCode,
            Error = error is { Length: > 4000 } ? error[^4000..] : error,
            Outcome = outcome,
        };
    }

    /// <summary>Where a running agent's pid is noted, so a runner restarted after a crash can end agents left behind.</summary>
    public static string AgentPidFile(string workDirectory, Guid sessionId) => Path.Combine(workDirectory, "agents", $"{sessionId:N}.pid");

    /// <summary>Where Claude Code keeps a conversation's transcript for a working directory.</summary>
    public static string TranscriptPath(string worktree, string claudeSessionId) =>
        Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
            ".claude", "projects", NotAlphanumeric().Replace(worktree, "-"), claudeSessionId + ".jsonl");

    /// <summary>A resume on a runner that never had the conversation: bring its transcript back from storage first.</summary>
    private async Task RestoreTranscriptAsync(string worktree, string claudeSessionId, LogShipper shipper, CancellationToken ct)
    {
        var file = TranscriptPath(worktree, claudeSessionId);
        if (File.Exists(file))
        {
            return;
        }

        var restored = await Retry.UntilAcceptedAsync(token => api.LoadTranscriptAsync(job.Session.WorkspaceId, job.Session.Id, file, token), logger, "restore the transcript", ct);
        shipper.Add("konduktor", restored
            ? $"restored the transcript of conversation {claudeSessionId} from storage"
            : $"no transcript of conversation {claudeSessionId} is kept; the agent starts without it");
    }

    /// <summary>
    /// After every session: the transcript goes to storage (so any runner can resume), and commits the agent left
    /// on the task branch are pushed (so the work is never only on this machine). Best effort, reported in the log.
    /// </summary>
    private async Task KeepWorkAsync(string worktree, string? claudeSessionId, LogShipper shipper)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            if (claudeSessionId is not null && File.Exists(TranscriptPath(worktree, claudeSessionId)))
            {
                await Retry.UntilAcceptedAsync(async token =>
                {
                    await api.SaveTranscriptAsync(job.Session.WorkspaceId, job.Session.Id, TranscriptPath(worktree, claudeSessionId), token);
                    return true;
                }, logger, "keep the transcript", limit.Token);
            }

            // A scheduled agent's worktree is refreshed on its next run; what it makes goes through tasks, not this branch.
            if (!job.FreshWorktree && await GitWorkspaces.UnpushedCommitsAsync(worktree, job.Branch, job.DefaultBranch, limit.Token) > 0)
            {
                await GitWorkspaces.PushAsync(worktree, job.Branch, limit.Token);
                shipper.Add("konduktor", $"pushed the agent's commits on {job.Branch} so they are kept");
            }
        }
        catch (Exception e) when (e is RunnerApiException or CommandFailedException or IOException or OperationCanceledException)
        {
            shipper.Add("konduktor", $"could not keep everything of this session: {e.Message}");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("[^A-Za-z0-9]")]
    private static partial System.Text.RegularExpressions.Regex NotAlphanumeric();

    private IEnumerable<string> AgentArguments()
    {
        foreach (var argument in options.AgentCommand.Skip(1))
        {
            yield return argument;
        }

        yield return "-p";
        yield return job.Prompt;
        yield return "--output-format";
        yield return "stream-json";
        yield return "--verbose";
        yield return "--append-system-prompt";
        yield return job.SystemPrompt;
        yield return "--permission-mode";
        yield return job.PermissionMode;
        if (job.Model is { Length: > 0 } model)
        {
            yield return "--model";
            yield return model;
        }

        if (job.ResumeClaudeSessionId is { Length: > 0 } resume)
        {
            yield return "--resume";
            yield return resume;
        }

        if (job.MaxTurns is { } maxTurns)
        {
            yield return "--max-turns";
            yield return maxTurns.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (job.MaxBudgetUsd is { } budget)
        {
            yield return "--max-budget-usd";
            yield return budget.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
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
