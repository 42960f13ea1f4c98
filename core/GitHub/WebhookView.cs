namespace Konduktor.Core.GitHub;

/// <summary>What to paste into the repository's Settings → Webhooks.</summary>
public sealed record WebhookView(string PayloadUrl, string Secret, string ContentType, IReadOnlyList<string> Events);
