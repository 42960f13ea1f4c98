using Konduktor.Core.Contract;
using System.CommandLine;
using Konduktor.Core.Workspaces;

namespace Konduktor.Cli.Commands;

public static class ConfigCommands
{
    public static Command Build()
    {
        var prompt = new Option<string?>("--system-prompt") { Description = "The task agents' system prompt, or - to read it from stdin" };
        var promptFile = new Option<string?>("--system-prompt-file") { Description = "Read the system prompt from a file (- for stdin)" };
        var reset = new Option<bool>("--reset-system-prompt") { Description = "Put the default system prompt back" };
        var conflicts = OnOff("--auto-fix-conflicts", "Start a session to fix merge conflicts on a task's PR");
        var ci = OnOff("--auto-fix-ci", "Start a session to fix failing CI on a task's PR");
        var reviews = OnOff("--auto-fix-reviews", "Resume the agent with a review that requests changes on a task's PR");
        var branch = new Option<string?>("--default-branch") { Description = "The branch tasks start from" };
        var permissionMode = new Option<string?>("--permission-mode") { Description = "Claude Code's permission mode for agents: " + string.Join(", ", WorkspaceRules.PermissionModes) };
        var gitHubToken = new Option<string?>("--github-token") { Description = "A GitHub token for checks and mergeability (- to read it from stdin; \"\" to remove)" };
        var autoFixLimit = new Option<int?>("--auto-fix-limit") { Description = "Automatic fix sessions in a row per task before stopping (default 3)" };
        var model = new Option<string?>("--model") { Description = "Claude Code's model for agents (\"\" for Claude Code's default)" };
        var pullRequests = new Option<string?>("--pr") { Description = "Who opens a task's pull request: konduktor (default; when a session leaves commits), agent (Konduktor opens a draft if it did not), off" };
        pullRequests.AcceptOnlyFromAmong([.. WorkspaceRules.PullRequestModes]);
        var withoutPullRequest = new Option<string?>("--without-pr-column") { Description = "The column a task goes to when its session left commits and no pull request can be opened (\"\": it stays, with a note saying why)" };
        var setup = new Option<string?>("--setup-script-file") { Description = "A script run in each worktree before its agent, instead of the repository's .konduktor/setup (- for stdin; \"\" to remove)" };
        var cleanup = new Option<string?>("--cleanup-script-file") { Description = "A script run in a worktree before it is removed, instead of the repository's .konduktor/cleanup (- for stdin; \"\" to remove)" };
        var autoResume = OnOff("--auto-resume", "Continue a session that stopped at the account's usage limit once the limit resets (default on)");
        var taskBudget = new Option<decimal?>("--task-budget") { Description = "Dollars a task may spend over all its sessions, unless it has its own (0: no limit)" };
        var dailyBudget = new Option<decimal?>("--daily-budget") { Description = "Dollars the workspace's sessions may spend in a day, UTC (0: no limit)" };
        var allowHost = new Option<string[]>("--allow-host") { Description = "Let agents reach HOST[:PORT] (port 443 unless given; *.example.com for every name under it); repeatable", AllowMultipleArgumentsPerToken = false };
        var disallowHost = new Option<string[]>("--disallow-host") { Description = "Take HOST[:PORT] off the agents' network allow-list; repeatable" };
        var setupTimeout = new Option<int?>("--setup-timeout") { Description = $"Minutes a setup may take before the session fails (default {WorkspaceRules.DefaultSetupTimeoutMinutes})" };

        return CommandFactory.Group("config", "A workspace's agent configuration",
            CommandFactory.Create("get", "Show the workspace's configuration", async (cli, ct) =>
            {
                var config = await cli.Api.CallAsync(Operations.GetConfig, cli.In(), ct);
                cli.Print(config, Show);
            }),
            CommandFactory.Create("set", "Change the workspace's configuration", async (cli, ct) =>
            {
                var changes = new ConfigChanges
                {
                    SystemPrompt = CommandFactory.ReadText(cli.Get(prompt), cli.Get(promptFile)),
                    ResetSystemPrompt = cli.Get(reset) ? true : null,
                    AutoFixConflicts = cli.Get(conflicts) is { } c ? c == "on" : null,
                    AutoFixCi = cli.Get(ci) is { } f ? f == "on" : null,
                    AutoFixReviews = cli.Get(reviews) is { } r ? r == "on" : null,
                    DefaultBranch = cli.Get(branch),
                    PermissionMode = cli.Get(permissionMode),
                    Model = cli.Get(model),
                    GitHubToken = cli.Get(gitHubToken) == "-" ? Console.In.ReadToEnd() : cli.Get(gitHubToken),
                    AutoFixLimit = cli.Get(autoFixLimit),
                    PullRequests = cli.Get(pullRequests),
                    WithoutPullRequest = cli.Get(withoutPullRequest),
                    SetupScript = cli.Get(setup) is "" ? "" : CommandFactory.ReadText(null, cli.Get(setup)),
                    CleanupScript = cli.Get(cleanup) is "" ? "" : CommandFactory.ReadText(null, cli.Get(cleanup)),
                    SetupTimeoutMinutes = cli.Get(setupTimeout),
                    AutoResume = cli.Get(autoResume) is { } a ? a == "on" : null,
                    TaskBudgetUsd = cli.Get(taskBudget),
                    DailyBudgetUsd = cli.Get(dailyBudget),
                    AllowHosts = cli.Get(allowHost) is { Length: > 0 } allowed ? allowed : null,
                    DisallowHosts = cli.Get(disallowHost) is { Length: > 0 } disallowed ? disallowed : null,
                };
                var config = await cli.Api.CallAsync(Operations.SetConfig, cli.In(), changes, ct);
                cli.Print(config, Show);
            }, prompt, promptFile, reset, conflicts, ci, branch, permissionMode, model, gitHubToken, autoFixLimit, pullRequests, withoutPullRequest, reviews, setup, cleanup, setupTimeout, autoResume, taskBudget, dailyBudget, allowHost, disallowHost));
    }

    private static Option<string?> OnOff(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description + " (on|off)" };
        option.AcceptOnlyFromAmong("on", "off");
        return option;
    }

    private static void Show(ConfigView c)
    {
        Output.Line($"workspace:          {c.Workspace}");
        Output.Line($"default branch:     {c.DefaultBranch}");
        Output.Line($"auto-fix conflicts: {WorkspaceCommands.OnOff(c.AutoFixConflicts)}");
        Output.Line($"auto-fix CI:        {WorkspaceCommands.OnOff(c.AutoFixCi)}");
        Output.Line($"auto-fix reviews:   {WorkspaceCommands.OnOff(c.AutoFixReviews)}");
        Output.Line($"auto-fix limit:     {c.AutoFixLimit} in a row");
        Output.Line($"GitHub token:       {(c.GitHubTokenSet ? "set" : "not set")}");
        Output.Line($"pull requests:      {c.PullRequests switch { "konduktor" => "Konduktor opens them", "agent" => "the agent opens them (Konduktor opens a draft if it did not)", _ => "nobody opens them" }}");
        Output.Line($"issues:             {WorkspaceCommands.FollowingIssues(c)}");
        Output.Line($"without a PR:       {(c.WithoutPullRequest is { } column ? $"a task whose session left commits goes to {column}" : "a task whose session left commits stays where it is, with a note saying why")}");
        Output.Line($"permission mode:    {c.PermissionMode}");
        Output.Line($"model:              {c.Model ?? "(Claude Code's default)"}");
        Output.Line($"setup:              {(c.SetupScript is { } s ? $"the workspace's script ({s.Split('\n').Length} lines)" : "the repository's .konduktor/setup, if any")}, at most {c.SetupTimeoutMinutes} min");
        Output.Line($"cleanup:            {(c.CleanupScript is { } k ? $"the workspace's script ({k.Split('\n').Length} lines)" : "the repository's .konduktor/cleanup, if any")}");
        Output.Line($"usage limit:        {(c.AutoResume ? "a session waits for the reset, then continues by itself" : "a session waits for the reset, then for a person to resume it")}");
        Output.Line($"budgets:            {(c.TaskBudgetUsd is { } t ? $"{Output.Cost(t)} per task" : "no task budget")}, {(c.DailyBudgetUsd is { } d ? $"{Output.Cost(d)} per day" : "no daily budget")}");
        Output.Line($"network:            agents reach Anthropic's API, Konduktor and the repository's remote{(c.AllowedHosts is { Count: > 0 } hosts ? $", and {string.Join(", ", hosts)}" : " only (allow more: config set --allow-host HOST[:PORT])")}");
        Output.Line("system prompt:");
        Output.Line(c.SystemPrompt);
    }
}
