using Konduktor.Core.Sessions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Konduktor.Functions;

/// <summary>Tasks marked to run by themselves whose start a stopped host owed: the queue starts them at once, this catches the rest.</summary>
public sealed class AutoRunFunctions(AutoRuns autoRuns, ILogger<AutoRunFunctions> logger)
{
    [Function("SweepAutoRuns")]
    public async Task Run([TimerTrigger("15 * * * * *")] TimerInfo timer, CancellationToken ct)
    {
        var started = await autoRuns.SweepAsync(ct);
        if (started > 0)
        {
            logger.LogInformation("Auto-run sweep: {Started} task(s) started that nothing blocks any more", started);
        }
    }
}
