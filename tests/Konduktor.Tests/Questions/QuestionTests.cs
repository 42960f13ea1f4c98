using System.Text.Json;
using Konduktor.Core.Questions;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Questions;

/// <summary>Questions: asked from inside a session, answered by a person, the answer resuming the agent; assumptions confirmed or corrected.</summary>
public sealed class QuestionTests(AzuriteFixture azurite, SessionsHost host) : IClassFixture<SessionsHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_agent_asks_from_its_session_and_the_answer_resumes_its_conversation_with_the_answer_in_the_prompt()
    {
        var driver = new SessionDriver(host.Up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Pick a database", StandInAgent.Script(
            new { konduktor = new[] { "questions", "ask", "Which database should the cart use?" } },
            new { konduktor = new[] { "questions", "ask", "--assumption", "prices are integer cents", "How are prices stored?" } }));
        var first = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);
        Assert.True(first.Status == SessionStatus.Succeeded, first.Error);

        var open = JsonSerializer.Deserialize<List<Question>>((await host.Up.CliAsync("-w", workspace, "--json", "questions", "list", "--open", "--task", task.ShortId)).Output, SessionsHost.Json)!;
        var asked = Assert.Single(open, q => q.Assumption is null);
        var assumed = Assert.Single(open, q => q.Assumption is not null);
        Assert.Equal(task.Id, asked.TaskId);
        Assert.Equal(first.Id, asked.AskedBySessionId);
        Assert.Equal($"session {first.ShortId}", asked.AskedBy);

        var answered = await host.Up.CliAsync("-w", workspace, "questions", "answer", asked.ShortId, "Use Postgres.\n" + StandInAgent.Script(new { echoPrompt = true }));
        Assert.True(answered.ExitCode == 0, answered.ToString());
        var question = JsonSerializer.Deserialize<Question>((await host.Up.CliAsync("-w", workspace, "--json", "questions", "show", asked.ShortId)).Output, SessionsHost.Json)!;
        var resumed = await driver.WaitForEndAsync(workspace, question.ResumeSessionId!.Value);
        var said = string.Join("\n", (await driver.LogsAsync(workspace, resumed.Id)).Select(e => e.Text));

        Assert.Equal(QuestionStatus.Answered, question.Status);
        Assert.Contains("Resumed the task: session", answered.Output, StringComparison.Ordinal);
        Assert.Equal(SessionKind.Resume, resumed.Kind);
        Assert.Equal(first.ClaudeSessionId, resumed.ClaudeSessionId);
        Assert.Contains("You asked: Which database should the cart use?", said, StringComparison.Ordinal);
        Assert.Contains("Use Postgres.", said, StringComparison.Ordinal);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "questions", "confirm", assumed.ShortId)).ExitCode);
        Assert.Empty(JsonSerializer.Deserialize<List<Question>>((await host.Up.CliAsync("-w", workspace, "--json", "questions", "list", "--open")).Output, SessionsHost.Json)!);
    }

    [Fact]
    public async Task A_persons_question_is_answered_without_a_resume_and_closed_questions_stay_closed()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "Cart" }, Ct)).Value!;
        var general = (await core.Questions.AskAsync(core.Person, workspace.Name, new NewQuestion("Do we ship on Fridays?"), Ct)).Value!;
        var aboutTask = (await core.Questions.AskAsync(core.Person, workspace.Name, new NewQuestion("Is the cart per user?", Task: task.ShortId), Ct)).Value!;
        var assumption = (await core.Questions.AskAsync(core.Person, workspace.Name, new NewQuestion("Currency?", Task: task.ShortId, Assumption: "EUR only"), Ct)).Value!;

        var answered = (await core.Questions.AnswerAsync(core.Person, workspace.Name, general.ShortId, new QuestionAnswer("No."), Ct)).Value!;
        var twice = await core.Questions.AnswerAsync(core.Person, workspace.Name, general.ShortId, new QuestionAnswer("Yes?"), Ct);
        var noConversation = (await core.Questions.AnswerAsync(core.Person, workspace.Name, aboutTask.ShortId, new QuestionAnswer("Yes", Resume: true), Ct)).Value!;
        var confirmNonAssumption = await core.Questions.ConfirmAsync(core.Person, workspace.Name, answered.ShortId, Ct);
        var dismissed = (await core.Questions.DismissAsync(core.Person, workspace.Name, assumption.ShortId, Ct)).Value!;
        var empty = await core.Questions.AskAsync(core.Person, workspace.Name, new NewQuestion("   "), Ct);
        var all = (await core.Questions.ListAsync(core.Person, workspace.Name, new QuestionFilter(), Ct)).Value!;
        var open = (await core.Questions.ListAsync(core.Person, workspace.Name, new QuestionFilter(OpenOnly: true), Ct)).Value!;

        Assert.Null(answered.ResumeSessionId);
        Assert.Equal("No.", answered.Answer);
        Assert.IsType<Conflict>(twice.Failure);
        Assert.Equal(QuestionStatus.Answered, noConversation.Status);
        Assert.Contains("no conversation to resume", noConversation.ResumeNote, StringComparison.Ordinal);
        Assert.IsType<Conflict>(confirmNonAssumption.Failure);
        Assert.Equal(QuestionStatus.Dismissed, dismissed.Status);
        Assert.IsType<Invalid>(empty.Failure);
        Assert.Equal(3, all.Count);
        Assert.Empty(open);
    }
}
