using Azure;

namespace Konduktor.Core.Storage;

/// <summary>Whether a storage call failed because storage is away (unreachable or failing), rather than because of what was asked.</summary>
public static class StorageOutage
{
    /// <summary>One error, or — once the SDK's retries are spent — an <see cref="AggregateException"/> of them.</summary>
    public static bool Is(Exception e) => e switch
    {
        RequestFailedException { Status: 0 or >= 500 } => true,
        AggregateException { InnerExceptions.Count: > 0 } many => many.InnerExceptions.All(Is),
        _ => false,
    };
}
