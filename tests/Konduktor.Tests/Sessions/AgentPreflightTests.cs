using Konduktor.Runner.Worker;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>Before a runner takes a job it checks its agent, and says in one line what to install or set.</summary>
public sealed class AgentPreflightTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Up_without_claude_says_how_to_install_it_and_a_run_is_queued_with_the_reason_it_waits()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--agent-command", "/nonexistent/bin/claude"]);
        Assert.Contains("» Agent not ready: the agent command `/nonexistent/bin/claude` was not found: install Claude Code with `npm install -g @anthropic-ai/claude-code`", up.Output, StringComparison.Ordinal);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Waits for an agent", "Nothing yet.");

        var run = await up.CliAsync("-w", workspace, "tasks", "run", task.ShortId);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal($"note: no runner can run it now, so it waits in the queue: runner local: the agent command `/nonexistent/bin/claude` was not found: install Claude Code with `{AgentPreflight.InstallCommand}`, or give --agent-command with its path", run.Error.Trim());
        var session = (await driver.GetTaskAsync(workspace, task.Id)).LatestSession!;
        Assert.Equal("queued", session.Status);
        var runners = await up.CliAsync("runners", "list");
        Assert.Contains("local: agent not ready: the agent command", runners.Output, StringComparison.Ordinal);
        Assert.Contains("not ready", runners.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_with_no_runner_online_is_queued_and_says_so()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Nobody home", "Nothing yet.");

        var run = await up.CliAsync("-w", workspace, "tasks", "run", task.ShortId);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("note: no runner is online: the session waits in the queue until one starts", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_preflight_reads_the_version_the_sign_in_and_the_transcripts_folder_from_the_agent_itself()
    {
        var signedIn = await AgentPreflight.CheckAsync([StandInAgent.Executable], CancellationToken.None);
        var signedOut = await AgentPreflight.CheckAsync(["env", "STANDIN_SIGNED_OUT=1", "CLAUDE_CONFIG_DIR=/somewhere/else", StandInAgent.Executable], CancellationToken.None);
        var broken = await AgentPreflight.CheckAsync(["false"], CancellationToken.None);

        Assert.True(signedIn.Ready, signedIn.Problem);
        Assert.Equal("0.0.1 (Konduktor stand-in), signed in with an API key", signedIn.Description);
        Assert.False(signedOut.Ready);
        Assert.StartsWith("Claude Code is not signed in: run `claude auth login`", signedOut.Problem, StringComparison.Ordinal);
        Assert.Equal("/somewhere/else/projects", signedOut.ProjectsDirectory);
        Assert.False(broken.Ready);
        Assert.StartsWith("`false --version` failed (exit code 1)", broken.Problem, StringComparison.Ordinal);
        Assert.Equal(Environment.IsPrivilegedProcess, signedIn.Notes.Any(n => n.StartsWith("running as root: agents get IS_SANDBOX=1", StringComparison.Ordinal)));
    }
}
