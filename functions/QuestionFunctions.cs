using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Questions;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>Questions agents ask people; an answer can resume the asking task.</summary>
public sealed class QuestionFunctions(Api api, QuestionService questions)
{
    private const string Questions = "workspaces/{workspace}/questions";
    private const string OneQuestion = Questions + "/{question}";

    [Function("AskQuestion")]
    public Task<IActionResult> Ask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Questions)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.AskQuestion, (caller, input, ct) => questions.AskAsync(caller, workspace, input, ct));

    /// <summary><c>?open=true</c> for open ones only, <c>?task=ID</c> for one task's.</summary>
    [Function("ListQuestions")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Questions)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.ListQuestions, (caller, ct) => questions.ListAsync(caller, workspace, new QuestionFilter(Query.Flag(req, "open"), Query.Text(req, "task")), ct));

    [Function("GetQuestion")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneQuestion)] HttpRequest req, string workspace, string question) =>
        api.Run(req, Operations.GetQuestion, (caller, ct) => questions.GetAsync(caller, workspace, question, ct));

    [Function("AnswerQuestion")]
    public Task<IActionResult> Answer([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneQuestion + "/answer")] HttpRequest req, string workspace, string question) =>
        api.Run(req, Operations.AnswerQuestion, (caller, answer, ct) => questions.AnswerAsync(caller, workspace, question, answer, ct));

    [Function("ConfirmQuestion")]
    public Task<IActionResult> Confirm([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneQuestion + "/confirm")] HttpRequest req, string workspace, string question) =>
        api.Run(req, Operations.ConfirmQuestion, (caller, ct) => questions.ConfirmAsync(caller, workspace, question, ct));

    [Function("DismissQuestion")]
    public Task<IActionResult> Dismiss([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneQuestion + "/dismiss")] HttpRequest req, string workspace, string question) =>
        api.Run(req, Operations.DismissQuestion, (caller, ct) => questions.DismissAsync(caller, workspace, question, ct));
}
