using Konduktor.Core.Auth;
using Konduktor.Core.Questions;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.GitHub;

/// <summary>
/// Questions asked on issues too: when the workspace turns it on, an agent's question about a task made from an issue
/// is posted on the issue, and a comment there by a person with write access to the repository answers it (the oldest
/// open one of the task), as if given on the board — so the asking agent gets it. Konduktor's own comments, comments
/// older than the question and comments by people who may not write to the repository answer nothing.
/// </summary>
public sealed class QuestionMirror(QuestionService questions, TaskService tasks, IssueFollowing following, GitHubApi gitHub, ILogger<QuestionMirror> logger)
{
    /// <summary>How each mirrored question starts: a comment that starts so is Konduktor's, never an answer.</summary>
    public const string Marker = "**An agent asks**";

    private static readonly Principal Konduktor = Principal.Konduktor("issues");

    public async Task<string> MirrorAsync(Workspace workspace, Guid taskId, Guid questionId, CancellationToken ct)
    {
        if (!(await tasks.GetAsync(Konduktor, ShortId.Format(workspace.Id), ShortId.Format(taskId), ct)).TryGet(out var task, out _) || task.IssueNumber is not { } issue)
        {
            return $"question {ShortId.Of(questionId)}: its task was not made from an issue; asked on the board only";
        }

        if (!(await questions.GetAsync(Konduktor, ShortId.Format(workspace.Id), ShortId.Format(questionId), ct)).TryGet(out var question, out _) || !question.IsOpen)
        {
            return $"question {ShortId.Of(questionId)} is gone or answered already";
        }

        if (!await questions.MarkMirroredAsync(workspace.Id, questionId, issue, ct))
        {
            return $"question {question.ShortId} was asked on issue #{issue} already";
        }

        try
        {
            var body = $"{Marker} (Konduktor task `{task.ShortId}`, question `{question.ShortId}`):\n\n> {question.Text.ReplaceLineEndings("\n> ")}\n\n"
                + (question.Assumption is { } assumed ? $"Meanwhile it assumes: {assumed}\n\n" : "")
                + "Answer by commenting here: the first comment from someone with write access to this repository is given to the agent.";
            await gitHub.PostCommentAsync(workspace, issue, body, ct);
        }
        catch
        {
            await questions.MarkMirroredAsync(workspace.Id, questionId, null, CancellationToken.None);
            throw;
        }

        return $"question {question.ShortId} asked on issue #{issue}";
    }

    /// <summary>A comment on an issue: the answer to its task's oldest open mirrored question, when its author may write to the repository.</summary>
    public async Task<string> AnswerAsync(Workspace workspace, IssueComment comment, CancellationToken ct)
    {
        if (comment.Body.TrimStart().StartsWith(Marker, StringComparison.Ordinal))
        {
            return "ignored: Konduktor's own question";
        }

        if (await following.EntryAsync(workspace.Id, comment.Issue, ct) is not { TaskCreated: true } entry)
        {
            return $"ignored: issue #{comment.Issue} has no task";
        }

        var open = await questions.ListAsync(Konduktor, ShortId.Format(workspace.Id), new QuestionFilter(OpenOnly: true, Task: entry.TaskId), ct);
        var question = open.Value?.Where(q => q.MirroredOnIssue == comment.Issue && q.AskedAt <= comment.CreatedAt).MinBy(q => q.AskedAt);
        if (question is null)
        {
            return $"ignored: no open question of issue #{comment.Issue}'s task was asked before this comment";
        }

        if (!await gitHub.MayWriteAsync(workspace, comment.Author, ct))
        {
            return $"ignored: {comment.Author} has no write access to {workspace.GitHubRepository}, so the comment answers nothing";
        }

        var answered = await questions.AnswerAsync(new Principal(PrincipalKind.User, $"{comment.Author} (on GitHub)"), ShortId.Format(workspace.Id), ShortId.Format(question.Id), new QuestionAnswer(comment.Body.Trim()), ct);
        logger.LogInformation("Question {QuestionId} answered on issue #{Issue} by {Author}: {Result}", question.Id, comment.Issue, comment.Author, answered.IsSuccess ? "taken" : answered.Failure!.Message);
        return answered.IsSuccess ? $"question {question.ShortId} answered by {comment.Author} on issue #{comment.Issue}" : $"ignored: {answered.Failure!.Message}";
    }
}

/// <summary>A comment on an issue, from a webhook or a listing.</summary>
public sealed record IssueComment(int Issue, long Id, string Author, string Body, DateTimeOffset CreatedAt);
