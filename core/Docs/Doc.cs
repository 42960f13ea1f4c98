using System.Runtime.Serialization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Docs;

/// <summary>A markdown document of a workspace, read and written by people and agents. Every update keeps the version before it.</summary>
public sealed record Doc
{
    public required Guid Id { get; init; }

    public required Guid WorkspaceId { get; init; }

    public required string Title { get; init; }

    /// <summary>Unique in the workspace; <c>docs show SLUG</c> finds the doc by it.</summary>
    public required string Slug { get; init; }

    /// <summary>The markdown; null in listings.</summary>
    public string? Content { get; init; }

    public required int ContentLength { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>1 for the first text, one more for each update.</summary>
    public required int VersionNumber { get; init; }

    /// <summary>Who created the doc: a person, or an agent's session.</summary>
    public required string CreatedBy { get; init; }

    public required string UpdatedBy { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The ETag: pass it as If-Match to update only what you read.</summary>
    public required string Version { get; init; }

    public string ShortId => Core.ShortId.Of(Id);
}

/// <summary>One kept version of a doc (the history).</summary>
public sealed record DocVersion(int Number, string Title, int ContentLength, string UpdatedBy, DateTimeOffset UpdatedAt);

public sealed record NewDoc
{
    public required string Title { get; init; }

    public string? Content { get; init; }

    /// <summary>Default: made from the title.</summary>
    public string? Slug { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>A change to a doc: fields left null stay.</summary>
public sealed record DocChanges(string? Title = null, string? Content = null, IReadOnlyList<string>? AddTags = null, IReadOnlyList<string>? RemoveTags = null);

/// <summary>PartitionKey = workspace UUID; RowKey = doc UUID, or <c>slug-{slug}</c> for the row that keeps slugs unique.</summary>
internal sealed class DocEntity : ITableEntity
{
    public const string SlugRowPrefix = "slug-";

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Title { get; set; } = "";

    public string Slug { get; set; } = "";

    public string? Content { get; set; }

    public string? ContentBlob { get; set; }

    public int ContentLength { get; set; }

    public string Tags { get; set; } = "[]";

    public int VersionNumber { get; set; } = 1;

    public string CreatedBy { get; set; } = "";

    public string UpdatedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>On a slug row: the doc it names.</summary>
    public string? DocId { get; set; }

    [IgnoreDataMember]
    public StoredText StoredContent => new(Content, ContentBlob);

    [IgnoreDataMember]
    public List<string> TagList => JsonSerializer.Deserialize<List<string>>(Tags) ?? [];

    public Doc ToDoc(string? content) => new()
    {
        Id = Guid.Parse(RowKey),
        WorkspaceId = Guid.Parse(PartitionKey),
        Title = Title,
        Slug = Slug,
        Content = content,
        ContentLength = ContentLength,
        Tags = TagList,
        VersionNumber = VersionNumber,
        CreatedBy = CreatedBy,
        UpdatedBy = UpdatedBy,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        Version = ETag.ToString(),
    };
}

/// <summary>PartitionKey = workspace UUID; RowKey = <c>{doc UUID}-{number:D6}</c>: a version as it was before an update.</summary>
internal sealed class DocVersionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public int Number { get; set; }

    public string Title { get; set; } = "";

    public string? Content { get; set; }

    public string? ContentBlob { get; set; }

    public int ContentLength { get; set; }

    public string UpdatedBy { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }

    public static string Row(Guid docId, int number) => $"{ShortId.Format(docId)}-{number:D6}";
}
