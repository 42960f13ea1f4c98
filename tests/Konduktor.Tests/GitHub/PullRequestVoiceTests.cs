using System.Text.Json;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.GitHub;

/// <summary>
/// Agents act on GitHub through Konduktor: `konduktor prs review|comment` posts with the workspace's token, which the
/// agent never holds — GitHub's API answered by the stand-in.
/// </summary>
public sealed class PullRequestVoiceTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Token = "ghp_test_token_for_the_stand_in";
    private GitHubStandIn _gitHub = null!;
    private KonduktorUp _up = null!;
    private SessionDriver _driver = null!;

    public async ValueTask InitializeAsync()
    {
        _gitHub = await GitHubStandIn.StartAsync();
        _up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, environment: new Dictionary<string, string> { ["Konduktor__GitHub__ApiUrl"] = _gitHub.Url });
        _driver = new SessionDriver(_up);
    }

    public async ValueTask DisposeAsync()
    {
        await _up.DisposeAsync();
        await _gitHub.DisposeAsync();
    }

    [Fact]
    public async Task An_agent_reviews_and_comments_on_a_pull_request_through_konduktor_without_ever_holding_the_token()
    {
        var workspace = await WorkspaceAsync(token: Token);
        var number = OpenPullRequest();
        var task = await _driver.CreateTaskAsync(workspace, "Review it", StandInAgent.Script(
            new { konduktor = new[] { "prs", "review", $"{number}", "--request-changes", "-m", "The total is off by one at src/sum.ts:3: start at 0." } },
            new { konduktor = new[] { "prs", "comment", $"{number}", "-m", "Ran `npm test`: 1 failed." } },
            new { konduktor = new[] { "prs", "review", "9999", "--comment", "-m", "Nothing here." } },
            new { sh = "if env | grep -q ghp_; then echo HAS-THE-TO\"\"KEN; else echo NO-TO\"\"KEN; fi" }));

        var session = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);

        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}");
        Assert.Equal([(number, "REQUEST_CHANGES", "The total is off by one at src/sum.ts:3: start at 0.", "Token " + Token), (number, "issue-comment", "Ran `npm test`: 1 failed.", "Token " + Token)], _gitHub.Posted);
        var log = string.Join('\n', (await _driver.LogsAsync(workspace, session.Id)).Select(e => e.Text));
        Assert.Contains($"Review posted on #{number}: https://github.com/acme/{workspace}/pull/{number}#pullrequestreview-", log, StringComparison.Ordinal);
        Assert.Contains($"Comment posted on #{number}", log, StringComparison.Ordinal);
        Assert.Contains($"acme/{workspace} has no pull request #9999", log, StringComparison.Ordinal);
        Assert.Contains("NO-TOKEN", log, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_person_approves_and_bad_requests_get_one_line_that_says_what_to_do()
    {
        var workspace = await WorkspaceAsync(token: Token);
        var number = OpenPullRequest();

        var approved = await _up.CliAsync("-w", workspace, "prs", "review", $"{number}", "--approve");
        var noVerdict = await _up.CliAsync("-w", workspace, "prs", "review", $"{number}", "-m", "Looks fine.");
        var noText = await _up.CliAsync("-w", workspace, "prs", "review", $"{number}", "--request-changes");
        var notANumber = await _up.CliAsync("-w", workspace, "prs", "comment", "abc", "-m", "Hello.");
        var tooLong = await _up.CliWithInputAsync(new string('x', 70_000), "-w", workspace, "prs", "comment", $"{number}", "--file", "-");
        var withoutToken = await _up.CliAsync("-w", await WorkspaceAsync(token: null), "prs", "comment", $"{number}", "-m", "Hello.");
        var withoutGitHub = await _up.CliAsync("-w", (await _driver.CreateWorkspaceAsync()).Workspace, "prs", "comment", $"{number}", "-m", "Hello.");

        Assert.True(approved.ExitCode == 0, approved.ToString());
        Assert.Equal((number, "APPROVE", "", "Token " + Token), Assert.Single(_gitHub.Posted));
        foreach (var (refused, says) in new[]
        {
            (noVerdict, "exactly one of --approve, --request-changes or --comment"), (noText, "the text is empty"), (notANumber, "'abc' is not a pull request number"),
            (tooLong, "GitHub takes at most 65,536"), (withoutToken, "konduktor config set --github-token -"), (withoutGitHub, "is not a GitHub repository"),
        })
        {
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains(says, refused.Error, StringComparison.Ordinal);
            Assert.Single(refused.Error.Trim().Split('\n'));
        }

        Assert.Single(_gitHub.Posted);
    }

    [Fact]
    public async Task The_pr_reviewer_preset_posts_its_review_through_konduktor()
    {
        var workspace = await WorkspaceAsync(token: Token);
        var number = OpenPullRequest();
        var script = Path.Combine(SharedWithAgents.NewFolder("reviewer"), "review.json");
        await File.WriteAllTextAsync(script, JsonSerializer.Serialize(new object[]
        {
            new { echoPrompt = true },
            new { konduktor = new[] { "prs", "review", $"{number}", "--request-changes", "-m", "src/sum.ts:3 is off by one." } },
        }));
        Assert.Equal(0, (await KonduktorCli.RunAsync(_up.Home, ["-w", workspace, "secrets", "set", "STANDIN_SCRIPT"], script + "\n")).ExitCode);
        Assert.Equal(0, (await _up.CliAsync("-w", workspace, "agents", "create", "--preset", "pr-reviewer")).ExitCode);

        var run = await _up.CliAsync("-w", workspace, "--json", "agents", "run-now", "pr-reviewer");
        Assert.True(run.ExitCode == 0, run.ToString());
        var session = await _driver.WaitForEndAsync(workspace, JsonDocument.Parse(run.Output).RootElement.GetProperty("sessionId").GetGuid());

        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}");
        var log = string.Join('\n', (await _driver.LogsAsync(workspace, session.Id)).Select(e => e.Text));
        Assert.Contains("konduktor prs review", log, StringComparison.Ordinal);
        Assert.DoesNotContain("gh pr review", log, StringComparison.Ordinal);
        Assert.Equal((number, "REQUEST_CHANGES", "src/sum.ts:3 is off by one.", "Token " + Token), Assert.Single(_gitHub.Posted));
    }

    /// <summary>A pull request on the stand-in, as one a task's agent opened.</summary>
    private int OpenPullRequest()
    {
        const int number = 42;
        _gitHub.PullRequests[number] = new OpenedPullRequest(number, "konduktor/sum", "Sum the totals", "", false, "Token " + Token);
        return number;
    }

    private async Task<string> WorkspaceAsync(string? token)
    {
        var remote = await GitRemote.CreateAsync();
        var name = "rv" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(0, (await _up.CliAsync("workspaces", "create", remote.Path, "--name", name, "--github", $"acme/{name}")).ExitCode);
        Assert.Equal(0, (await _up.CliAsync("-w", name, "config", "set", "--pr", "off")).ExitCode);
        if (token is not null)
        {
            Assert.Equal(0, (await _up.CliWithInputAsync(token, "-w", name, "config", "set", "--github-token", "-")).ExitCode);
        }

        return name;
    }
}
