using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Docs;

/// <summary>
/// A workspace's markdown docs. A doc is found by its id (a unique prefix) or its slug. Every update first keeps the
/// version it replaces, so nothing an agent writes destroys a person's text; deleting is for people only.
/// </summary>
public sealed partial class DocService(WorkspaceService workspaces, StorageClients storage, TextStore texts, TimeProvider clock, IIdGenerator ids, ILogger<DocService> logger)
{
    public const int MaxContentBytes = 4 * 1024 * 1024;
    public const int MaxSlugLength = 80;

    public async Task<Result<Doc>> CreateAsync(Principal caller, string workspaceRef, NewDoc input, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure)
            || !TaskRules.Title(input.Title, "doc").TryGet(out var title, out failure)
            || !Content(input.Content).TryGet(out var content, out failure)
            || !Slug(input.Slug ?? SlugOf(title)).TryGet(out var slug, out failure)
            || !TaskRules.Tags(input.Tags ?? []).TryGet(out var tags, out failure))
        {
            return failure;
        }

        var now = clock.GetUtcNow();
        var entity = new DocEntity
        {
            PartitionKey = ShortId.Format(workspace.Id),
            RowKey = ShortId.Format(ids.NewId()),
            Title = title,
            Slug = slug,
            ContentLength = content.Length,
            Tags = JsonSerializer.Serialize(tags),
            CreatedBy = caller.Name,
            UpdatedBy = caller.Name,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var stored = await texts.SaveAsync($"docs/{entity.PartitionKey}/{entity.RowKey}/1", content, ct);
        (entity.Content, entity.ContentBlob) = (stored.Inline, stored.BlobName);
        var table = await storage.Table(TableNames.Docs);
        try
        {
            var responses = await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Add, entity),
                    new TableTransactionAction(TableTransactionActionType.Add, new DocEntity { PartitionKey = entity.PartitionKey, RowKey = DocEntity.SlugRowPrefix + slug, DocId = entity.RowKey }),
                ],
                ct);
            entity.ETag = responses.Value[0].Headers.ETag ?? default;
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            await texts.ForgetAsync(stored);
            return new Conflict($"a doc with the slug '{slug}' already exists in workspace {workspace.Name}; choose another with --slug");
        }

        logger.LogInformation("Doc {DocId} ({Slug}) created in workspace {WorkspaceId} by {Principal}", entity.RowKey, slug, workspace.Id, caller.Name);
        return entity.ToDoc(content);
    }

    public async Task<Result<IReadOnlyList<Doc>>> ListAsync(Principal caller, string workspaceRef, string? tag, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.Docs);
        var docs = new List<Doc>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspace.Id)} and RowKey lt {DocEntity.SlugRowPrefix}");
        await foreach (var entity in table.QueryAsync<DocEntity>(filter, select: ["PartitionKey", "RowKey", "Timestamp", "Title", "Slug", "ContentLength", "Tags", "VersionNumber", "CreatedBy", "UpdatedBy", "CreatedAt", "UpdatedAt"], cancellationToken: ct))
        {
            if (tag is null || entity.TagList.Contains(tag.ToLowerInvariant()))
            {
                docs.Add(entity.ToDoc(null));
            }
        }

        return docs.OrderByDescending(d => d.UpdatedAt).ToList();
    }

    /// <summary>The doc as it is, or as it was at <paramref name="version"/>.</summary>
    public async Task<Result<Doc>> GetAsync(Principal caller, string workspaceRef, string docRef, int? version, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, docRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var doc = found.Entity;
        if (version is null || version == doc.VersionNumber)
        {
            return doc.ToDoc(await texts.LoadAsync(doc.StoredContent, ct));
        }

        var versions = await storage.Table(TableNames.DocVersions);
        var kept = await versions.GetEntityIfExistsAsync<DocVersionEntity>(doc.PartitionKey, DocVersionEntity.Row(Guid.Parse(doc.RowKey), version.Value), cancellationToken: ct);
        if (!kept.HasValue || kept.Value is not { } old)
        {
            return new NotFound($"doc {doc.Slug} has versions 1 to {doc.VersionNumber}; there is no version {version}");
        }

        return doc.ToDoc(await texts.LoadAsync(new StoredText(old.Content, old.ContentBlob), ct)) with
        {
            Title = old.Title,
            ContentLength = old.ContentLength,
            VersionNumber = old.Number,
            UpdatedBy = old.UpdatedBy,
            UpdatedAt = old.UpdatedAt,
        };
    }

    /// <summary>Every version, newest first (the current one included).</summary>
    public async Task<Result<IReadOnlyList<DocVersion>>> HistoryAsync(Principal caller, string workspaceRef, string docRef, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, docRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var doc = found.Entity;
        var history = new List<DocVersion> { new(doc.VersionNumber, doc.Title, doc.ContentLength, doc.UpdatedBy, doc.UpdatedAt) };
        var versions = await storage.Table(TableNames.DocVersions);
        var prefix = ShortId.Format(Guid.Parse(doc.RowKey)) + "-";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {doc.PartitionKey} and RowKey gt {prefix} and RowKey lt {prefix + "~"}");
        await foreach (var old in versions.QueryAsync<DocVersionEntity>(filter, select: ["Number", "Title", "ContentLength", "UpdatedBy", "UpdatedAt"], cancellationToken: ct))
        {
            if (old.Number < doc.VersionNumber)
            {
                history.Add(new DocVersion(old.Number, old.Title, old.ContentLength, old.UpdatedBy, old.UpdatedAt));
            }
        }

        return history.OrderByDescending(v => v.Number).ToList();
    }

    /// <summary>Keeps the current version in the history, then writes the new one (only over what was read).</summary>
    public Task<Result<Doc>> UpdateAsync(Principal caller, string workspaceRef, string docRef, DocChanges changes, string? ifMatch, CancellationToken ct) =>
        Optimistic.UpdateAsync<Doc>(async token =>
        {
            if (!(await FindAsync(caller, workspaceRef, docRef, token)).TryGet(out var found, out var failure))
            {
                return failure;
            }

            var doc = found.Entity;
            if (ifMatch is not null && ifMatch != doc.ETag.ToString())
            {
                return new Conflict($"doc {doc.Slug} was changed since you read it; reload and try again");
            }

            var tags = doc.TagList.Concat(changes.AddTags ?? []).ToList();
            if (!TaskRules.Title(changes.Title ?? doc.Title, "doc").TryGet(out var title, out failure)
                || !Content(changes.Content).TryGet(out var content, out failure)
                || !TaskRules.Tags(tags).TryGet(out var validTags, out failure)
                || !TaskRules.Tags(changes.RemoveTags ?? []).TryGet(out var removed, out failure))
            {
                return failure;
            }

            await KeepVersionAsync(doc, token);
            var oldText = doc.StoredContent;
            var newText = changes.Content is null ? oldText : await texts.SaveAsync($"docs/{doc.PartitionKey}/{doc.RowKey}/{doc.VersionNumber + 1}", content, token);
            doc.Title = title;
            (doc.Content, doc.ContentBlob) = (newText.Inline, newText.BlobName);
            doc.ContentLength = changes.Content is null ? doc.ContentLength : content.Length;
            doc.Tags = JsonSerializer.Serialize(validTags.Except(removed).ToList());
            doc.VersionNumber++;
            doc.UpdatedBy = caller.Name;
            doc.UpdatedAt = clock.GetUtcNow();
            var table = await storage.Table(TableNames.Docs);
            try
            {
                doc.ETag = (await table.UpdateEntityAsync(doc, doc.ETag, TableUpdateMode.Replace, token)).Headers.ETag ?? default;
            }
            catch (RequestFailedException e) when (Optimistic.IsLostRace(e))
            {
                if (newText != oldText)
                {
                    await texts.ForgetAsync(newText);
                }

                if (ifMatch is not null)
                {
                    return new Conflict($"doc {doc.Slug} was changed since you read it; reload and try again");
                }

                throw;
            }

            logger.LogInformation("Doc {DocId} updated to version {Version} by {Principal}", doc.RowKey, doc.VersionNumber, caller.Name);
            return doc.ToDoc(changes.Content ?? await texts.LoadAsync(doc.StoredContent, token));
        }, "the doc", ct);

    /// <summary>The version being replaced is kept first (an upsert: a retried update keeps it once); its text stays where it is.</summary>
    private async Task KeepVersionAsync(DocEntity doc, CancellationToken ct)
    {
        var versions = await storage.Table(TableNames.DocVersions);
        await versions.UpsertEntityAsync(new DocVersionEntity
        {
            PartitionKey = doc.PartitionKey,
            RowKey = DocVersionEntity.Row(Guid.Parse(doc.RowKey), doc.VersionNumber),
            Number = doc.VersionNumber,
            Title = doc.Title,
            Content = doc.Content,
            ContentBlob = doc.ContentBlob,
            ContentLength = doc.ContentLength,
            UpdatedBy = doc.UpdatedBy,
            UpdatedAt = doc.UpdatedAt,
        }, TableUpdateMode.Replace, ct);
    }

    /// <summary>Deletes the doc and its history. People only: an agent may rewrite a doc (its history keeps the past), never remove one.</summary>
    public async Task<Result<Doc>> DeleteAsync(Principal caller, string workspaceRef, string docRef, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, docRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var doc = found.Entity;
        var table = await storage.Table(TableNames.Docs);
        try
        {
            await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Delete, doc, doc.ETag),
                    new TableTransactionAction(TableTransactionActionType.Delete, new DocEntity { PartitionKey = doc.PartitionKey, RowKey = DocEntity.SlugRowPrefix + doc.Slug }, ETag.All),
                ],
                ct);
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 404)
        {
            return new Conflict($"doc {doc.Slug} changed while it was being deleted; nothing was deleted, reload and try again");
        }

        // The doc is gone atomically above; its kept versions are now unreachable and are removed after it.
        var versions = await storage.Table(TableNames.DocVersions);
        var prefix = ShortId.Format(Guid.Parse(doc.RowKey)) + "-";
        await foreach (var old in versions.QueryAsync<DocVersionEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {doc.PartitionKey} and RowKey gt {prefix} and RowKey lt {prefix + "~"}"), cancellationToken: ct))
        {
            await texts.ForgetAsync(new StoredText(old.Content, old.ContentBlob));
            await versions.DeleteEntityAsync(old.PartitionKey, old.RowKey, ETag.All, ct);
        }

        await texts.ForgetAsync(doc.StoredContent);
        logger.LogInformation("Doc {DocId} ({Slug}) deleted by {Principal}", doc.RowKey, doc.Slug, caller.Name);
        return doc.ToDoc(null);
    }

    /// <summary>By slug first (exact), else by a unique prefix of its id.</summary>
    private async Task<Result<(Workspace Workspace, DocEntity Entity)>> FindAsync(Principal caller, string workspaceRef, string docRef, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.Docs);
        var partition = ShortId.Format(workspace.Id);
        var reference = docRef.Trim().ToLowerInvariant();
        if (SlugPattern().IsMatch(reference))
        {
            var named = await table.GetEntityIfExistsAsync<DocEntity>(partition, DocEntity.SlugRowPrefix + reference, cancellationToken: ct);
            if (named.HasValue && named.Value?.DocId is { } docId)
            {
                var byName = await table.GetEntityIfExistsAsync<DocEntity>(partition, docId, cancellationToken: ct);
                if (byName.HasValue && byName.Value is { } entity)
                {
                    return (workspace, entity);
                }
            }

            if (!ShortId.Parse(reference, "doc").IsSuccess)
            {
                return new NotFound($"no doc has the slug '{reference}' in workspace {workspace.Name}");
            }
        }

        return (await PrefixLookup.FindAsync<DocEntity>(table, partition, reference, "doc", e => $"{e.RowKey} \"{e.Title}\"", ct)).Map(entity => (workspace, entity));
    }

    private static Result<string> Content(string? content)
    {
        var value = content ?? "";
        var bytes = Encoding.UTF8.GetByteCount(value);
        return bytes > MaxContentBytes
            ? new TooLarge($"the doc is {bytes / 1024.0 / 1024.0:0.##} MiB; the limit is {MaxContentBytes / 1024 / 1024} MiB")
            : value;
    }

    private static Result<string> Slug(string slug) =>
        SlugPattern().IsMatch(slug) ? slug
        : new Invalid($"'{ShortId.Shorten(slug)}' is not a slug: use up to {MaxSlugLength} lower-case letters, digits and '-', starting with a letter or digit", "slug");

    /// <summary>"Release notes: v2!" → "release-notes-v2".</summary>
    public static string SlugOf(string title)
    {
        var slug = NotSlug().Replace(title.ToLowerInvariant(), "-").Trim('-');
        slug = slug.Length > MaxSlugLength ? slug[..MaxSlugLength].TrimEnd('-') : slug;
        return slug.Length == 0 ? "doc" : slug;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,79}$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotSlug();
}
