using Konduktor.Core.GitHub;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Konduktor.Functions;

/// <summary>Slow GitHub work, off the request paths: a failure is retried by the queue (five tries, then the poison queue).</summary>
public sealed class GitHubWorkFunctions(GitHubWorker worker, ILogger<GitHubWorkFunctions> logger)
{
    [Function("GitHubWork")]
    public async Task Run([QueueTrigger(GitHubWork.QueueName, Connection = "AzureWebJobsStorage")] string message, CancellationToken ct)
    {
        if (GitHubWork.Read(message) is not { } item)
        {
            logger.LogWarning("Dropping a github-work message that is not one of Konduktor's");
            return;
        }

        var result = await worker.HandleAsync(item, ct);
        logger.LogInformation("GitHub work {Kind} for workspace {WorkspaceId}: {Result}", item.Kind, item.WorkspaceId, result);
    }
}

/// <summary>Tasks kept in line with GitHub without webhooks (none reach a laptop) and after missed deliveries.</summary>
public sealed class ReconcilerFunctions(PullRequestReconciler reconciler, ILogger<ReconcilerFunctions> logger)
{
    [Function("ReconcilePullRequests")]
    public async Task Run([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken ct)
    {
        var pass = await reconciler.RunAsync(ct);
        if (pass.Changed > 0 || pass.PausedUntil is not null)
        {
            logger.LogInformation("Reconciler: {Looked} pull request(s) looked at, {Changed} task(s) changed{Paused}", pass.Looked, pass.Changed, pass.PausedUntil is { } until ? $", paused until {until:u}" : "");
        }
    }
}

/// <summary>The issues a workspace follows, found without webhooks: one conditional request per workspace while nothing changed.</summary>
public sealed class IssueReconcilerFunctions(IssueReconciler reconciler, ILogger<IssueReconcilerFunctions> logger)
{
    [Function("ReconcileIssues")]
    public async Task Run([TimerTrigger("30 * * * * *")] TimerInfo timer, CancellationToken ct)
    {
        var pass = await reconciler.RunAsync(ct);
        if (pass.Changed > 0 || pass.PausedUntil is not null)
        {
            logger.LogInformation("Issues: {Looked} issue(s) looked at, {Changed} changed a task{Paused}", pass.Looked, pass.Changed, pass.PausedUntil is { } until ? $", paused until {until:u}" : "");
        }
    }
}
