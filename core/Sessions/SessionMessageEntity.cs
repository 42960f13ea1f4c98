using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Konduktor.Core.Sessions;

/// <summary>PartitionKey = task UUID; RowKey = when it was said (ticks, zero-padded) and its id: a task's messages in order.</summary>
internal sealed class SessionMessageEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string WorkspaceId { get; set; } = "";

    /// <summary>The session that was active when it was said.</summary>
    public string SessionId { get; set; } = "";

    public string From { get; set; } = "";

    public string Text { get; set; } = "";

    public string Via { get; set; } = "";

    public bool Now { get; set; }

    public DateTimeOffset SentAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    public string? DeliveredInSessionId { get; set; }

    public static string RowKeyFor(DateTimeOffset sentAt, Guid id) =>
        sentAt.UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + "-" + ShortId.Format(id);

    public static string IdOf(string rowKey) => rowKey[20..];

    public SessionMessage ToMessage() => new()
    {
        Id = Guid.Parse(IdOf(RowKey)),
        TaskId = Guid.Parse(PartitionKey),
        SessionId = Guid.Parse(SessionId),
        From = From,
        SentAt = SentAt,
        Text = Text,
        Via = Enum.Parse<MessageVia>(Via),
        Now = Now,
        DeliveredAt = DeliveredAt,
        DeliveredInSessionId = DeliveredInSessionId is null ? null : Guid.Parse(DeliveredInSessionId),
    };
}
