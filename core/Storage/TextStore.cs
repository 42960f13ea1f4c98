using Azure.Storage.Blobs;

namespace Konduktor.Core.Storage;

/// <summary>
/// Large text (descriptions, prompts, docs) next to a table entity: short text stays inline in the entity,
/// text past Table Storage's 64 KiB property limit goes to a blob whose name the entity keeps.
/// A blob is written before the entity that points to it and is never overwritten (new text, new blob),
/// so a lost race or a failed write never leaves an entity pointing at the wrong text.
/// </summary>
public sealed class TextStore(StorageClients storage)
{
    /// <summary>UTF-16 characters that fit one string property (64 KiB) with room to spare.</summary>
    public const int InlineLimit = 30_000;

    private const string ContainerName = "texts";

    public async Task<StoredText> SaveAsync(string owner, string text, CancellationToken ct)
    {
        if (text.Length <= InlineLimit)
        {
            return new StoredText(text, null);
        }

        var container = await storage.Container(ContainerName);
        var name = $"{owner}/{Guid.NewGuid():N}.md";
        await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(text), overwrite: false, ct);
        return new StoredText(null, name);
    }

    public async Task<string> LoadAsync(StoredText stored, CancellationToken ct)
    {
        if (stored.BlobName is null)
        {
            return stored.Inline ?? "";
        }

        var container = await storage.Container(ContainerName);
        var content = await container.GetBlobClient(stored.BlobName).DownloadContentAsync(ct);
        return content.Value.Content.ToString();
    }

    /// <summary>Removes a blob nothing points to any more. Best effort: a leftover blob costs bytes, never correctness.</summary>
    public async Task ForgetAsync(StoredText stored)
    {
        if (stored.BlobName is null)
        {
            return;
        }

        var container = await storage.Container(ContainerName);
        try
        {
            await container.GetBlobClient(stored.BlobName).DeleteIfExistsAsync();
        }
        catch (Azure.RequestFailedException)
        {
            // Left for a later cleanup; the entity no longer refers to it.
        }
    }
}

/// <summary>Text as stored: inline, or the name of the blob holding it.</summary>
public sealed record StoredText(string? Inline, string? BlobName);
