using Konduktor.Core.Sessions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Konduktor.Functions;

/// <summary>Sessions nobody will finish: orphaned when their runner goes silent, lost job messages sent again; sessions that waited for quota continued.</summary>
public sealed class JanitorFunctions(SessionJanitor janitor, ILogger<JanitorFunctions> logger)
{
    [Function("SessionJanitor")]
    public async Task Run([TimerTrigger("*/30 * * * * *")] TimerInfo timer, CancellationToken ct)
    {
        var report = await janitor.RunAsync(ct);
        if (report.Orphaned + report.Requeued + report.Continued > 0)
        {
            logger.LogInformation("Janitor: {Orphaned} session(s) orphaned, {Requeued} job(s) sent again, {Continued} continued after a usage limit, {Tidied} index row(s) tidied", report.Orphaned, report.Requeued, report.Continued, report.Tidied);
        }
    }
}
