using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Konduktor.Tests.Board;

/// <summary>The guide's flows on the board, done as a person does them: each way to run a task, moving by keys, live cards.</summary>
public sealed class BoardFlowTests(BoardHost host) : IClassFixture<BoardHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task Every_way_the_guide_runs_a_task_runs_it_the_hover_button_the_open_tasks_button_the_command_bar_and_create_and_run()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Tidy the changelog", StandInAgent.Script(new { say = "tidied" }));
        await _driver.CreateTaskAsync(workspace, "Tidy the changelog headings", "a title the exact one must win over");
        var page = await host.OpenBoardAsync(workspace);
        var card = page.Locator($"li.card[data-task='{task.ShortId}']");

        // 1. The ▶ that shows on hover, beside the title rather than over it.
        await card.HoverAsync();
        var play = card.GetByRole(AriaRole.Button, new() { Name = "Run Tidy the changelog" });
        var title = (await card.Locator(".card-title").BoundingBoxAsync())!;
        var button = (await play.BoundingBoxAsync())!;
        Assert.True(button.Y >= title.Y + title.Height || button.X >= title.X + title.Width, $"the ▶ ({button.X},{button.Y}) covers the title ({title.X},{title.Y} {title.Width}×{title.Height})");
        await play.ClickAsync();
        await RunsAsync(workspace, task, 1);

        // 2. A click opens the card; its Run task button runs it.
        await card.Locator(".card-title").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/t/{task.ShortId}$"));
        await Expect(page.GetByTestId("log-result")).ToContainTextAsync("success");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run task" }).ClickAsync();
        await RunsAsync(workspace, task, 2);
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);

        // 3. The command bar: the exact title is offered first (before "Create task …"), Mod+R runs it, Enter opens it.
        await page.Keyboard.PressAsync("Control+k");
        await page.Keyboard.TypeAsync("tidy the changelog");
        await Expect(page.Locator("[cmdk-item][data-selected='true']")).ToContainTextAsync(task.ShortId);
        await page.Keyboard.PressAsync("Control+r");
        await RunsAsync(workspace, task, 3);
        await Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Command bar" })).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("Control+k");
        await page.Keyboard.TypeAsync("Tidy the changelog");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/t/{task.ShortId}$"));
        await page.Keyboard.PressAsync("Escape");

        // 4. Create and run.
        await page.GetByRole(AriaRole.Button, new() { Name = "New task" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "New task" });
        await dialog.GetByLabel("Title").FillAsync("Write the upgrade notes");
        await dialog.GetByLabel("Description (markdown)").FillAsync(StandInAgent.Script(new { say = "written" }));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create and run" }).ClickAsync();
        var created = page.Locator("li.card", new() { HasText = "Write the upgrade notes" });
        await Expect(created.Locator(".session")).ToHaveTextAsync("succeeded", new() { Timeout = 30_000 });
        Assert.Equal(3, (await _driver.GetTaskAsync(workspace, task.Id)).SessionCount);
    }

    [Fact]
    public async Task Keys_move_a_visible_focus_between_cards_and_columns_and_enter_opens_the_focused_card()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var first = await _driver.CreateTaskAsync(workspace, "First idea", "plain");
        var second = await _driver.CreateTaskAsync(workspace, "Second idea", "plain");
        var doing = await _driver.CreateTaskAsync(workspace, "Under way", "plain");
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", doing.ShortId, "In progress")).ExitCode);
        var page = await host.OpenBoardAsync(workspace);
        await Expect(page.Locator($"section.column[data-column='In progress'] li.card[data-task='{doing.ShortId}']")).ToBeVisibleAsync();
        var focused = page.Locator("li.card:focus");

        await page.Keyboard.PressAsync("j");
        await Expect(focused).ToHaveAttributeAsync("data-task", first.ShortId);
        var ring = await focused.EvaluateAsync<string>("e => getComputedStyle(e).boxShadow");
        Assert.NotEqual("none", ring);
        await page.Keyboard.PressAsync("j");
        await Expect(focused).ToHaveAttributeAsync("data-task", second.ShortId);
        await page.Keyboard.PressAsync("l");
        await Expect(focused).ToHaveAttributeAsync("data-task", doing.ShortId);
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(focused).ToHaveAttributeAsync("data-task", first.ShortId);
        await page.Keyboard.PressAsync("ArrowDown");
        await Expect(focused).ToHaveAttributeAsync("data-task", second.ShortId);
        await page.Keyboard.PressAsync("k");
        await Expect(focused).ToHaveAttributeAsync("data-task", first.ShortId);

        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/t/{first.ShortId}$"));
        await Expect(page.GetByRole(AriaRole.Dialog)).ToContainTextAsync("First idea");
    }

    [Fact]
    public async Task A_running_card_shows_what_its_agent_does_and_for_how_long_and_a_failed_one_says_why()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var started = SessionDriver.Signal("reading");
        var running = await _driver.CreateTaskAsync(workspace, "Read the code", StandInAgent.Script(
            new { tool = "Grep", input = new { pattern = "TODO" }, output = "3 matches" }, new { touch = started }, new { waitFor = started + ".never" }));
        var failing = await _driver.CreateTaskAsync(workspace, "Give up", StandInAgent.Script(new { say = "cannot" }, new { exit = 3 }));
        var page = await host.OpenBoardAsync(workspace);

        var session = await _driver.RunAsync(workspace, running);
        await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, failing)).Id);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");
        var card = page.Locator($"li.card[data-task='{running.ShortId}']");
        await Expect(card).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\brunning\b"));
        await Expect(card.GetByTestId("activity")).ToContainTextAsync("Grep: TODO", new() { Timeout = 15_000 });
        await Expect(card.Locator(".elapsed")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ s$|^\d+ min \d\d s$"));
        var failed = page.Locator($"li.card[data-task='{failing.ShortId}']");
        await Expect(failed.GetByTestId("failed")).ToContainTextAsync("exit");
        await Expect(failed).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bfailed\b"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "board-live.png") });

        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "stop", running.ShortId)).ExitCode);
        await _driver.WaitForEndAsync(workspace, session.Id);
        await Expect(card.GetByTestId("activity")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_project_is_planned_on_the_board_and_its_phase_under_review_shows_one_change_and_sends_a_chosen_task_back()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/projects");
        var form = page.GetByRole(AriaRole.Form, new() { Name = "New project" });
        await form.GetByLabel("Title").FillAsync("Greetings");
        await form.GetByLabel("Spec (markdown)").FillAsync("Say **hello** and goodbye.");
        await form.GetByLabel("Phases, one per line").FillAsync("Words\nPolish");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Complementary, new() { Name = "Spec" }).Locator("strong")).ToHaveTextAsync("hello");
        var projectId = System.Text.RegularExpressions.Regex.Match(page.Url, "/projects/([0-9a-f]+)$").Groups[1].Value;

        // Phases are added and reordered, and a task is made straight into one.
        await page.GetByLabel("New phase").FillAsync("Extra");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add phase" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Move phase 3 earlier" }).ClickAsync();
        await Expect(page.Locator("section.phase[data-phase='2'] h2")).ToContainTextAsync("2. Extra");
        await page.GetByLabel("New task in phase 2").FillAsync("Tidy the words");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("section.phase[data-phase='2']")).ToContainTextAsync("Tidy the words");
        await Expect(page.Locator("section.phase[data-phase='2']")).ToContainTextAsync("Blocked: the project has not started");

        // Phase 1's two tasks change files (one file both), end, and are Done: the phase comes up for review.
        var tasks = new List<TaskItem>();
        foreach (var (title, file) in new[] { ("Say hello", "hello.txt"), ("Say goodbye", "goodbye.txt") })
        {
            var created = await host.Up.CliAsync("-w", workspace, "--json", "tasks", "create", "--title", title, "--project", projectId, "--phase", "1", "--description",
                StandInAgent.Script(new { write = file, content = "hi\n" }, new { write = "shared.txt", content = title + "\n" }, new { commit = title }));
            tasks.Add(System.Text.Json.JsonSerializer.Deserialize<TaskItem>(created.Output, SessionsHost.Json)!);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Start project" }).ClickAsync();
        await Expect(page.GetByTestId("phase-1-state")).ToContainTextAsync("open");
        foreach (var task in tasks)
        {
            await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
            Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", task.ShortId, "Done")).ExitCode);
        }

        var review = page.GetByRole(AriaRole.Region, new() { Name = "Review of phase 1" });
        await Expect(review.GetByTestId("phase-changes")).ToContainTextAsync("3 files +4 −0 · 2 commits across 2 tasks", new() { Timeout = 30_000 });
        await Expect(review.Locator("table.phase-files tr", new() { HasText = "shared.txt" })).ToContainTextAsync(tasks[1].ShortId);
        await Expect(review.Locator(".summary", new() { HasText = "Done." })).ToHaveCountAsync(2);
        await review.Locator($"li[data-task='{tasks[0].ShortId}'] summary").First.ClickAsync(); // the task's own; its files have theirs inside
        await Expect(review.Locator($"li[data-task='{tasks[0].ShortId}']").GetByTestId("changes")).ToContainTextAsync("hello.txt");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "project-review.png"), FullPage = true });

        await review.Locator($"li[data-task='{tasks[1].ShortId}'] input[type=checkbox]").UncheckAsync();
        await review.GetByLabel("What to change").FillAsync("Say it louder");
        await review.GetByRole(AriaRole.Button, new() { Name = "Send back to 1 task" }).ClickAsync();
        await Eventually.WaitAsync(async () => (await _driver.GetTaskAsync(workspace, tasks[0].Id)).SessionCount == 2 ? "" : null, "the chosen task to be resumed");
        Assert.Equal(1, (await _driver.GetTaskAsync(workspace, tasks[1].Id)).SessionCount);
        await RunsAsync(workspace, tasks[0], 2);
        var told = await host.Up.CliAsync("-w", workspace, "tasks", "logs", tasks[0].ShortId);
        Assert.Contains("Say it louder", told.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_is_put_into_a_project_phase_from_its_card_and_shows_up_in_that_phase()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var project = System.Text.Json.JsonSerializer.Deserialize<Konduktor.Core.Projects.Project>(
            (await host.Up.CliAsync("-w", workspace, "--json", "projects", "create", "--title", "Checkout", "--phase", "Model", "--phase", "UI")).Output, SessionsHost.Json)!;
        var task = await _driver.CreateTaskAsync(workspace, "Cart page", "plain");
        var page = await host.OpenBoardAsync(workspace);

        await page.Locator($"li.card[data-task='{task.ShortId}'] .card-title").ClickAsync();
        await page.GetByLabel("Project phase").SelectOptionAsync(new SelectOptionValue { Label = "2. UI" });

        await Eventually.WaitAsync(async () => (await _driver.GetTaskAsync(workspace, task.Id)).PhaseId == project.Phases[1].Id ? "" : null, "the task to be in phase 2");
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/projects/{project.ShortId}");
        await Expect(page.Locator("section.phase[data-phase='2']")).ToContainTextAsync("Cart page");
    }

    /// <summary>The task's run number <paramref name="sessions"/> started and ended (a task runs one session at a time).</summary>
    [Fact]
    public async Task A_blocker_picked_in_the_task_view_marks_the_card_and_when_it_is_done_the_mark_goes_and_the_task_starts_by_itself()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var schema = await _driver.CreateTaskAsync(workspace, "Design the schema", "");
        var api = await _driver.CreateTaskAsync(workspace, "Build the API", StandInAgent.Script(new { say = "built" }));
        var page = await host.OpenBoardAsync(workspace);
        var card = page.Locator($"li.card[data-task='{api.ShortId}']");

        await card.Locator(".card-title").ClickAsync();
        var waits = page.Locator("section.task-blockers");
        await Expect(waits).ToContainTextAsync("No other task: it can run whenever.");
        await waits.Locator("select").SelectOptionAsync(new SelectOptionValue { Label = $"{schema.ShortId} Design the schema (To do)" });
        await Expect(waits.Locator($"li[data-blocker='{schema.ShortId}']")).ToContainTextAsync("Design the schema");
        await waits.GetByRole(AriaRole.Checkbox, new() { Name = "Start by itself once they are Done" }).ClickAsync(); // saved at once; checked when the task says so
        await Expect(waits.GetByRole(AriaRole.Checkbox)).ToBeCheckedAsync();
        await Expect(page.GetByRole(AriaRole.Note).Filter(new() { HasText = "Cannot run yet" })).ToContainTextAsync($"Waits for {schema.ShortId} \"Design the schema\" (To do)");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "task-waits-for.png") });
        await page.Keyboard.PressAsync("Escape");

        await Expect(card.GetByTestId("blocked")).ToHaveTextAsync($"Waits for {schema.ShortId} (To do) · starts by itself");
        await Expect(card.Locator("button.play")).ToBeDisabledAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "board-waiting-card.png") });

        // Done elsewhere (here the CLI): the board drops the mark as the change reaches it, and the task starts by itself.
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", schema.ShortId, "Done")).ExitCode);
        await Expect(card.GetByTestId("blocked")).ToHaveCountAsync(0);
        await Expect(card.Locator("[data-session-status]")).ToHaveAttributeAsync("data-session-status", "succeeded", new() { Timeout = 60_000 });
        Assert.Equal("konduktor (auto-run)", (await _driver.WaitForEndAsync(workspace, (await _driver.GetTaskAsync(workspace, api.Id)).LatestSession!.Id)).StartedBy);
    }

    [Fact]
    public async Task Following_issues_is_set_on_the_config_page_and_an_issues_card_carries_its_number()
    {
        var remote = await GitRemote.CreateAsync();
        var workspace = "is" + Guid.NewGuid().ToString("N")[..10];
        var repository = $"acme/{workspace}";
        Assert.Equal(0, (await host.Up.CliAsync("workspaces", "create", remote.Path, "--name", workspace, "--github", repository)).ExitCode);
        Assert.Equal(0, (await host.Up.CliWithInputAsync("ghp_board", "-w", workspace, "config", "set", "--github-token", "-")).ExitCode);
        var issue = host.GitHub.OpenIssue(repository, "Support dark mode", "People read at night.", "agents", "ui");
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/config");

        var issues = page.Locator("fieldset", new() { Has = page.Locator("legend", new() { HasText = "Issues" }) });
        await issues.Locator("select").SelectOptionAsync("label");
        await issues.GetByRole(AriaRole.Textbox, new() { Name = "Label" }).FillAsync("agents");
        await issues.GetByRole(AriaRole.Checkbox, new() { Name = "Ask agents' questions on the issue too, and take an answer given there" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText("No changes.")).ToBeVisibleAsync();
        Assert.Contains("issues:             every open issue labelled \"agents\" becomes a task; agents' questions are asked on the issue too",
            (await host.Up.CliAsync("-w", workspace, "config", "get")).Output, StringComparison.Ordinal);

        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}");
        var card = page.Locator("li.card", new() { HasText = "Support dark mode" });
        await Expect(card.GetByRole(AriaRole.Link, new() { Name = $"#{issue}" })).ToHaveAttributeAsync("href", $"https://github.com/{repository}/issues/{issue}");
        await Expect(card).ToContainTextAsync("agents");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "board-issue-card.png") });
    }

    private Task<string> RunsAsync(string workspace, TaskItem task, int sessions) =>
        Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { LatestSession.Active: false } t && t.SessionCount >= sessions ? "" : null, $"run {sessions} of the task to end");
}
