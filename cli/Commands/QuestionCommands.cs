using Konduktor.Core.Contract;
using System.CommandLine;
using Konduktor.Core;
using Konduktor.Core.Questions;

namespace Konduktor.Cli.Commands;

/// <summary><c>questions ask|list|show|answer|confirm|dismiss</c>: agents ask, people answer when they can.</summary>
public static class QuestionCommands
{
    public static Command Build()
    {
        var id = new Argument<string>("id") { Description = "The question's id (a unique prefix)" };
        var text = new Argument<string>("text") { Description = "The question" };
        var answerText = new Argument<string>("answer") { Description = "The answer (for an assumption: the correction)" };
        var task = new Option<string?>("--task") { Description = "The task it is about (inside a session: the session's task by default)" };
        var project = new Option<string?>("--project") { Description = "The project it is about" };
        var assumption = new Option<string?>("--assumption") { Description = "Non-blocking: what you assumed and went on with (a person confirms or corrects it)" };
        var open = new Option<bool>("--open") { Description = "Only questions still waiting" };
        var resume = new Option<bool>("--resume") { Description = "Give the answer to the asking task's agent (default when a task's session asked): at its next turn while it runs, else by resuming it" };
        var noResume = new Option<bool>("--no-resume") { Description = "Record the answer without resuming the task" };

        IReadOnlyList<string> Route(CliContext cli) => cli.In(cli.Get(id));

        return CommandFactory.Group("questions", "Questions agents ask people; an answer can resume the agent",
            CommandFactory.Create("ask", "Ask a person a question (or, with --assumption, record one you went on without)", async (cli, ct) =>
            {
                var asked = await cli.Api.CallAsync(Operations.AskQuestion, cli.In(), new NewQuestion(cli.Get(text), cli.Get(task), cli.Get(project), cli.Get(assumption)), ct);
                cli.Print(asked, q => Output.Line($"Question asked: {q.ShortId}{(q.Assumption is null ? "" : " (non-blocking)")}"));
            }, text, task, project, assumption),
            CommandFactory.Create("list", "List questions, open ones first", async (cli, ct) =>
            {
                var all = await cli.Api.CallAsync(Operations.ListQuestions, cli.In(), ct, query: [new("open", cli.Get(open) ? "true" : null), new("task", cli.Get(task))]);
                cli.Print(all, list => Output.Table(["ID", "STATUS", "ABOUT", "ASKED BY", "ASKED", "QUESTION"], list.Select(q => (IReadOnlyList<string>)
                    [q.ShortId, Status(q), About(q), q.AskedBy, Output.Time(q.AskedAt), OneLine(q.Text)]), cli.Get(open) ? "No open questions." : "No questions."));
            }, open, task),
            CommandFactory.Create("show", "Show a question and its answer", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.GetQuestion, Route(cli), ct), Show), id),
            CommandFactory.Create("answer", "Answer a question: a task's agent that still runs hears it at its next turn; one that ended is resumed with it", async (cli, ct) =>
            {
                if (cli.Get(resume) && cli.Get(noResume))
                {
                    throw new CommandFailedException("--resume and --no-resume contradict each other; give one", ExitCodes.Usage);
                }

                bool? wanted = cli.Get(resume) ? true : cli.Get(noResume) ? false : null;
                cli.Print(await cli.Api.CallAsync(Operations.AnswerQuestion, Route(cli), new QuestionAnswer(cli.Get(answerText), wanted), ct), Show);
            }, id, answerText, resume, noResume),
            CommandFactory.Create("confirm", "Agree with the assumption an agent went on with", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.ConfirmQuestion, Route(cli), ct), Show), id),
            CommandFactory.Create("dismiss", "Close a question without answering it", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.DismissQuestion, Route(cli), ct), Show), id));
    }

    private static void Show(Question q)
    {
        Output.Line($"{q.ShortId}  [{Status(q)}]  about {About(q)}");
        Output.Line($"asked by {q.AskedBy} at {q.AskedAt:u}");
        Output.Line("");
        Output.Line(q.Text);
        if (q.Assumption is { } assumed)
        {
            Output.Line($"Assumed: {assumed}");
        }

        if (q.Answer is { } answer)
        {
            Output.Line("");
            Output.Line($"Answer ({q.AnsweredBy}, {q.AnsweredAt:u}): {answer}");
        }

        if (q.ResumeSessionId is { } resumed)
        {
            Output.Line($"Resumed the task: session {ShortId.Of(resumed)}");
        }

        if (q.ResumeNote is { } note)
        {
            Output.Line(note);
        }
    }

    private static string Status(Question q) => q.Status.ToString().ToLowerInvariant() + (q.Assumption is not null && q.IsOpen ? " (assumption)" : "");

    private static string About(Question q) =>
        q.TaskId is { } t ? $"task {ShortId.Of(t)}" : q.ProjectId is { } p ? $"project {ShortId.Of(p)}" : "the workspace";

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length > 80 ? line[..79] + "…" : line;
    }
}
