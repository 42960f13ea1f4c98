using System.Diagnostics;
using Konduktor.Core;
using Konduktor.Core.Sessions;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner;

/// <summary>
/// One claimed session on this runner: worktree, the agent process with the session's environment, every line
/// it writes shipped as a log event, stream-json understood (Claude session id, outcome), the result reported.
/// </summary>
public sealed class SessionExecution(RunnerOptions options, RunnerApi api, GitWorkspaces git, SessionJob job, ILogger logger)
{
    private const int StderrTailLines = 30;

    public Guid SessionId => job.Session.Id;

    public async Task RunAsync(CancellationToken shutdown)
    {
        var session = job.Session;
        await using var shipper = new LogShipper(api, Path.Combine(options.WorkDirectory, "spool"), session.WorkspaceId, session.Id, logger);
        SessionReport report;
        try
        {
            shipper.Add("konduktor", $"runner {options.Name} preparing the worktree of branch {job.Branch}");
            var worktree = await git.PrepareAsync(job.Repository, job.DefaultBranch, job.Branch, session.TaskId ?? Guid.Empty, session.Id, shutdown);
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
        var exitCode = process.ExitCode;
        shipper.Add("konduktor", $"agent exited with code {exitCode}");
        string tail;
        lock (stderrTail)
        {
            tail = string.Join('\n', stderrTail);
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
