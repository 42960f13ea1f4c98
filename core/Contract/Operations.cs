using Konduktor.Core.Agents;
using Konduktor.Core.Auth;
using Konduktor.Core.Changes;
using Konduktor.Core.Docs;
using Konduktor.Core.GitHub;
using Konduktor.Core.Projects;
using Konduktor.Core.Questions;
using Konduktor.Core.Quota;
using Konduktor.Core.Results;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;

namespace Konduktor.Core.Contract;

/// <summary>
/// Every route of the API, once: the functions serve them (a test holds the function catalog to this list), the CLI and
/// the runner call them, and <c>/api/openapi.json</c>, the board's generated types and the MCP server are made from it.
/// </summary>
public static class Operations
{
    /// <summary>Every operation, in the order declared (read once the fields below are set).</summary>
    public static IReadOnlyList<Operation> All => field ??= [.. typeof(Operations).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.FieldType.IsAssignableTo(typeof(Operation))).Select(f => (Operation)f.GetValue(null)!)];

    // Contract
    public static readonly Operation<System.Text.Json.Nodes.JsonObject> GetOpenApiDocument = new(nameof(GetOpenApiDocument), "get", "openapi.json") { Summary = "The API's OpenAPI 3.1 document (this contract)" };

    // Agent
    public static readonly Operation<IReadOnlyList<AgentPreset>> ListAgentPresets = new(nameof(ListAgentPresets), "get", "agent-presets") { Act = Act.ReadWorkspace };

    public static readonly Operation<NewAgent, Agent> CreateAgent = new(nameof(CreateAgent), "post", "workspaces/{workspace}/agents") { Act = Act.ManageAgents, Status = 201 };

    public static readonly Operation<IReadOnlyList<Agent>> ListAgents = new(nameof(ListAgents), "get", "workspaces/{workspace}/agents") { Act = Act.ReadWorkspace };

    public static readonly Operation<Agent> GetAgent = new(nameof(GetAgent), "get", "workspaces/{workspace}/agents/{name}") { Act = Act.ReadWorkspace };

    public static readonly Operation<AgentChanges, Agent> UpdateAgent = new(nameof(UpdateAgent), "patch", "workspaces/{workspace}/agents/{name}") { Act = Act.ManageAgents };

    public static readonly Operation<AgentRun> RunAgentNow = new(nameof(RunAgentNow), "post", "workspaces/{workspace}/agents/{name}/run") { Act = Act.ManageAgents };

    public static readonly Operation<Agent> DeleteAgent = new(nameof(DeleteAgent), "delete", "workspaces/{workspace}/agents/{name}") { Act = Act.ManageAgents };

    // Change
    public static readonly Operation<ChangeSet> GetTaskChanges = new(nameof(GetTaskChanges), "get", "workspaces/{workspace}/tasks/{task}/changes") { Act = Act.ReadWorkspace };

    public static readonly Operation<ChangeSet, Done> SaveChanges = new(nameof(SaveChanges), "put", "runner/workspaces/{workspace}/sessions/{session}/changes") { Act = Act.RunSessions };

    // Diagnostics
    public static readonly Operation<StatusView> GetStatus = new(nameof(GetStatus), "get", "status") { Act = Act.SeeStatus };

    public static readonly Operation<StorageOperationsView> GetStorageOperations = new(nameof(GetStorageOperations), "get", "diagnostics/storage") { Act = Act.Diagnose };

    // Doc
    public static readonly Operation<GitHub.NewPullRequestReview, GitHub.PostedOnGitHub> ReviewPullRequest = new(nameof(ReviewPullRequest), "post", "workspaces/{workspace}/prs/{number}/reviews") { Act = Act.ReviewPullRequests, Status = 201 };
    public static readonly Operation<GitHub.NewTaskPullRequest, GitHub.PostedOnGitHub> OpenTaskPullRequest = new(nameof(OpenTaskPullRequest), "post", "workspaces/{workspace}/tasks/{task}/pull-request") { Act = Act.ReviewPullRequests, Status = 201, Summary = "Open the task's pull request with this title and description (an open one for its branch is answered instead)" };
    public static readonly Operation<GitHub.NewPullRequestComment, GitHub.PostedOnGitHub> CommentOnPullRequest = new(nameof(CommentOnPullRequest), "post", "workspaces/{workspace}/prs/{number}/comments") { Act = Act.ReviewPullRequests, Status = 201 };
    public static readonly Operation<NewDoc, Doc> CreateDoc = new(nameof(CreateDoc), "post", "workspaces/{workspace}/docs") { Act = Act.WriteDocs, Status = 201 };

    public static readonly Operation<IReadOnlyList<Doc>> ListDocs = new(nameof(ListDocs), "get", "workspaces/{workspace}/docs") { Act = Act.ReadWorkspace, Query = ["tag"] };

    public static readonly Operation<Doc> GetDoc = new(nameof(GetDoc), "get", "workspaces/{workspace}/docs/{doc}") { Act = Act.ReadWorkspace, Query = ["version"] };

    public static readonly Operation<IReadOnlyList<DocVersion>> DocHistory = new(nameof(DocHistory), "get", "workspaces/{workspace}/docs/{doc}/history") { Act = Act.ReadWorkspace };

    public static readonly Operation<DocChanges, Doc> UpdateDoc = new(nameof(UpdateDoc), "patch", "workspaces/{workspace}/docs/{doc}") { Act = Act.WriteDocs, TakesIfMatch = true };

    public static readonly Operation<Doc> DeleteDoc = new(nameof(DeleteDoc), "delete", "workspaces/{workspace}/docs/{doc}") { Act = Act.DeleteDocs };

    // GitHub
    public static readonly Operation<WebhookOutcome> GitHubWebhook = new(nameof(GitHubWebhook), "post", "github/webhooks/{workspace}") { RawBody = "application/json", Summary = "A GitHub webhook delivery, signed with the workspace's webhook secret" };

    public static readonly Operation<WebhookView> GetWebhook = new(nameof(GetWebhook), "get", "workspaces/{workspace}/webhook") { Act = Act.Configure };

    public static readonly Operation<WebhookView> RegisterWebhook = new(nameof(RegisterWebhook), "post", "workspaces/{workspace}/webhook/register") { Act = Act.Configure };

    // Project
    public static readonly Operation<NewProject, Project> CreateProject = new(nameof(CreateProject), "post", "workspaces/{workspace}/projects") { Act = Act.ShapeProjects, Status = 201 };

    public static readonly Operation<IReadOnlyList<Project>> ListProjects = new(nameof(ListProjects), "get", "workspaces/{workspace}/projects") { Act = Act.ReadWorkspace };

    public static readonly Operation<Project> GetProject = new(nameof(GetProject), "get", "workspaces/{workspace}/projects/{project}") { Act = Act.ReadWorkspace };

    public static readonly Operation<NewPhase, Project> AddPhase = new(nameof(AddPhase), "post", "workspaces/{workspace}/projects/{project}/phases") { Act = Act.PlanPhases };

    public static readonly Operation<PhaseChanges, Project> UpdatePhase = new(nameof(UpdatePhase), "patch", "workspaces/{workspace}/projects/{project}/phases/{number:int}") { Act = Act.PlanPhases };

    public static readonly Operation<Project> RemovePhase = new(nameof(RemovePhase), "delete", "workspaces/{workspace}/projects/{project}/phases/{number:int}") { Act = Act.PlanPhases };

    public static readonly Operation<ProjectTags, Project> TagProject = new(nameof(TagProject), "post", "workspaces/{workspace}/projects/{project}/tags") { Act = Act.ShapeProjects };

    public static readonly Operation<IReadOnlyList<Session>> RunReadyTasks = new(nameof(RunReadyTasks), "post", "workspaces/{workspace}/projects/{project}/run-ready") { Act = Act.RunTasks };

    public static readonly Operation<Project> StartProject = new(nameof(StartProject), "post", "workspaces/{workspace}/projects/{project}/start") { Act = Act.StartProjects };

    public static readonly Operation<PhaseReview> GetPhaseReview = new(nameof(GetPhaseReview), "get", "workspaces/{workspace}/projects/{project}/phases/{number:int}/review") { Act = Act.ReadWorkspace };

    public static readonly Operation<Approval, Project> ApprovePhase = new(nameof(ApprovePhase), "post", "workspaces/{workspace}/projects/{project}/approve") { Act = Act.ApprovePhases };

    // Question
    public static readonly Operation<NewQuestion, Question> AskQuestion = new(nameof(AskQuestion), "post", "workspaces/{workspace}/questions") { Act = Act.AskQuestions, Status = 201 };

    public static readonly Operation<IReadOnlyList<Question>> ListQuestions = new(nameof(ListQuestions), "get", "workspaces/{workspace}/questions") { Act = Act.ReadWorkspace, Query = ["open", "task"] };

    public static readonly Operation<Question> GetQuestion = new(nameof(GetQuestion), "get", "workspaces/{workspace}/questions/{question}") { Act = Act.ReadWorkspace };

    public static readonly Operation<QuestionAnswer, Question> AnswerQuestion = new(nameof(AnswerQuestion), "post", "workspaces/{workspace}/questions/{question}/answer") { Act = Act.AnswerQuestions };

    public static readonly Operation<Question> ConfirmQuestion = new(nameof(ConfirmQuestion), "post", "workspaces/{workspace}/questions/{question}/confirm") { Act = Act.AnswerQuestions };

    public static readonly Operation<Question> DismissQuestion = new(nameof(DismissQuestion), "post", "workspaces/{workspace}/questions/{question}/dismiss") { Act = Act.AnswerQuestions };

    // Runner
    public static readonly Operation<RegisterRunner, RunnerRegistration> RegisterRunner = new(nameof(RegisterRunner), "post", "runners") { Act = Act.ManageRunners, Status = 201 };

    public static readonly Operation<NewRunnerTicket, RunnerTicket> AddRunner = new(nameof(AddRunner), "post", "runners/registrations") { Act = Act.ManageRunners, Status = 201 };

    public static readonly Operation<RegisterRunner, RunnerRegistration> ExchangeRunnerSecret = new(nameof(ExchangeRunnerSecret), "post", "runners/exchange") { Summary = "Trade a runner's one-time registration secret (the bearer token) for its own credential" };

    public static readonly Operation<RunnerInfo> RemoveRunner = new(nameof(RemoveRunner), "delete", "runners/{name}") { Act = Act.ManageRunners };

    public static readonly Operation<JobRequest, IReadOnlyList<JobMessage>> ReceiveJobs = new(nameof(ReceiveJobs), "post", "runner/jobs/receive") { Act = Act.RunSessions };

    public static readonly Operation<JobMessage, Done> DeleteJob = new(nameof(DeleteJob), "post", "runner/jobs/delete") { Act = Act.RunSessions };

    public static readonly Operation<IReadOnlyList<RunnerInfo>> ListRunners = new(nameof(ListRunners), "get", "runners") { Act = Act.ManageRunners };

    public static readonly Operation<RunnerHeartbeat, HeartbeatReply> RunnerHeartbeat = new(nameof(RunnerHeartbeat), "post", "runners/{runner}/heartbeat") { Act = Act.RunSessions };

    public static readonly Operation<SessionJob> ClaimSession = new(nameof(ClaimSession), "post", "runner/workspaces/{workspace}/sessions/{session}/claim") { Act = Act.RunSessions };

    public static readonly Operation<SessionReport, Session> ReportSession = new(nameof(ReportSession), "post", "runner/workspaces/{workspace}/sessions/{session}/report") { Act = Act.RunSessions };

    public static readonly Operation<LogAppend, LogAppended> AppendSessionLogs = new(nameof(AppendSessionLogs), "post", "runner/workspaces/{workspace}/sessions/{session}/logs") { Act = Act.RunSessions };

    public static readonly Operation<SessionInbox> ReadSessionInbox = new(nameof(ReadSessionInbox), "get", "runner/workspaces/{workspace}/sessions/{session}/inbox") { Act = Act.RunSessions, Query = ["wait"], Summary = "Long-poll the messages people said to the session's task that its agent has not heard yet, and whether a stop was asked" };

    public static readonly Operation<MessagesDelivered, Done> DeliverSessionMessages = new(nameof(DeliverSessionMessages), "post", "runner/workspaces/{workspace}/sessions/{session}/inbox/delivered") { Act = Act.RunSessions, Summary = "Record the messages the runner wrote to its agent" };

    public static readonly Operation<Done> SaveTranscript = new(nameof(SaveTranscript), "put", "runner/workspaces/{workspace}/sessions/{session}/transcript") { Act = Act.RunSessions, RawBody = "application/x-ndjson" };

    public static readonly Operation<System.IO.Stream> LoadTranscript = new(nameof(LoadTranscript), "get", "runner/workspaces/{workspace}/sessions/{session}/transcript") { Act = Act.RunSessions, RawReply = "application/x-ndjson" };

    public static readonly Operation<WorktreeTasks, IReadOnlyList<WorktreeTask>> WorktreeTaskStates = new(nameof(WorktreeTaskStates), "post", "runner/worktree-tasks") { Act = Act.RunSessions };

    public static readonly Operation<PoisonedJob, Session> PoisonJob = new(nameof(PoisonJob), "post", "runner/poison") { Act = Act.RunSessions };

    // Secret
    public static readonly Operation<IReadOnlyList<SecretInfo>> ListSecrets = new(nameof(ListSecrets), "get", "workspaces/{workspace}/secrets") { Act = Act.Configure };

    public static readonly Operation<SecretValue, SecretInfo> SetSecret = new(nameof(SetSecret), "put", "workspaces/{workspace}/secrets/{name}") { Act = Act.Configure };

    public static readonly Operation<SecretInfo> DeleteSecret = new(nameof(DeleteSecret), "delete", "workspaces/{workspace}/secrets/{name}") { Act = Act.Configure };

    // Session
    public static readonly Operation<Session> RunTask = new(nameof(RunTask), "post", "workspaces/{workspace}/tasks/{task}/run") { Act = Act.RunTasks, Status = 201 };

    public static readonly Operation<ResumeRequest, Session> ResumeTask = new(nameof(ResumeTask), "post", "workspaces/{workspace}/tasks/{task}/resume") { Act = Act.RunTasks, Status = 201 };

    public static readonly Operation<Session> StopTask = new(nameof(StopTask), "post", "workspaces/{workspace}/tasks/{task}/stop") { Act = Act.RunTasks };

    public static readonly Operation<NewSessionMessage, SessionMessage> SayToTask = new(nameof(SayToTask), "post", "workspaces/{workspace}/tasks/{task}/say") { Act = Act.TalkToAgents, Status = 201, Summary = "Say something to the task's running agent: it hears it at its next turn, or at once with now" };

    public static readonly Operation<IReadOnlyList<SessionMessage>> ListTaskMessages = new(nameof(ListTaskMessages), "get", "workspaces/{workspace}/tasks/{task}/messages") { Act = Act.ReadWorkspace, Summary = "Everything people said to the task's agents, oldest first, and when each was delivered" };

    public static readonly Operation<Session> StopSession = new(nameof(StopSession), "post", "workspaces/{workspace}/sessions/{session}/stop") { Act = Act.RunTasks };

    public static readonly Operation<IReadOnlyList<Session>> ListSessions = new(nameof(ListSessions), "get", "workspaces/{workspace}/sessions") { Act = Act.ReadWorkspace, Query = ["task", "status", "limit"] };

    public static readonly Operation<Session> GetSession = new(nameof(GetSession), "get", "workspaces/{workspace}/sessions/{session}") { Act = Act.ReadWorkspace };

    public static readonly Operation<LogPage> ReadSessionLogs = new(nameof(ReadSessionLogs), "get", "workspaces/{workspace}/sessions/{session}/logs") { Act = Act.ReadWorkspace, Query = ["after", "limit", "wait"] };

    public static readonly Operation<LogEntryPage> ReadSessionEntries = new(nameof(ReadSessionEntries), "get", "workspaces/{workspace}/sessions/{session}/entries") { Act = Act.ReadWorkspace, Query = ["after", "limit", "wait"], Summary = "Read a session's log as entries a person reads (Claude Code's stream-json understood by the server)" };

    // Task
    public static readonly Operation<NewTask, TaskItem> CreateTask = new(nameof(CreateTask), "post", "workspaces/{workspace}/tasks") { Act = Act.ChangeTasks, Status = 201 };

    public static readonly Operation<IReadOnlyList<TaskItem>> ListTasks = new(nameof(ListTasks), "get", "workspaces/{workspace}/tasks") { Act = Act.ReadWorkspace, Query = ["status", "tag", "priority", "q"] };

    public static readonly Operation<TaskItem> GetTask = new(nameof(GetTask), "get", "workspaces/{workspace}/tasks/{task}") { Act = Act.ReadWorkspace };

    public static readonly Operation<TaskChanges, TaskItem> UpdateTask = new(nameof(UpdateTask), "patch", "workspaces/{workspace}/tasks/{task}") { Act = Act.ChangeTasks, TakesIfMatch = true };

    public static readonly Operation<MoveRequest, TaskItem> MoveTask = new(nameof(MoveTask), "post", "workspaces/{workspace}/tasks/{task}/move") { Act = Act.ChangeTasks, TakesIfMatch = true };

    public static readonly Operation<TaskItem> DeleteTask = new(nameof(DeleteTask), "delete", "workspaces/{workspace}/tasks/{task}") { Act = Act.DeleteTasks, TakesIfMatch = true };

    public static readonly Operation<BoardCursor> WaitForBoardChanges = new(nameof(WaitForBoardChanges), "get", "workspaces/{workspace}/board/changes") { Act = Act.ReadWorkspace, Query = ["wait", "cursor"] };

    public static readonly Operation<Board> GetBoard = new(nameof(GetBoard), "get", "workspaces/{workspace}/board") { Act = Act.ReadWorkspace };

    // Usage
    public static readonly Operation<UsageReport> GetUsage = new(nameof(GetUsage), "get", "workspaces/{workspace}/usage") { Act = Act.ReadWorkspace, Query = ["days"] };

    // Workspace
    public static readonly Operation<NewWorkspace, Workspace> CreateWorkspace = new(nameof(CreateWorkspace), "post", "workspaces") { Act = Act.AdministerWorkspaces, Status = 201 };

    public static readonly Operation<IReadOnlyList<Workspace>> ListWorkspaces = new(nameof(ListWorkspaces), "get", "workspaces") { Act = Act.ReadWorkspace };

    public static readonly Operation<Workspace> GetWorkspace = new(nameof(GetWorkspace), "get", "workspaces/{workspace}") { Act = Act.ReadWorkspace };

    public static readonly Operation<Workspace> DeleteWorkspace = new(nameof(DeleteWorkspace), "delete", "workspaces/{workspace}") { Act = Act.AdministerWorkspaces, Query = ["force"] };

    public static readonly Operation<ConfigView> GetConfig = new(nameof(GetConfig), "get", "workspaces/{workspace}/config") { Act = Act.ReadWorkspace };

    public static readonly Operation<ConfigChanges, ConfigView> SetConfig = new(nameof(SetConfig), "patch", "workspaces/{workspace}/config") { Act = Act.Configure, TakesIfMatch = true };
}

