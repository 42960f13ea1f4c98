using Konduktor.Core.Contract;
using System.CommandLine;
using Konduktor.Core.Workspaces;

namespace Konduktor.Cli.Commands;

public static class WorkspaceCommands
{
    private static readonly Argument<string> Repository = new("repository") { Description = "https://github.com/ORG/REPO, ORG/REPO, another git URL, or an absolute path" };
    private static readonly Option<string?> Name = new("--name") { Description = "The workspace's name (default: the repository's name)" };
    private static readonly Option<string?> GitHub = new("--github") { Description = "ORG/REPO on GitHub, when the repository given is a mirror or a local path" };
    private static readonly Option<string?> Branch = new("--default-branch") { Description = "The branch tasks start from and PRs target (default: main)" };
    private static readonly Argument<string> Reference = new("workspace") { Description = "Name or id (a unique prefix is enough)" };
    private static readonly Argument<string?> OptionalReference = new("workspace") { Description = "Name or id (default: the default workspace)", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<bool> Register = new("--register") { Description = "Create the webhook on GitHub through its API (needs the workspace's GitHub token)" };
    private static readonly Option<bool> Force = new("--force") { Description = "Also delete the workspace's tasks" };

    public static Command Build() =>
        CommandFactory.Group("workspaces", "Create and manage workspaces (one per repository)", Create(), List(), Show(), Webhook(), FollowIssues(), SetDefault(), Delete());

    private static Command Create() => CommandFactory.Create("create", "Create a workspace for a repository", async (cli, ct) =>
    {
        var created = await cli.Api.CallAsync(Operations.CreateWorkspace, [], new NewWorkspace { Repository = cli.Get(Repository), Name = cli.Get(Name), DefaultBranch = cli.Get(Branch), GitHubRepository = cli.Get(GitHub) }, ct);
        cli.Print(created, w => Output.Line($"Workspace created: {w.Name} ({w.ShortId}) for {w.Repository}"));
    }, Repository, Name, Branch, GitHub);

    private static Command List() => CommandFactory.Create("list", "List workspaces", async (cli, ct) =>
    {
        var list = await cli.Api.CallAsync(Operations.ListWorkspaces, [], ct);
        var current = cli.Home.ReadConfig().DefaultWorkspace;
        cli.Print(list, all =>
        {
            Output.Table(["", "NAME", "ID", "BRANCH", "REPOSITORY"], all.Select(w => (IReadOnlyList<string>)
                [string.Equals(w.Name, current, StringComparison.OrdinalIgnoreCase) ? "*" : "", w.Name, w.ShortId, w.DefaultBranch, w.Repository]), "No workspaces yet: create one with `konduktor workspaces create https://github.com/ORG/REPO`");
        });
    });

    private static Command Show() => CommandFactory.Create("show", "Show a workspace", async (cli, ct) =>
    {
        var shown = await cli.Api.CallAsync(Operations.GetWorkspace, [cli.Get(OptionalReference) ?? cli.Workspace], ct);
        cli.Print(shown, w => Output.Table(["FIELD", "VALUE"],
        [
            ["name", w.Name], ["id", w.Id.ToString()], ["repository", w.Repository], ["default branch", w.DefaultBranch],
            ["columns", string.Join(" | ", w.Columns)], ["auto-fix conflicts", OnOff(w.Config.AutoFixConflicts)],
            ["auto-fix CI", OnOff(w.Config.AutoFixCi)], ["created", w.CreatedAt.ToString("u")],
        ], "Nothing to show."));
    }, OptionalReference);

    private static Command FollowIssues()
    {
        var label = new Option<string?>("--label") { Description = "Follow the open issues with this label" };
        var all = new Option<bool>("--all") { Description = "Follow every open issue" };
        var off = new Option<bool>("--off") { Description = "Stop following issues (their tasks stay)" };
        var mirror = new Option<bool>("--mirror-questions") { Description = "Also ask an agent's questions on the task's issue, and take an answer given there by a person with write access" };
        var noMirror = new Option<bool>("--no-mirror-questions") { Description = "Ask questions on the board only" };
        return CommandFactory.Create("follow-issues", "Make the repository's open issues (with a label, or all) tasks, kept in line with their issues", async (cli, ct) =>
        {
            var follow = (cli.Get(label), cli.Get(all), cli.Get(off)) switch
            {
                ({ } l, false, false) => l,
                (null, true, false) => WorkspaceRules.AllIssues,
                (null, false, true) => "",
                (null, false, false) when cli.Get(mirror) || cli.Get(noMirror) => null,
                _ => throw new CommandFailedException("give one of --label LABEL, --all or --off", ExitCodes.Usage),
            };
            if (cli.Get(mirror) && cli.Get(noMirror))
            {
                throw new CommandFailedException("give --mirror-questions or --no-mirror-questions, not both", ExitCodes.Usage);
            }

            var changes = new ConfigChanges { FollowIssues = follow, MirrorQuestions = cli.Get(mirror) ? true : cli.Get(noMirror) ? false : null };
            var config = await cli.Api.CallAsync(Operations.SetConfig, [cli.Get(Reference)], changes, ct);
            cli.Print(config, c => Output.Line($"{c.Workspace}: {FollowingIssues(c)}"));
        }, Reference, label, all, off, mirror, noMirror);
    }

    /// <summary>Which issues the workspace follows, in one sentence (also in `config get`).</summary>
    public static string FollowingIssues(ConfigView c) =>
        (c.FollowIssues switch
        {
            null => "follows no issues",
            WorkspaceRules.AllIssues => "every open issue becomes a task",
            var l => $"every open issue labelled \"{l}\" becomes a task",
        }) + (c.FollowIssues is null ? "" : c.MirrorQuestions ? "; agents' questions are asked on the issue too" : "; questions stay on the board");

    private static Command Webhook() => CommandFactory.Create("webhook", "Print the payload URL and secret to paste into the repository's Settings → Webhooks (--register creates it through the GitHub API)", async (cli, ct) =>
    {
        var webhook = await cli.Api.CallAsync(cli.Get(Register) ? Operations.RegisterWebhook : Operations.GetWebhook, [cli.Get(Reference)], ct);
        if (cli.Get(Register) && !cli.Json)
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
    }, Reference, Register);

    private static Command SetDefault() => CommandFactory.Create("set-default", "Make a workspace the default for commands without -w", async (cli, ct) =>
    {
        var found = await cli.Api.CallAsync(Operations.GetWorkspace, [cli.Get(Reference)], ct);
        cli.Home.WriteConfig(cli.Home.ReadConfig() with { DefaultWorkspace = found.Value.Name });
        cli.Print(found, w => Output.Line($"Default workspace: {w.Name}"));
    }, Reference);

    private static Command Delete() => CommandFactory.Create("delete", "Delete a workspace (with --force, also its tasks)", async (cli, ct) =>
    {
        var deleted = await cli.Api.CallAsync(Operations.DeleteWorkspace, [cli.Get(Reference)], ct, query: cli.Get(Force) ? [new("force", "true")] : null);
        var config = cli.Home.ReadConfig();
        if (string.Equals(config.DefaultWorkspace, deleted.Value.Name, StringComparison.OrdinalIgnoreCase))
        {
            cli.Home.WriteConfig(config with { DefaultWorkspace = null });
        }

        cli.Print(deleted, w => Output.Line($"Workspace deleted: {w.Name} ({w.ShortId})"));
    }, Reference, Force);

    public static string OnOff(bool value) => value ? "on" : "off";
}
