using Konduktor.Core.Sessions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Konduktor.Functions;

/// <summary>Session logs leave the table store: rows into compressed chunks every few seconds (and the old layout's, once).</summary>
public sealed class LogCompactionFunctions(LogCompactor compactor, ILogger<LogCompactionFunctions> logger)
{
    [Function("LogCompaction")]
    public async Task Run([TimerTrigger("*/5 * * * * *")] TimerInfo timer, CancellationToken ct)
    {
        var report = await compactor.RunAsync(ct);
        if (report.Moved > 0 || report.Migrated > 0)
        {
            logger.LogDebug("Logs: {Moved} event(s) of {Sessions} session(s) moved into chunks; {Migrated} session(s) of the old layout", report.Moved, report.Sessions, report.Migrated);
        }
    }
}
