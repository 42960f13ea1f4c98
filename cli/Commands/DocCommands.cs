using Konduktor.Core.Contract;
using System.CommandLine;
using System.Globalization;
using Konduktor.Core.Docs;

namespace Konduktor.Cli.Commands;

/// <summary><c>docs create|list|show|update|delete|history</c>: markdown people and agents share, every version kept.</summary>
public static class DocCommands
{
    public static Command Build()
    {
        var id = new Argument<string>("doc") { Description = "The doc's slug or id (a unique prefix)" };
        var title = new Option<string>("--title") { Description = "One line, at most 200 characters", Required = true };
        var newTitle = new Option<string?>("--title") { Description = "A new title" };
        var file = new Option<string?>("--file") { Description = "The markdown: a file, or - for stdin" };
        var slug = new Option<string?>("--slug") { Description = "Its short name in the workspace (default: from the title)" };
        var tags = new Option<string[]>("--tag") { Description = "A tag (repeatable)" };
        var addTags = new Option<string[]>("--add-tag") { Description = "A tag to add (repeatable)" };
        var removeTags = new Option<string[]>("--remove-tag") { Description = "A tag to remove (repeatable)" };
        var tagFilter = new Option<string?>("--tag") { Description = "Only docs with this tag" };
        var version = new Option<int?>("--version") { Description = "A kept version (see `docs history`)" };

        IReadOnlyList<string> Route(CliContext cli) => cli.In(cli.Get(id));

        return CommandFactory.Group("docs", "Markdown documents agents and people read and write (every version is kept)",
            CommandFactory.Create("create", "Create a doc", async (cli, ct) =>
            {
                var created = await cli.Api.CallAsync(Operations.CreateDoc, cli.In(), new NewDoc { Title = cli.Get(title), Content = CommandFactory.ReadText(null, cli.Get(file)), Slug = cli.Get(slug), Tags = cli.Get(tags) }, ct);
                cli.Print(created, d => Output.Line($"Doc created: {d.Slug} ({d.ShortId}) \"{d.Title}\""));
            }, title, file, slug, tags),
            CommandFactory.Create("list", "List docs, most recently updated first", async (cli, ct) =>
            {
                var all = await cli.Api.CallAsync(Operations.ListDocs, cli.In(), ct, query: [new("tag", cli.Get(tagFilter))]);
                cli.Print(all, list => Output.Table(["SLUG", "ID", "VERSION", "UPDATED", "BY", "TITLE"], list.Select(d => (IReadOnlyList<string>)
                    [d.Slug, d.ShortId, d.VersionNumber.ToString(CultureInfo.InvariantCulture), Output.Time(d.UpdatedAt), d.UpdatedBy, d.Title]), "No docs."));
            }, tagFilter),
            CommandFactory.Create("show", "Print a doc's markdown (or a kept version of it)", async (cli, ct) =>
            {
                var query = cli.Get(version)?.ToString(CultureInfo.InvariantCulture);
                cli.Print(await cli.Api.CallAsync(Operations.GetDoc, Route(cli), ct, query: [new("version", query)]), d =>
                {
                    Output.Line($"# {d.Title}");
                    Output.Line($"<!-- {d.Slug} ({d.ShortId}), version {d.VersionNumber}, {d.UpdatedAt:u} by {d.UpdatedBy}{(d.Tags.Count > 0 ? ", tags: " + string.Join(", ", d.Tags) : "")} -->");
                    Output.Line("");
                    Output.Line(d.Content ?? "");
                });
            }, id, version),
            CommandFactory.Create("update", "Change a doc's title, text or tags (the version before is kept)", async (cli, ct) =>
            {
                var changes = new DocChanges(cli.Get(newTitle), CommandFactory.ReadText(null, cli.Get(file)), cli.Get(addTags), cli.Get(removeTags));
                cli.Print(await cli.Api.CallAsync(Operations.UpdateDoc, Route(cli), changes, ct), d => Output.Line($"Doc updated: {d.Slug} is at version {d.VersionNumber}"));
            }, id, newTitle, file, addTags, removeTags),
            CommandFactory.Create("history", "A doc's versions, newest first", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.DocHistory, Route(cli), ct), list => Output.Table(["VERSION", "UPDATED", "BY", "LENGTH", "TITLE"], list.Select(v => (IReadOnlyList<string>)
                    [v.Number.ToString(CultureInfo.InvariantCulture), Output.Time(v.UpdatedAt), v.UpdatedBy, v.ContentLength.ToString("N0", CultureInfo.InvariantCulture), v.Title]), "No versions.")), id),
            CommandFactory.Create("delete", "Delete a doc and its history (people only)", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.DeleteDoc, Route(cli), ct), d => Output.Line($"Doc deleted: {d.Slug}")), id));
    }
}
