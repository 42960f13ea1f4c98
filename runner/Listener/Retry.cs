using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Konduktor.Runner.Listener;

/// <summary>Calls the API until it accepts or refuses for good: outages (5xx, unreachable, timeouts) are waited out.</summary>
public static class Retry
{
    private static readonly ResiliencePipeline Transient = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<RunnerApiException>(e => e.IsTransient),
            MaxRetryAttempts = int.MaxValue,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    public static async Task<T> UntilAcceptedAsync<T>(Func<CancellationToken, Task<T>> call, ILogger logger, string what, CancellationToken ct)
    {
        try
        {
            return await Transient.ExecuteAsync(async token => await call(token), ct);
        }
        catch (RunnerApiException e)
        {
            logger.LogError("Could not {What}: {Reason}", what, e.Message);
            throw;
        }
    }
}
