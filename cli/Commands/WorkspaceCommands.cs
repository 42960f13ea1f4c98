using Konduktor.Core.Contract;
using System.CommandLine;
using Konduktor.Core.Workspaces;

namespace Konduktor.Cli.Commands;

public static class WorkspaceCommands
{
    public static Command Build()
    {
        var repository = new Argument<string>("repository") { Description = "https://github.com/ORG/REPO, ORG/REPO, another git URL, or an absolute path" };
        var name = new Option<string?>("--name") { Description = "The workspace's name (default: the repository's name)" };
        var gitHub = new Option<string?>("--github") { Description = "ORG/REPO on GitHub, when the repository given is a mirror or a local path" };
        var branch = new Option<string?>("--default-branch") { Description = "The branch tasks start from and PRs target (default: main)" };
        var reference = new Argument<string>("workspace") { Description = "Name or id (a unique prefix is enough)" };
        var optionalReference = new Argument<string?>("workspace") { Description = "Name or id (default: the default workspace)", Arity = ArgumentArity.ZeroOrOne };
        var register = new Option<bool>("--register") { Description = "Create the webhook on GitHub through its API (needs the workspace's GitHub token)" };
        var force = new Option<bool>("--force") { Description = "Also delete the workspace's tasks" };

        return CommandFactory.Group("workspaces", "Create and manage workspaces (one per repository)",
            CommandFactory.Create("create", "Create a workspace for a repository", async (cli, ct) =>
            {
                var created = await cli.Api.CallAsync(Operations.CreateWorkspace, [], new NewWorkspace { Repository = cli.Get(repository), Name = cli.Get(name), DefaultBranch = cli.Get(branch), GitHubRepository = cli.Get(gitHub) }, ct);
                cli.Print(created, w => Output.Line($"Workspace created: {w.Name} ({w.ShortId}) for {w.Repository}"));
            }, repository, name, branch, gitHub),
            CommandFactory.Create("list", "List workspaces", async (cli, ct) =>
            {
                var list = await cli.Api.CallAsync(Operations.ListWorkspaces, [], ct);
                var current = cli.Home.ReadConfig().DefaultWorkspace;
                cli.Print(list, all =>
                {
                    if (all.Count == 0)
                    {
                        Output.Line("No workspaces yet: create one with `konduktor workspaces create https://github.com/ORG/REPO`");
                        return;
                    }

                    Output.Table(["", "NAME", "ID", "BRANCH", "REPOSITORY"], all.Select(w => (IReadOnlyList<string>)
                        [string.Equals(w.Name, current, StringComparison.OrdinalIgnoreCase) ? "*" : "", w.Name, w.ShortId, w.DefaultBranch, w.Repository]));
                });
            }),
            CommandFactory.Create("show", "Show a workspace", async (cli, ct) =>
            {
                var shown = await cli.Api.CallAsync(Operations.GetWorkspace, [cli.Get(optionalReference) ?? cli.Workspace], ct);
                cli.Print(shown, w => Output.Table(["FIELD", "VALUE"],
                [
                    ["name", w.Name], ["id", w.Id.ToString()], ["repository", w.Repository], ["default branch", w.DefaultBranch],
                    ["columns", string.Join(" | ", w.Columns)], ["auto-fix conflicts", OnOff(w.Config.AutoFixConflicts)],
                    ["auto-fix CI", OnOff(w.Config.AutoFixCi)], ["created", w.CreatedAt.ToString("u")],
                ]));
            }, optionalReference),
            CommandFactory.Create("webhook", "Print the payload URL and secret to paste into the repository's Settings → Webhooks (--register creates it through the GitHub API)", async (cli, ct) =>
            {
                var webhook = await cli.Api.CallAsync(cli.Get(register) ? Operations.RegisterWebhook : Operations.GetWebhook, [cli.Get(reference)], ct);
                if (cli.Get(register) && !cli.Json)
                {
                    Output.Line("Webhook created on GitHub.");
                }

                cli.Print(webhook, w =>
                {
                    Output.Line($"Payload URL:  {w.PayloadUrl}");
                    Output.Line($"Content type: {w.ContentType}");
                    Output.Line($"Secret:       {w.Secret}");
                    Output.Line($"Events:       {string.Join(", ", w.Events)}");
                });
            }, reference, register),
            CommandFactory.Create("set-default", "Make a workspace the default for commands without -w", async (cli, ct) =>
            {
                var found = await cli.Api.CallAsync(Operations.GetWorkspace, [cli.Get(reference)], ct);
                cli.Home.WriteConfig(cli.Home.ReadConfig() with { DefaultWorkspace = found.Value.Name });
                cli.Print(found, w => Output.Line($"Default workspace: {w.Name}"));
            }, reference),
            CommandFactory.Create("delete", "Delete a workspace (with --force, also its tasks)", async (cli, ct) =>
            {
                var deleted = await cli.Api.CallAsync(Operations.DeleteWorkspace, [cli.Get(reference)], ct, query: cli.Get(force) ? [new("force", "true")] : null);
                var config = cli.Home.ReadConfig();
                if (string.Equals(config.DefaultWorkspace, deleted.Value.Name, StringComparison.OrdinalIgnoreCase))
                {
                    cli.Home.WriteConfig(config with { DefaultWorkspace = null });
                }

                cli.Print(deleted, w => Output.Line($"Workspace deleted: {w.Name} ({w.ShortId})"));
            }, reference, force));
    }

    public static string OnOff(bool value) => value ? "on" : "off";
}
