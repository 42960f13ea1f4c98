using System.Text.Json;
using Konduktor.Core.Projects;
using Konduktor.Core.Tasks;
using Konduktor.Tests.GitHub;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Projects;

/// <summary>
/// A project driven by its Durable orchestration end to end through `up` (the Durable Task Framework on Azurite), with
/// the local runner and the stand-in agent: auto-run, parallel phase, gate, PR-merged webhooks, a host restart while
/// the review waits, and the approval that opens the next phase and finally completes the project.
/// </summary>
public sealed class ProjectOrchestrationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_project_runs_phase_by_phase_through_its_orchestration_and_an_approval_after_a_host_restart_opens_the_next_phase()
    {
        var prefix = AzuriteFixture.NewPrefix();
        var port = KonduktorUp.FreePort();
        var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix, port: port);
        try
        {
            var remote = await GitRemote.CreateAsync();
            var workspace = "pj" + Guid.NewGuid().ToString("N")[..10];
            var repository = $"acme/{workspace}";
            Assert.Equal(0, (await up.CliAsync("workspaces", "create", remote.Path, "--name", workspace, "--github", repository)).ExitCode);
            var webhook = JsonSerializer.Deserialize<Konduktor.Core.GitHub.WebhookView>((await up.CliAsync("workspaces", "webhook", workspace, "--json")).Output, SessionsHost.Json)!;
            async Task<CliResult> Cli(params string[] arguments) => await up.CliAsync(["-w", workspace, .. arguments]);
            var project = JsonSerializer.Deserialize<Project>((await Cli("--json", "projects", "create", "--title", "Checkout", "--phase", "Model", "--phase", "UI", "--auto-run")).Output, SessionsHost.Json)!;

            // Phase 1's two agents each wait for the other to have started: they only finish if they run at the same time.
            var (first, second) = (SessionDriver.Signal("first"), SessionDriver.Signal("second"));
            async Task<TaskItem> TaskIn(int phase, string title, params object[] script)
            {
                var created = await Cli("--json", "tasks", "create", "--title", title, "--project", project.ShortId, "--phase", phase.ToString(System.Globalization.CultureInfo.InvariantCulture), "--description", StandInAgent.Script(script));
                Assert.True(created.ExitCode == 0, created.ToString());
                return JsonSerializer.Deserialize<TaskItem>(created.Output, SessionsHost.Json)!;
            }

            var cart = await TaskIn(1, "Cart model", new { touch = first }, new { waitFor = second }, new { say = "cart model done" });
            var price = await TaskIn(1, "Price model", new { touch = second }, new { waitFor = first }, new { say = "price model done" });
            var page = await TaskIn(2, "Cart page", new { say = "cart page done" });
            var button = await TaskIn(2, "Buy button", new { say = "buy button done" });
            Assert.Equal(0, (await Cli("projects", "start", project.ShortId)).ExitCode);

            // The orchestration opens phase 1 and, with auto-run, runs both its tasks; phase 2 is refused meanwhile.
            var driver = new SessionDriver(up);
            var ranFirst = await Task.WhenAll(new[] { cart, price }.Select(t => SucceededAsync(driver, workspace, t)));
            var early = await Cli("tasks", "run", page.ShortId);
            Assert.Equal(1, early.ExitCode);
            Assert.Contains("phase 2", early.Error, StringComparison.Ordinal);
            Assert.Contains(cart.ShortId, early.Error, StringComparison.Ordinal);

            // The PRs merge on GitHub: the tasks go Done, and the orchestration puts phase 1 up for review.
            await MergeAsync(webhook, repository, ranFirst);
            var awaiting = await PhaseAsync(up, workspace, project, 0, p => p.ReviewRequestedAt is not null, "phase 1 to be put up for review");
            Assert.Equal(PhaseState.AwaitingReview, awaiting.State);
            Assert.Contains("awaits review", (await Cli("tasks", "run", page.ShortId)).Error, StringComparison.Ordinal);

            // The host restarts while the review waits; the approval still reaches the orchestration, which opens phase 2.
            Assert.Equal(0, await up.StopAsync());
            await up.DisposeAsync();
            up = await KonduktorUp.StartAsync(home: up.Home, storage: azurite.ConnectionString, prefix: prefix, port: port);
            driver = new SessionDriver(up);
            Assert.Equal(0, (await Cli("projects", "approve", project.ShortId, "--phase", "1", "--note", "model is right")).ExitCode);
            var opened = await PhaseAsync(up, workspace, project, 1, p => p.OpenedAt is not null, "phase 2 to open");
            Assert.True(opened.OpenedAt >= awaiting.ReviewRequestedAt);
            var ranSecond = await Task.WhenAll(new[] { page, button }.Select(t => SucceededAsync(driver, workspace, t)));

            await MergeAsync(webhook, repository, ranSecond);
            await PhaseAsync(up, workspace, project, 1, p => p.ReviewRequestedAt is not null, "phase 2 to be put up for review");
            Assert.Equal(0, (await Cli("projects", "approve", project.ShortId)).ExitCode);
            var completed = await Eventually.WaitAsync(async () => await ProjectAsync(up, workspace, project) is { Status: ProjectStatus.Completed } done ? done : null, "the project to complete");
            Assert.NotNull(completed.CompletedAt);
            Assert.Equal("model is right", completed.Phases[0].ApprovalNote);
            Assert.All(completed.Phases.SelectMany(p => p.Tasks), t => Assert.Equal("Done", t.Status));
        }
        finally
        {
            await up.DisposeAsync();
        }
    }

    private static Task<TaskItem> SucceededAsync(SessionDriver driver, string workspace, TaskItem task) =>
        Eventually.WaitAsync(async () => await driver.GetTaskAsync(workspace, task.Id) is { LatestSession.Status: "succeeded" } ran ? ran : null, $"task {task.Title} to run and succeed", TimeSpan.FromSeconds(90));

    private static async Task MergeAsync(Konduktor.Core.GitHub.WebhookView webhook, string repository, IEnumerable<TaskItem> tasks)
    {
        using var http = new HttpClient();
        var number = 1;
        foreach (var task in tasks)
        {
            var merged = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", GitHubPayloads.PullRequest("closed", repository, task.Branch!, number++, merged: true), webhook.Secret));
            Assert.True(merged.IsSuccessStatusCode, await merged.Content.ReadAsStringAsync());
        }
    }

    private static Task<PhaseView> PhaseAsync(KonduktorUp up, string workspace, Project project, int index, Func<PhaseView, bool> condition, string what) =>
        Eventually.WaitAsync(async () => (await ProjectAsync(up, workspace, project)).Phases[index] is var phase && condition(phase) ? phase : null, what, TimeSpan.FromSeconds(30));

    private static async Task<Project> ProjectAsync(KonduktorUp up, string workspace, Project project)
    {
        var shown = await up.CliAsync("-w", workspace, "--json", "projects", "show", project.ShortId);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        return JsonSerializer.Deserialize<Project>(shown.Output, SessionsHost.Json)!;
    }
}
