using Azure;
using Konduktor.Core.Results;
using Polly;
using Polly.Retry;

namespace Konduktor.Core.Storage;

/// <summary>
/// Every update is conditional on the ETag it read. A lost race (412) re-reads and re-applies the change on the
/// fresh state, with jittered backoff; if it keeps losing, the caller gets a <see cref="Conflict"/> — never a silent overwrite.
/// </summary>
public static class Optimistic
{
    private static readonly ResiliencePipeline LostRaceRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<RequestFailedException>(IsLostRace),
            MaxRetryAttempts = 60,
            Delay = TimeSpan.FromMilliseconds(5),
            MaxDelay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    /// <summary>Runs <paramref name="attempt"/> (read, change, conditional write) until it wins or gives up.</summary>
    public static async Task<Result<T>> UpdateAsync<T>(Func<CancellationToken, Task<Result<T>>> attempt, string what, CancellationToken ct)
    {
        try
        {
            return await LostRaceRetry.ExecuteAsync(async token => await attempt(token), ct);
        }
        catch (RequestFailedException e) when (IsLostRace(e))
        {
            return new Conflict($"{what} is being changed by many writers at once; nothing was changed, try again");
        }
    }

    public static bool IsLostRace(RequestFailedException e) => e.Status == 412;
}
