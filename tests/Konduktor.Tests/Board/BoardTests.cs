using Deque.AxeCore.Playwright;
using System.Net.Http.Json;
using System.Text.Json;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Konduktor.Tests.Board;

/// <summary>The board in real Chromium against a real <c>up</c>: what a person does with mouse and keyboard.</summary>
public sealed class BoardTests(BoardHost host) : IClassFixture<BoardHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task A_person_creates_a_workspace_from_the_home_page_and_lands_on_its_empty_board()
    {
        var remote = await GitRemote.CreateAsync();
        var page = await host.SignedInPageAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "New workspace" }).ClickAsync();
        await page.GetByLabel("Repository").FillAsync(remote.Path);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create workspace" }).ClickAsync();

        await Expect(page.Locator("section.column")).ToHaveCountAsync(6);
        await Expect(page.Locator("section.column h2").First).ToContainTextAsync("Ideas");
        Assert.Contains("#/w/", page.Url, StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "empty-board.png") });
        Assert.StartsWith("data:image/svg+xml", await page.Locator("link[rel=icon]").GetAttributeAsync("href"), StringComparison.Ordinal);

        // Every page of the workspace is one command away.
        foreach (var (name, path) in new[] { ("Questions", "/questions"), ("Docs", "/docs"), ("Agents", "/agents") })
        {
            await page.Keyboard.PressAsync("Control+k");
            await page.Keyboard.TypeAsync(name);
            await page.GetByRole(AriaRole.Option, new() { Name = name, Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"#/w/[^/]+{path}$"));
        }
    }

    [Fact]
    public async Task Ctrl_k_creates_a_task_and_create_and_run_shows_its_live_logs_and_result()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var page = await host.OpenBoardAsync(workspace);

        await page.Keyboard.PressAsync("Control+k");
        await page.Keyboard.TypeAsync("Write the release notes");
        await page.GetByRole(AriaRole.Option, new() { Name = "Create task “Write the release notes”" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "New task" });
        await Expect(dialog.GetByLabel("Title")).ToHaveValueAsync("Write the release notes");
        await dialog.GetByLabel("Description (markdown)").FillAsync(StandInAgent.Script(new { say = "Drafting the **notes** now." }, new { sleep = 300 }, new { say = "Done drafting." }));
        await page.Keyboard.PressAsync("Control+Shift+Enter");

        var card = page.Locator("li.card", new() { HasText = "Write the release notes" });
        await Expect(card.Locator(".session")).ToHaveTextAsync("succeeded", new() { Timeout = 30_000 });
        await card.GetByRole(AriaRole.Button, new() { Name = "Open Write the release notes" }).ClickAsync();
        var logs = page.GetByTestId("log-lines");
        await Expect(logs).ToContainTextAsync("Drafting the notes now.");
        await Expect(logs.Locator("strong", new() { HasText = "notes" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("log-result")).ToContainTextAsync("success");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "task-modal.png") });
    }

    [Fact]
    public async Task A_card_dragged_to_another_column_stays_there_after_a_reload()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Drag me", "plain");
        var page = await host.OpenBoardAsync(workspace);
        var card = page.Locator($"li.card[data-task='{task.ShortId}']");
        var target = page.Locator("section.column[data-column='Done'] ol");

        var from = (await card.BoundingBoxAsync())!;
        var to = (await target.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(from.X + 20, from.Y + 10);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(from.X + 40, from.Y + 20, new() { Steps = 5 });
        await page.Mouse.MoveAsync(to.X + to.Width / 2, to.Y + 20, new() { Steps = 15 });
        await page.Mouse.UpAsync();

        await Expect(page.Locator($"section.column[data-column='Done'] li.card[data-task='{task.ShortId}']")).ToBeVisibleAsync();
        await Eventually.WaitAsync(async () => (await _driver.GetTaskAsync(workspace, task.Id)).Status == "Done" ? "" : null, "the move to be saved");
        await page.ReloadAsync();
        await Expect(page.Locator($"section.column[data-column='Done'] li.card[data-task='{task.ShortId}']")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "board.png") });
    }

    [Fact]
    public async Task A_running_session_is_stopped_from_the_task_modal()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var started = SessionDriver.Signal("started");
        var task = await _driver.CreateTaskAsync(workspace, "Stop me", StandInAgent.Script(new { say = "working" }, new { touch = started }, new { waitFor = started + ".never" }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/t/{task.ShortId}");

        await Expect(page.GetByTestId("log-lines")).ToContainTextAsync("working");
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();

        var ended = await _driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(SessionStatus.Stopped, ended.Status);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Run task" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_session_whose_tool_calls_were_refused_shows_needs_attention_on_the_card_and_why_in_the_task()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Refused push", StandInAgent.Script(new { say = "pushing" }, new { deny = "Bash", command = "git push origin HEAD" }));
        var session = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        Assert.Equal(SessionStatus.NeedsAttention, session.Status);
        var page = await host.OpenBoardAsync(workspace);

        var card = page.Locator($"li.card[data-task='{task.ShortId}']");
        await Expect(card.Locator(".session")).ToHaveTextAsync("needs attention");
        await card.GetByRole(AriaRole.Button, new() { Name = "Open Refused push" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Note).Filter(new() { HasText = "refused 1 tool call" })).ToContainTextAsync("Bash (git push origin HEAD)");
        await Expect(page.GetByTestId("log-lines")).ToContainTextAsync("Permission denied: Bash");
        await Expect(page.GetByTestId("log-result")).ToContainTextAsync("1 tool call refused");
    }

    [Fact]
    public async Task A_card_shows_its_pull_requests_checks_and_review_and_the_task_lists_the_failing_checks_with_links()
    {
        var remote = await GitRemote.CreateAsync();
        var workspace = "gh" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(0, (await host.Up.CliAsync("workspaces", "create", remote.Path, "--name", workspace, "--github", $"acme/{workspace}")).ExitCode);
        Assert.Equal(0, (await host.Up.CliWithInputAsync("ghp_board", "-w", workspace, "config", "set", "--github-token", "-")).ExitCode);
        var task = await _driver.CreateTaskAsync(workspace, "Reviewed on GitHub", StandInAgent.Script(new { write = "r.txt", content = "r\n" }, new { commit = "R" }));
        await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        var number = (await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { PullRequestNumber: not null } t ? t : null, "the pull request")).PullRequestNumber!.Value;
        host.GitHub.Review(number, "CHANGES_REQUESTED", "Not yet.");
        await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { ReviewState: "changes_requested", ChecksState: "failing" } t ? t : null, "the reconciler to read checks and review");
        var page = await host.OpenBoardAsync(workspace);

        var card = page.Locator($"li.card[data-task='{task.ShortId}']");
        await Expect(card.GetByTestId("checks")).ToHaveTextAsync("✗ checks");
        await Expect(card.GetByTestId("review")).ToHaveTextAsync("✎ changes requested");
        await card.GetByRole(AriaRole.Button, new() { Name = "Open Reviewed on GitHub" }).ClickAsync();

        var failing = page.GetByTestId("failing-checks");
        await Expect(failing).ToContainTextAsync("unit tests");
        Assert.Equal($"https://github.com/acme/{workspace}/runs/1", await failing.GetByRole(AriaRole.Link, new() { Name = "unit tests" }).GetAttributeAsync("href"));
    }

    [Fact]
    public async Task Every_setting_is_on_the_config_page_saved_as_changed_and_auto_fix_says_what_it_needs()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/config");

        await Expect(page.GetByTestId("auto-fix-needs")).ToHaveTextAsync("Needs a repository on GitHub.");
        await Expect(page.GetByLabel("Resume the agent with a review that requests changes")).ToBeDisabledAsync(); // off, and it cannot work here: it cannot be turned on
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save" })).ToBeDisabledAsync();
        var resume = page.GetByLabel("Continue a session that stopped at the account's usage limit once it resets");
        var wasOn = await resume.IsCheckedAsync();
        await resume.SetCheckedAsync(!wasOn);
        await page.GetByLabel("Task agent system prompt").FillAsync("Be brief and open a PR.");
        await page.GetByLabel("Daily budget (USD)").FillAsync("12.5");
        await page.GetByLabel("Hosts agents may reach").FillAsync("registry.npmjs.org");
        await page.GetByLabel("Without a pull request, a task").SelectOptionAsync(new SelectOptionValue { Label = "goes to Done" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText("Configuration saved.")).ToBeVisibleAsync();
        await page.ReloadAsync();

        await Expect(resume).ToBeCheckedAsync(new() { Checked = !wasOn });
        await Expect(page.GetByLabel("Task agent system prompt")).ToHaveValueAsync("Be brief and open a PR.");
        var config = JsonDocument.Parse((await host.Up.CliAsync("-w", workspace, "config", "get", "--json")).Output).RootElement;
        Assert.Equal(!wasOn, config.GetProperty("autoResume").GetBoolean());
        Assert.Equal(12.5m, config.GetProperty("dailyBudgetUsd").GetDecimal());
        Assert.Equal("Done", config.GetProperty("withoutPullRequest").GetString());
        Assert.Equal("registry.npmjs.org:443", Assert.Single(config.GetProperty("allowedHosts").EnumerateArray()).GetString());
        Assert.False(config.GetProperty("autoFixReviews").GetBoolean());
    }

    [Fact]
    public async Task Changes_made_elsewhere_appear_on_the_open_board_without_a_reload()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var page = await host.OpenBoardAsync(workspace);

        var created = await host.Up.CliAsync("-w", workspace, "tasks", "create", "--title", "Made in the terminal", "--status", "Ideas");

        Assert.Equal(0, created.ExitCode);
        await Expect(page.Locator("section.column[data-column='Ideas'] li.card", new() { HasText = "Made in the terminal" })).ToBeVisibleAsync(new() { Timeout = 5_000 });
    }

    [Fact]
    public async Task Without_signing_in_the_board_says_how_to_and_the_api_refuses()
    {
        var context = await host.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(host.Up.Url + "/");

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("run konduktor open on the machine it runs on");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "New workspace" })).ToHaveCountAsync(0);
        var response = await page.APIRequest.GetAsync(host.Up.Url + "/api/workspaces");
        Assert.Equal(401, response.Status);
    }

    [Fact]
    public async Task A_card_dragged_within_its_column_keeps_its_new_place()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        foreach (var title in new[] { "First", "Second", "Third" })
        {
            await host.Up.CliAsync("-w", workspace, "tasks", "create", "--title", title);
        }

        var page = await host.OpenBoardAsync(workspace);
        var column = page.Locator("section.column[data-column='To do'] li.card");
        await Expect(column).ToHaveCountAsync(3);
        await DragAsync(page, column.Nth(2), column.Nth(0), above: true);

        await Expect(column.First).ToContainTextAsync("Third");
        await Eventually.WaitAsync(async () => (await host.Up.CliAsync("-w", workspace, "tasks", "list")).Output is var list
            && list.IndexOf("Third", StringComparison.Ordinal) < list.IndexOf("First", StringComparison.Ordinal) ? list : null, "the new order to be saved");
        await page.ReloadAsync();
        await Expect(page.Locator("section.column[data-column='To do'] li.card .card-title")).ToHaveTextAsync(["Third", "First", "Second"]);
    }

    [Fact]
    public async Task A_move_the_api_refuses_is_undone_with_a_visible_message()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Deleted behind your back", "plain");
        var page = await host.OpenBoardAsync(workspace);
        var card = page.Locator($"li.card[data-task='{task.ShortId}']");
        await Expect(card).ToBeVisibleAsync();

        // Deleted once the drag has begun: the board does not re-read while a card is in the hand, so the card is still there to drop.
        await DragAsync(page, card, page.Locator("section.column[data-column='Done'] ol"), above: false,
            whileHeld: async () => Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "delete", task.ShortId)).ExitCode));

        await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "The move was undone" })).ToContainTextAsync($"no task matches '{task.Id}'");
    }

    [Fact]
    public async Task A_message_sent_from_a_running_sessions_box_reaches_the_agent_and_shows_in_the_log_as_the_persons_turn()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var (started, release) = (SessionDriver.Signal("started"), SessionDriver.Signal("release"));
        var task = await _driver.CreateTaskAsync(workspace, "Talk to me", StandInAgent.Script(new { say = "working on it" }, new { touch = started }, new { waitFor = release }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/t/{task.ShortId}");
        await Expect(page.GetByTestId("log-lines")).ToContainTextAsync("working on it");

        var box = page.GetByRole(AriaRole.Textbox, new() { Name = "Say something to the agent" });
        await box.FillAsync("Please keep the **public API** unchanged.");
        await box.PressAsync("Enter");

        await Expect(box).ToHaveValueAsync("");
        await Expect(page.GetByTestId("log-person").Last).ToContainTextAsync("said", new() { Timeout = 15_000 });
        await Expect(page.GetByTestId("log-person").Last).ToContainTextAsync("Please keep the public API unchanged.");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "task-say.png") });
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "task-say-phone.png"), FullPage = true });
        await File.WriteAllTextAsync(release, "go", TestContext.Current.CancellationToken);
        await Expect(page.GetByTestId("log-lines")).ToContainTextAsync("heard: Please keep the public API unchanged.", new() { Timeout = 15_000 });
        Assert.Equal(SessionStatus.Succeeded, (await _driver.WaitForEndAsync(workspace, session.Id)).Status);
        await Expect(box).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_board_reads_on_a_phone_width_without_sideways_scrolling()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        await _driver.CreateTaskAsync(workspace, "Readable on a phone, even with a long title that has to wrap", "plain");
        var page = await host.OpenBoardAsync(workspace);
        await page.SetViewportSizeAsync(390, 844);

        var overflow = await page.EvaluateAsync<bool>("document.documentElement.scrollWidth > window.innerWidth + 1");

        Assert.False(overflow);
        await Expect(page.Locator("li.card").First).ToBeInViewportAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "board-phone.png"), FullPage = true });
    }

    [Fact]
    public async Task A_phase_is_approved_from_the_project_page_with_a_note_and_the_next_phase_opens()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var created = await host.Up.CliAsync("-w", workspace, "--json", "projects", "create", "--title", "Checkout", "--phase", "Model", "--phase", "UI");
        var project = JsonSerializer.Deserialize<Konduktor.Core.Projects.Project>(created.Output, SessionsHost.Json)!;
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "create", "--title", "Cart model", "--project", project.ShortId, "--phase", "1", "--status", "Done")).ExitCode);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "create", "--title", "Cart page", "--project", project.ShortId, "--phase", "2")).ExitCode);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "projects", "start", project.ShortId)).ExitCode);
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}");
        var later = page.Locator("li.card", new() { HasText = "Cart page" });
        await Expect(later.GetByTestId("blocked")).ToContainTextAsync("waits for phase 1 (Model)");
        await Expect(later.Locator("button.play")).ToBeDisabledAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/projects/{project.ShortId}");

        await Expect(page.GetByTestId("phase-1-state")).ToContainTextAsync("awaiting review · just now", new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("blocking")).ToContainTextAsync("awaits review");
        await page.GetByLabel("Note for phase 1").FillAsync("Model looks right");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve phase" }).ClickAsync();

        await Expect(page.GetByTestId("phase-1-state")).ToContainTextAsync("approved · just now");
        await Expect(page.GetByTestId("phase-1-state")).ToContainTextAsync("— “Model looks right”");
        await Expect(page.GetByTestId("phase-2-state")).ToContainTextAsync("open · just now", new() { Timeout = 15_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "project.png") });
        Assert.Contains("Phase 2: UI · open ·", (await host.Up.CliAsync("-w", workspace, "projects", "show", project.ShortId)).Output, StringComparison.Ordinal);
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}");
        await Expect(page.Locator("li.card", new() { HasText = "Cart page" }).Locator("button.play")).ToBeEnabledAsync();
    }

    [Fact]
    public async Task A_question_is_answered_from_the_board_and_the_answer_resumes_the_agent()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Pick a queue", StandInAgent.Script(new { konduktor = new[] { "questions", "ask", "Storage queues or Service Bus?" } }));
        var first = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        Assert.Equal(SessionStatus.Succeeded, first.Status);
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/questions");
        var question = page.Locator("li.question.open", new() { HasText = "Storage queues or Service Bus?" });
        await Expect(question).ToContainTextAsync($"asked by session {first.ShortId}");

        await question.GetByRole(AriaRole.Textbox).FillAsync("Storage queues.\n" + StandInAgent.Script(new { echoPrompt = true }));
        await question.GetByRole(AriaRole.Button, new() { Name = "Answer & resume" }).ClickAsync();

        await Expect(page.Locator("li.question.open")).ToHaveCountAsync(0);
        var answered = JsonSerializer.Deserialize<List<Konduktor.Core.Questions.Question>>((await host.Up.CliAsync("-w", workspace, "--json", "questions", "list", "--task", task.ShortId)).Output, SessionsHost.Json)!;
        var resumed = await _driver.WaitForEndAsync(workspace, Assert.Single(answered).ResumeSessionId!.Value);
        var said = string.Join("\n", (await _driver.LogsAsync(workspace, resumed.Id)).Select(e => e.Text));
        Assert.Equal(SessionKind.Resume, resumed.Kind);
        Assert.Contains("Storage queues.", said, StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "questions.png") });
    }

    [Fact]
    public async Task A_doc_is_read_edited_and_its_earlier_version_opened_from_the_board()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        Assert.Equal(0, (await host.Up.CliWithInputAsync("# Runbook\n\nRestart the **worker**.\n", "-w", workspace, "docs", "create", "--title", "Runbook", "--file", "-")).ExitCode);
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/docs");

        await page.GetByRole(AriaRole.Link, new() { Name = "Runbook" }).ClickAsync();
        await Expect(page.Locator(".markdown strong")).ToHaveTextAsync("worker");
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await page.GetByLabel("Markdown").FillAsync("# Runbook\n\nRestart the **scheduler** instead.\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator(".markdown strong")).ToHaveTextAsync("scheduler");
        await Expect(page.Locator(".page-head h1")).ToContainTextAsync("v2");
        await page.GetByText("History (2 versions)").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "v1" }).ClickAsync();

        await Expect(page.Locator(".markdown strong")).ToHaveTextAsync("worker");
        await Expect(page.Locator(".page-head h1")).ToContainTextAsync("an earlier version");
        Assert.Contains("scheduler", (await host.Up.CliAsync("-w", workspace, "docs", "show", "runbook")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scheduled_agent_is_created_edited_disabled_enabled_and_run_from_the_board_and_its_run_and_logs_show_up()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/agents");
        var form = page.GetByRole(AriaRole.Form, new() { Name = "New agent" });
        await form.GetByLabel("Start from").SelectOptionAsync("digest");
        await Expect(form.Locator("textarea")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("digest", System.Text.RegularExpressions.RegexOptions.IgnoreCase)); // the preset's prompt, to change
        await form.GetByLabel("Start from").SelectOptionAsync("");
        await form.GetByLabel("Name").FillAsync("scout");
        await form.GetByLabel("Every").FillAsync("1d");
        await form.Locator("textarea").FillAsync("Look around.\n" + StandInAgent.Script(new { say = "nothing to report today" }));
        await form.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "scout" })).ToContainTextAsync("enabled");

        await page.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await page.GetByRole(AriaRole.Form, new() { Name = "Edit agent" }).GetByLabel("Every").FillAsync("2h");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator("section.agent")).ToContainTextAsync("every 2h");
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "scout" })).ToContainTextAsync("disabled");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enable" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "scout" })).ToContainTextAsync("enabled");
        var shown = JsonDocument.Parse((await host.Up.CliAsync("-w", workspace, "--json", "agents", "show", "scout")).Output).RootElement;
        Assert.Equal("2h", shown.GetProperty("every").GetString());
        Assert.True(shown.GetProperty("enabled").GetBoolean());

        await page.GetByRole(AriaRole.Button, new() { Name = "Run now" }).ClickAsync();
        await Expect(page.Locator("table.runs")).ToContainTextAsync("queued", new() { Timeout = 15_000 });
        await Expect(page.Locator("table.runs")).ToContainTextAsync("succeeded", new() { Timeout = 30_000 });
        await Expect(page.Locator(".task-logs")).ToContainTextAsync("nothing to report today", new() { Timeout = 15_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "agent.png") });
    }

    private static async Task DragAsync(IPage page, ILocator from, ILocator to, bool above, Func<Task>? whileHeld = null)
    {
        var start = (await from.BoundingBoxAsync())!;
        var end = (await to.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(start.X + 20, start.Y + 10);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(start.X + 25, start.Y + 20, new() { Steps = 5 });
        if (whileHeld is not null)
        {
            await whileHeld();
        }

        await page.Mouse.MoveAsync(end.X + end.Width / 2, above ? end.Y + 2 : end.Y + 20, new() { Steps = 20 });
        await page.Mouse.UpAsync();
    }

    [Fact]
    public async Task A_task_waiting_for_quota_says_so_on_its_card_and_an_account_close_to_its_limit_is_shown_above_the_board()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "config", "set", "--auto-resume", "off")).ExitCode);
        var limited = await _driver.CreateTaskAsync(workspace, "Meets the limit", StandInAgent.Script(new { usageLimit = "rejected", resetsIn = 2 }));
        var parked = (await _driver.RunAsync(workspace, limited)).Id;
        await Eventually.WaitAsync(async () => (await _driver.GetSessionAsync(workspace, parked)).Status == SessionStatus.WaitingForQuota ? "" : null, "the session to wait for quota");
        // Once the two seconds are over, a run that only warns: the account is close to its limit for an hour.
        var warned = await _driver.CreateTaskAsync(workspace, "Sees the warning", StandInAgent.Script(new { usageLimit = "allowed_warning", resetsIn = 3600, window = "seven_day" }));
        var warning = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, warned)).Id);
        Assert.Equal(SessionStatus.Succeeded, warning.Status);

        var page = await host.OpenBoardAsync(workspace);
        var card = page.Locator($"li.card[data-task='{limited.ShortId}']");

        await Expect(card.Locator(".session")).ToHaveTextAsync("waiting for quota");
        await Expect(card.GetByTestId("quota")).ToContainTextAsync("resume by hand");
        await Expect(page.GetByTestId("account-limit")).ToContainTextAsync("is close to its usage limit (seven day)");
        await Expect(page.GetByTestId("usage-chart")).ToContainTextAsync("today");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "board-quota.png") });
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "stop", limited.ShortId)).ExitCode);
    }

    [Fact]
    public async Task The_changes_tab_shows_the_highlighted_diff_and_comments_on_its_lines_resume_the_agent_with_them()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Write the app", StandInAgent.Script(
            new { write = "src/app.py", content = "def main():\n    print('hello')\n    return 0\n" }, new { commit = "Add the app" }));
        var first = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        Assert.Equal(SessionStatus.Succeeded, first.Status);
        var page = await host.OpenBoardAsync(workspace);
        await page.Locator($"li.card[data-task='{task.ShortId}']").GetByRole(AriaRole.Button, new() { Name = "Open Write the app" }).ClickAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "Changes" }).ClickAsync();
        var changes = page.GetByTestId("changes");
        await Expect(changes.GetByRole(AriaRole.List, new() { Name = "Changed files" })).ToContainTextAsync("src/app.py");
        await Expect(changes).ToContainTextAsync("+3");
        var line = changes.Locator("tr", new() { HasText = "print('hello')" });
        await Expect(line.Locator(".token.function, .token.keyword, .token.string").First).ToBeVisibleAsync();
        var file = changes.Locator("details.file-diff");
        await file.Locator("summary").ClickAsync();
        await Expect(line).ToBeHiddenAsync();
        await file.Locator("summary").ClickAsync();
        await line.Locator("td.diff-gutter").First.ClickAsync();
        await changes.GetByLabel("Comment on src/app.py:2").FillAsync("Say goodbye too.");
        await changes.GetByRole(AriaRole.Button, new() { Name = "Add comment" }).ClickAsync();
        await Expect(changes.GetByTestId("review-comment")).ToContainTextAsync("Say goodbye too.");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BoardHost.Artifacts, "task-changes.png") });
        await changes.GetByRole(AriaRole.Button, new() { Name = "Resume with 1 comment" }).ClickAsync();

        var resumed = await Eventually.WaitAsync(async () => (await _driver.GetTaskAsync(workspace, task.Id)).SessionCount == 2
            ? (await _driver.GetSessionAsync(workspace, (await _driver.GetTaskAsync(workspace, task.Id)).LatestSession!.Id)) : null, "the resume");
        Assert.Equal(SessionKind.Resume, resumed.Kind);
        Assert.Contains("1. src/app.py:2\n   >     print('hello')\n   Say goodbye too.", resumed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Saving_an_edit_never_moves_a_task_back_and_a_conflict_says_what_changed_and_applies_the_edit_again()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Conflicted", "plain");
        var page = await host.OpenBoardAsync(workspace);
        await page.Locator($"li.card[data-task='{task.ShortId}']").GetByRole(AriaRole.Button, new() { Name = "Open Conflicted" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await dialog.GetByLabel("Title").FillAsync("Conflicted, renamed");

        // Meanwhile an agent (here the CLI) moves the task: the person's save must not move it back.
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", task.ShortId, "In progress")).ExitCode);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(dialog.GetByTestId("edit-conflict")).ToContainTextAsync("the column: now “In progress”");
        Assert.Equal("Conflicted", (await _driver.GetTaskAsync(workspace, task.Id)).Title);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Apply my changes to the task as it is now" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        var saved = await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { Title: "Conflicted, renamed" } t ? t : null, "the edit to land");
        Assert.Equal("In progress", saved.Status);
    }

    [Fact]
    public async Task Ctrl_r_runs_the_focused_card_never_a_hovered_one_and_a_question_mark_lists_every_shortcut()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var hovered = await _driver.CreateTaskAsync(workspace, "Only hovered", StandInAgent.Script(new { say = "ran" }));
        var focused = await _driver.CreateTaskAsync(workspace, "Focused", StandInAgent.Script(new { say = "ran" }));
        var page = await host.OpenBoardAsync(workspace);

        await page.Locator($"li.card[data-task='{hovered.ShortId}']").HoverAsync();
        await page.Keyboard.PressAsync("Control+r"); // nothing is chosen: the browser may reload the page, as the person wanted
        await Expect(page.Locator("section.column")).ToHaveCountAsync(6);
        var card = page.Locator($"li.card[data-task='{focused.ShortId}']");
        await card.FocusAsync();
        await page.Keyboard.PressAsync("Control+r");

        await Eventually.WaitAsync(async () => (await _driver.GetTaskAsync(workspace, focused.Id)).SessionCount == 1 ? "" : null, "the focused task to run");
        Assert.Equal(0, (await _driver.GetTaskAsync(workspace, hovered.Id)).SessionCount);
        await page.Keyboard.PressAsync("?");
        var help = page.GetByRole(AriaRole.Dialog, new() { Name = "Keyboard shortcuts" });
        await Expect(help).ToContainTextAsync("Run the task highlighted in the command bar, the focused card's");
        await Expect(help).ToContainTextAsync("Focus the next card in the column");
        await Expect(help.Locator("tr")).ToHaveCountAsync(9);
    }

    [Fact]
    public async Task An_open_board_shows_a_change_made_elsewhere_without_reading_itself_on_a_timer()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Changed elsewhere", "plain");
        var page = await host.OpenBoardAsync(workspace);
        var boardReads = 0;
        page.Request += (_, request) => boardReads += request.Url.EndsWith($"/api/workspaces/{workspace}/board", StringComparison.Ordinal) ? 1 : 0;

        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", task.ShortId, "Done")).ExitCode);

        await Expect(page.Locator($"section.column[data-column='Done'] li.card[data-task='{task.ShortId}']")).ToBeVisibleAsync();
        Assert.Equal(1, boardReads);
    }

    [Fact]
    public async Task A_long_log_has_only_the_rows_in_view_in_the_page_follows_its_end_and_leaves_a_reader_where_they_scrolled()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var more = SessionDriver.Signal("more");
        var task = await _driver.CreateTaskAsync(workspace, "Long log", StandInAgent.Script(
            new { flood = 3000, size = 100 }, new { waitFor = more }, new { flood = 200, size = 100, delay = 5 }));
        await _driver.RunAsync(workspace, task);
        var page = await host.SignedInPageAsync();
        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/t/{task.ShortId}");
        var logs = page.GetByTestId("log-lines");

        await Expect(logs).ToContainTextAsync("event 3000 of 3000", new() { Timeout = 30_000 });
        await logs.EvaluateAsync("el => { el.scrollTop = 0; }");
        await Expect(logs).ToContainTextAsync("event 1 of 3000");
        Assert.InRange(await page.Locator(".log-row").CountAsync(), 1, 80);

        // New events arriving do not pull a reader away from what they scrolled to.
        var before = await EventCountAsync(page);
        File.WriteAllText(more, "");
        await Eventually.WaitAsync(async () => await EventCountAsync(page) >= before + 100 ? "" : null, "more events to arrive");
        Assert.Equal(0, await logs.EvaluateAsync<double>("el => el.scrollTop"));
        await Expect(logs).ToContainTextAsync("event 1 of 3000");

        // Back at the end, it follows the session again to its result.
        await logs.EvaluateAsync("el => { el.scrollTop = el.scrollHeight; }");
        await Expect(page.GetByTestId("log-result")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(logs).ToContainTextAsync("event 200 of 200");
        Assert.True(await EventCountAsync(page) > 3200);
        Assert.InRange(await page.Locator(".log-row").CountAsync(), 1, 80);
    }

    [Fact]
    public async Task A_column_of_hundreds_of_cards_has_only_those_in_view_in_the_page_and_reaches_its_last()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        using var http = host.Up.Http();
        await Parallel.ForEachAsync(Enumerable.Range(1, 300), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            (await http.PostAsJsonAsync($"api/workspaces/{workspace}/tasks", new NewTask { Title = $"Card {i:000}", Status = "Ideas" }, SessionsHost.Json, ct)).EnsureSuccessStatusCode());
        var board = (await http.GetFromJsonAsync<Konduktor.Core.Tasks.Board>($"api/workspaces/{workspace}/board", SessionsHost.Json))!;
        var last = board.Columns.Single(c => c.Name == "Ideas").Tasks[^1];
        var page = await host.OpenBoardAsync(workspace);
        var ideas = page.Locator("section.column[data-column='Ideas']");

        await Expect(ideas.Locator(".count")).ToHaveTextAsync("300");
        await Expect(ideas.Locator("li.card").First).ToBeVisibleAsync();
        Assert.InRange(await ideas.Locator("li.card").CountAsync(), 1, 40);
        // Scrolled to its end as a person would: again while cards measured taller than estimated push the end further.
        await page.WaitForFunctionAsync(
            """
            last => { const s = document.querySelector("section.column[data-column='Ideas'] .cards-scroll");
              const card = s.querySelector(`li.card[data-task='${last}']`);
              if (card && card.getBoundingClientRect().bottom <= s.getBoundingClientRect().bottom + 1) return true;
              s.scrollTop = s.scrollHeight; return false; }
            """, last.ShortId, new() { PollingInterval = 50, Timeout = 10_000 });
        await Expect(ideas.Locator($"li.card[data-task='{last.ShortId}']")).ToBeInViewportAsync();
        Assert.InRange(await ideas.Locator("li.card").CountAsync(), 1, 40);
    }

    [Fact]
    public async Task An_open_task_and_an_open_project_show_changes_made_elsewhere_without_reading_themselves_on_a_timer()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var created = await host.Up.CliAsync("-w", workspace, "--json", "projects", "create", "--title", "Search", "--phase", "Index");
        var project = JsonSerializer.Deserialize<Konduktor.Core.Projects.Project>(created.Output, SessionsHost.Json)!;
        var task = JsonSerializer.Deserialize<Konduktor.Core.Tasks.TaskItem>(
            (await host.Up.CliAsync("-w", workspace, "--json", "tasks", "create", "--title", "Build the index", "--project", project.ShortId, "--phase", "1")).Output, SessionsHost.Json)!;
        var page = await host.SignedInPageAsync();
        var reads = new List<string>();
        page.Request += (_, request) => reads.Add(new Uri(request.Url).AbsolutePath);

        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/projects/{project.ShortId}");
        var card = page.Locator("li.card", new() { HasText = "Build the index" });
        await Expect(card).ToContainTextAsync("To do");
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", task.ShortId, "In progress")).ExitCode);
        await Expect(card).ToContainTextAsync("In progress");
        Assert.InRange(reads.Count(r => r.EndsWith($"/projects/{project.ShortId}", StringComparison.Ordinal)), 2, 3);

        await page.GotoAsync($"{host.Up.Url}/#/w/{workspace}/t/{task.ShortId}");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Build the index");
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "update", task.ShortId, "--title", "Build the search index")).ExitCode);
        await Expect(dialog).ToContainTextAsync("Build the search index");
        Assert.InRange(reads.Count(r => r.EndsWith($"/tasks/{task.ShortId}", StringComparison.Ordinal)), 2, 3);
    }

    private static async Task<int> EventCountAsync(IPage page) =>
        int.Parse(await page.GetByTestId("log-count").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
}
