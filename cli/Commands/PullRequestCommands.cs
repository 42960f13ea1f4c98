using System.CommandLine;
using Konduktor.Core.Contract;
using Konduktor.Core.GitHub;

namespace Konduktor.Cli.Commands;

/// <summary>
/// <c>prs review|comment</c>: post on the workspace's pull requests through Konduktor, with the workspace's GitHub token
/// — how an agent acts on GitHub without holding a credential, and the same for people.
/// </summary>
public static class PullRequestCommands
{
    public static Command Build()
    {
        var number = new Argument<string>("number") { Description = "The pull request's number in the workspace's repository" };
        var message = new Option<string?>("--message", "-m") { Description = "The text (markdown; - for stdin)" };
        var file = new Option<string?>("--file") { Description = "The text from a file (- for stdin)" };
        var approve = new Option<bool>("--approve") { Description = "Approve the pull request" };
        var requestChanges = new Option<bool>("--request-changes") { Description = "Request changes (the text says which)" };
        var comment = new Option<bool>("--comment") { Description = "A review that neither approves nor requests changes" };

        IReadOnlyList<string> Route(CliContext cli) => cli.In(cli.Get(number));
        string? Text(CliContext cli) => CommandFactory.ReadText(cli.Get(message), cli.Get(file));

        var task = new Argument<string>("task") { Description = "The task whose branch it is (its id, a unique prefix)" };
        var title = new Option<string>("--title") { Description = "The pull request's title: one line", Required = true };

        return CommandFactory.Group("prs", "Open, review and comment on the workspace's pull requests (through Konduktor, with the workspace's GitHub token)",
            CommandFactory.Create("open", "Open the task's pull request with your title and description (what changed, how you tested it); an open one is shown instead", async (cli, ct) =>
            {
                var opened = await cli.Api.CallAsync(Operations.OpenTaskPullRequest, cli.In(cli.Get(task)), new NewTaskPullRequest { Title = cli.Get(title), Body = Text(cli) }, ct);
                cli.Print(opened, p => Output.Line($"Pull request #{p.Number}: {p.Url}"));
            }, task, title, message, file),
            CommandFactory.Create("review", "Post a review: --approve, --request-changes or --comment, with the findings as its text", async (cli, ct) =>
            {
                var verdicts = new[] { (cli.Get(approve), "approve"), (cli.Get(requestChanges), "request-changes"), (cli.Get(comment), "comment") }.Where(v => v.Item1).ToList();
                if (verdicts.Count != 1)
                {
                    throw new CommandFailedException("say what the review is: exactly one of --approve, --request-changes or --comment", ExitCodes.Usage);
                }

                var posted = await cli.Api.CallAsync(Operations.ReviewPullRequest, Route(cli), new NewPullRequestReview { Verdict = verdicts[0].Item2, Body = Text(cli) }, ct);
                cli.Print(posted, p => Output.Line($"Review posted on #{p.Number}: {p.Url}"));
            }, number, approve, requestChanges, comment, message, file),
            CommandFactory.Create("comment", "Post a comment on a pull request's conversation", async (cli, ct) =>
            {
                var posted = await cli.Api.CallAsync(Operations.CommentOnPullRequest, Route(cli), new NewPullRequestComment { Body = Text(cli) ?? "" }, ct);
                cli.Print(posted, p => Output.Line($"Comment posted on #{p.Number}: {p.Url}"));
            }, number, message, file));
    }
}
