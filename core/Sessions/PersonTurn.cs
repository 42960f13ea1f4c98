namespace Konduktor.Core.Sessions;

/// <summary>
/// What a person said to the agent, as its runner logs it the moment the agent is given it (log stream
/// <c>person</c>): the task's prompt when the session started, a resume's message, a message said while it ran, an
/// answer to its question. <paramref name="From"/> is who said it, <paramref name="SentAt"/> when.
/// </summary>
public sealed record PersonTurn(string Text, MessageVia Via, string? From = null, DateTimeOffset? SentAt = null, bool Now = false);
