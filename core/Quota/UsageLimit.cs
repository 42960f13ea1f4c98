namespace Konduktor.Core.Quota;

/// <summary>
/// What Claude Code said of its account's usage limit (a <c>rate_limit_event</c>, from the API's
/// <c>anthropic-ratelimit-unified-*</c> headers): allowed, allowed_warning or rejected, for which window, and when it resets.
/// </summary>
public sealed record UsageLimit(string Status, string? Window = null, DateTimeOffset? ResetsAt = null)
{
    public const string Rejected = "rejected";
    public const string Warning = "allowed_warning";
    public const string Allowed = "allowed";

    public bool IsRejected => Status == Rejected;

    public bool IsWarning => Status == Warning;

    /// <summary>
    /// The limit a run ended on, or null when it did not: the rejection Claude Code announced, else an API 429 whose
    /// reset nobody gave. Never read from the error's text, which changes between versions.
    /// </summary>
    public static UsageLimit? EndedOn(bool succeeded, int? apiErrorStatus, UsageLimit? lastSeen) =>
        succeeded ? null
        : lastSeen is { IsRejected: true } ? lastSeen
        : apiErrorStatus == 429 ? new UsageLimit(Rejected)
        : null;
}

/// <summary>How long Konduktor believes a usage limit lasts: its announced reset, kept to a sane range.</summary>
public sealed record QuotaOptions
{
    public const string Section = "Konduktor:Quota";

    /// <summary>A reset sooner than this (or already past, a clock that is off) waits this long.</summary>
    public TimeSpan MinimumWait { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest window is a week: a reset further off than this is not believed.</summary>
    public TimeSpan MaximumWait { get; init; } = TimeSpan.FromDays(8);

    /// <summary>When no reset was given (an API 429 alone).</summary>
    public TimeSpan FallbackWait { get; init; } = TimeSpan.FromHours(1);

    /// <summary>When the limit is over: its reset, clamped to the range; the fallback when it has none.</summary>
    public DateTimeOffset ResetOf(UsageLimit limit, DateTimeOffset now) =>
        limit.ResetsAt is { } at
            ? at < now + MinimumWait ? now + MinimumWait : at > now + MaximumWait ? now + MaximumWait : at
            : now + FallbackWait;
}
