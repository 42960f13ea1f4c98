using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Projects;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Questions;

/// <summary>
/// Questions agents ask people, answered asynchronously (no notifications: the board and the CLI list the open
/// ones). An answer to a question a task's session asked resumes that task's conversation with the answer in its
/// prompt (unless the person says not to); an assumption is confirmed, or corrected by an answer (which resumes).
/// </summary>
public sealed class QuestionService(WorkspaceService workspaces, TaskService tasks, ProjectService projects, SessionStore sessions, SessionStarts starts, SessionMessages messages, GitHub.GitHubWork work, StorageClients storage, TimeProvider clock, IIdGenerator ids, ILogger<QuestionService> logger)
{
    public const int MaxTextLength = 20_000;

    public async Task<Result<Question>> AskAsync(Principal caller, string workspaceRef, NewQuestion input, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure)
            || !Text(input.Text, "question").TryGet(out var text, out failure))
        {
            return failure;
        }

        if (input.Assumption is not null && Text(input.Assumption, "assumption").Failure is { } badAssumption)
        {
            return badAssumption;
        }

        // Inside a session, the asker is the session: its task unless another is named, and its scheduled agent.
        var asking = caller is { Kind: PrincipalKind.Session, Id: { } sessionId } ? await sessions.FindEntityAsync(workspace.Id, sessionId, ct) : null;
        string? taskId = null;
        if (input.Task is not null)
        {
            if (!(await tasks.FindAsync(caller, workspaceRef, input.Task, ct)).TryGet(out var task, out failure))
            {
                return failure;
            }

            taskId = task.Entity.RowKey;
        }
        else if (input.Project is null)
        {
            taskId = asking?.TaskId;
        }

        string? projectId = null;
        if (input.Project is not null)
        {
            if (!(await projects.GetAsync(caller, workspaceRef, input.Project, ct)).TryGet(out var project, out failure))
            {
                return failure;
            }

            projectId = ShortId.Format(project.Id);
        }

        var entity = new QuestionEntity
        {
            PartitionKey = ShortId.Format(workspace.Id),
            RowKey = ShortId.Format(ids.NewId()),
            Text = text,
            Assumption = input.Assumption?.Trim(),
            TaskId = taskId,
            ProjectId = projectId,
            AskedBy = caller.Name,
            AskedBySessionId = asking?.RowKey,
            AgentName = asking?.AgentName,
            AskedAt = clock.GetUtcNow(),
        };
        var table = await storage.Table(TableNames.Questions);
        entity.ETag = (await table.AddEntityAsync(entity, ct)).Headers.ETag ?? default;
        logger.LogInformation("Question {QuestionId} asked in workspace {WorkspaceId} by {Principal}", entity.RowKey, workspace.Id, caller.Name);
        if (taskId is not null && workspace.Config.MirrorQuestions)
        {
            // Asked on the task's issue too, from the work queue (when the task was made from one).
            await work.EnqueueAsync(new GitHub.GitHubWorkItem(GitHub.GitHubWorkKind.MirrorQuestion, workspace.Id, Guid.Parse(taskId), Detail: entity.RowKey), ct);
        }

        return entity.ToQuestion();
    }

    /// <summary>Open questions first, then the newest.</summary>
    public async Task<Result<IReadOnlyList<Question>>> ListAsync(Principal caller, string workspaceRef, QuestionFilter filter, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        string? taskId = null;
        if (filter.Task is not null)
        {
            if (!(await tasks.FindAsync(caller, workspaceRef, filter.Task, ct)).TryGet(out var task, out failure))
            {
                return failure;
            }

            taskId = task.Entity.RowKey;
        }

        var query = TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspace.Id)}");
        if (filter.OpenOnly)
        {
            query += " and " + TableClient.CreateQueryFilter($"Status eq {nameof(QuestionStatus.Open)}");
        }

        if (taskId is not null)
        {
            query += " and " + TableClient.CreateQueryFilter($"TaskId eq {taskId}");
        }

        var table = await storage.Table(TableNames.Questions);
        var found = new List<Question>();
        await foreach (var entity in table.QueryAsync<QuestionEntity>(query, cancellationToken: ct))
        {
            found.Add(entity.ToQuestion());
        }

        return found.OrderByDescending(q => q.IsOpen).ThenByDescending(q => q.AskedAt).ToList();
    }

    /// <summary>Records the issue a question was asked on too (or, with null, that it was not after all): false when someone else recorded first.</summary>
    internal async Task<bool> MarkMirroredAsync(Guid workspaceId, Guid questionId, int? issue, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Questions);
        var found = await table.GetEntityIfExistsAsync<QuestionEntity>(ShortId.Format(workspaceId), ShortId.Format(questionId), cancellationToken: ct);
        if (!found.HasValue || found.Value is not { } question || (issue is not null && question.MirroredOnIssue is not null))
        {
            return false;
        }

        question.MirroredOnIssue = issue;
        try
        {
            await table.UpdateEntityAsync(question, question.ETag, TableUpdateMode.Replace, ct);
            return true;
        }
        catch (RequestFailedException e) when (Optimistic.IsLostRace(e))
        {
            return false;
        }
    }

    public async Task<Result<Question>> GetAsync(Principal caller, string workspaceRef, string questionRef, CancellationToken ct) =>
        (await FindAsync(caller, workspaceRef, questionRef, ct)).Map(found => found.Entity.ToQuestion());

    /// <summary>
    /// Records the answer (a correction, for an assumption) and, when the asker was a task's session (or the person
    /// asks for it), gives it to the task's agent: as a message at its next turn while a session of the task runs, else
    /// by resuming the task with the answer in the prompt. The answer is kept even if the resume cannot start.
    /// </summary>
    public async Task<Result<Question>> AnswerAsync(Principal caller, string workspaceRef, string questionRef, QuestionAnswer answer, CancellationToken ct)
    {
        if (!Text(answer.Text, "answer").TryGet(out var text, out var failure)
            || !(await FindAsync(caller, workspaceRef, questionRef, ct)).TryGet(out var found, out failure))
        {
            return failure;
        }

        var (workspace, question) = found;
        if (question.StatusValue is not QuestionStatus.Open and not QuestionStatus.Confirmed)
        {
            return new Conflict($"question {ShortId.Of(Guid.Parse(question.RowKey))} was already {question.Status.ToLowerInvariant()}{(question.AnsweredBy is null ? "" : $" by {question.AnsweredBy}")}");
        }

        var resume = answer.Resume ?? (question.AskedBySessionId is not null && question.TaskId is not null);
        if (resume && question.TaskId is null)
        {
            return new Conflict($"question {ShortId.Of(Guid.Parse(question.RowKey))} is not about a task; there is no conversation to resume");
        }

        question.Answer = text;
        if ((await SaveClosedAsync(question, QuestionStatus.Answered, caller, ct)).Failure is { } lost)
        {
            return lost;
        }

        var table = await storage.Table(TableNames.Questions);

        if (resume && await RunningSessionOfAsync(workspace.Id, Guid.Parse(question.TaskId!), ct) is { } running)
        {
            // The asker (or another session of its task) still works: the answer goes straight in, at its next turn.
            await messages.AddAsync(workspace.Id, Guid.Parse(question.TaskId!), running.Id, caller.Name, ResumeMessage(question, text), MessageVia.Answer, now: false, ct);
            question.ResumeSessionId = ShortId.Format(running.Id);
            question.ResumeNote = $"given to the running session {ShortId.Of(running.Id)} at its next turn";
            question.ETag = (await table.UpdateEntityAsync(question, question.ETag, TableUpdateMode.Replace, ct)).Headers.ETag ?? default;
        }
        else if (resume)
        {
            var resumed = await starts.ResumeTaskAsync(caller, ShortId.Format(workspace.Id), question.TaskId!, ResumeMessage(question, text), ct);
            if (resumed.TryGet(out var session, out var refused))
            {
                question.ResumeSessionId = ShortId.Format(session.Id);
            }
            else
            {
                question.ResumeNote = $"answered, but the task was not resumed: {refused.Message}";
            }

            question.ETag = (await table.UpdateEntityAsync(question, question.ETag, TableUpdateMode.Replace, ct)).Headers.ETag ?? default;
        }

        logger.LogInformation("Question {QuestionId} answered by {Principal}; resumed: {Resumed}", question.RowKey, caller.Name, question.ResumeSessionId is not null);
        return question.ToQuestion();
    }

    /// <summary>The task's session that is queued or on a runner (not one waiting for quota: a resume continues that one now).</summary>
    private async Task<SessionEntity?> RunningSessionOfAsync(Guid workspaceId, Guid taskId, CancellationToken ct) =>
        await tasks.ActiveSessionIdAsync(workspaceId, taskId, ct) is { } activeId
        && await sessions.FindEntityAsync(workspaceId, activeId, ct) is { } session
        && session.StatusValue is SessionStatus.Queued or SessionStatus.Claimed or SessionStatus.Running
            ? session
            : null;

    /// <summary>The person agrees with the assumption the agent went on with.</summary>
    public Task<Result<Question>> ConfirmAsync(Principal caller, string workspaceRef, string questionRef, CancellationToken ct) =>
        CloseAsync(caller, workspaceRef, questionRef, QuestionStatus.Confirmed, q => q.Assumption is null
            ? new Conflict($"question {ShortId.Of(Guid.Parse(q.RowKey))} states no assumption to confirm; answer or dismiss it")
            : Done.Value, ct);

    public Task<Result<Question>> DismissAsync(Principal caller, string workspaceRef, string questionRef, CancellationToken ct) =>
        CloseAsync(caller, workspaceRef, questionRef, QuestionStatus.Dismissed, _ => Done.Value, ct);

    /// <summary>What a scheduled agent asked that people answered since <paramref name="since"/> (for its next run's prompt).</summary>
    internal async Task<IReadOnlyList<Question>> AnsweredForAgentAsync(Guid workspaceId, string agentName, DateTimeOffset since, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Questions);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspaceId)} and AgentName eq {agentName} and Status eq {nameof(QuestionStatus.Answered)} and AnsweredAt ge {since}");
        var answered = new List<Question>();
        await foreach (var entity in table.QueryAsync<QuestionEntity>(filter, cancellationToken: ct))
        {
            answered.Add(entity.ToQuestion());
        }

        return answered.OrderBy(q => q.AnsweredAt).ToList();
    }

    private async Task<Result<Question>> CloseAsync(Principal caller, string workspaceRef, string questionRef, QuestionStatus status, Func<QuestionEntity, Result<Done>> check, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, questionRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var question = found.Entity;
        if (question.StatusValue != QuestionStatus.Open)
        {
            return new Conflict($"question {ShortId.Of(Guid.Parse(question.RowKey))} is already {question.Status.ToLowerInvariant()}");
        }

        if (check(question).Failure is { } refused)
        {
            return refused;
        }

        return (await SaveClosedAsync(question, status, caller, ct)).Map(_ => question.ToQuestion());
    }

    /// <summary>Records who closed the question and how, only over the version that was read: two people never both answer.</summary>
    private async Task<Result<Done>> SaveClosedAsync(QuestionEntity question, QuestionStatus status, Principal caller, CancellationToken ct)
    {
        question.StatusValue = status;
        question.AnsweredBy = caller.Name;
        question.AnsweredAt = clock.GetUtcNow();
        var table = await storage.Table(TableNames.Questions);
        try
        {
            question.ETag = (await table.UpdateEntityAsync(question, question.ETag, TableUpdateMode.Replace, ct)).Headers.ETag ?? default;
            return Done.Value;
        }
        catch (Azure.RequestFailedException e) when (Optimistic.IsLostRace(e))
        {
            return new Conflict($"question {ShortId.Of(Guid.Parse(question.RowKey))} was answered, confirmed or dismissed at the same time; reload it");
        }
    }

    private async Task<Result<(Workspace Workspace, QuestionEntity Entity)>> FindAsync(Principal caller, string workspaceRef, string questionRef, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.Questions);
        return (await PrefixLookup.FindAsync<QuestionEntity>(table, ShortId.Format(workspace.Id), questionRef, "question", e => $"{e.RowKey} \"{ShortId.Shorten(e.Text)}\"", ct))
            .Map(entity => (workspace, entity));
    }

    private static string ResumeMessage(QuestionEntity question, string answer) => question.Assumption is null
        ? $"You asked: {question.Text}\n\nThe answer ({question.AnsweredBy}): {answer}"
        : $"You went on assuming: {question.Assumption}\n(about: {question.Text})\n\nA person corrected it ({question.AnsweredBy}): {answer}";

    private static Result<string> Text(string? text, string what)
    {
        var value = (text ?? "").Trim();
        return value.Length == 0 ? new Invalid($"the {what} is empty", what)
            : value.Length > MaxTextLength ? new TooLarge($"the {what} is {value.Length:N0} characters; the limit is {MaxTextLength:N0}")
            : value;
    }
}
