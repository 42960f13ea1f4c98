namespace Konduktor.Core.Results;

/// <summary>A domain failure: expected, typed, and carrying a message a person can act on.</summary>
public abstract record Failure(string Message);

/// <summary>Nothing matches the given id or name.</summary>
public sealed record NotFound(string Message) : Failure(Message);

/// <summary>A short id matches more than one entity; <see cref="Matches"/> lists their full ids.</summary>
public sealed record Ambiguous(string Message, IReadOnlyList<string> Matches) : Failure(Message);

/// <summary>The request clashes with the current state (a lost race, a duplicate, a rule about state).</summary>
public sealed record Conflict(string Message) : Failure(Message);

/// <summary>The input breaks a rule; <see cref="Field"/> names the offending field when there is one.</summary>
public sealed record Invalid(string Message, string? Field = null) : Failure(Message);

/// <summary>The input is larger than allowed.</summary>
public sealed record TooLarge(string Message) : Failure(Message);

/// <summary>No principal, or the credentials are not valid.</summary>
public sealed record Unauthorized(string Message) : Failure(Message);

/// <summary>The principal is known but may not do this.</summary>
public sealed record Forbidden(string Message) : Failure(Message);

/// <summary>Refused for now, not for good: a usage limit in force until <see cref="Until"/>.</summary>
public sealed record Throttled(string Message, DateTimeOffset Until) : Failure(Message);

/// <summary>A budget would be exceeded: the message gives the figures and when the budget resets.</summary>
public sealed record OverBudget(string Message) : Failure(Message);
