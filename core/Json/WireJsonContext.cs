using System.Text.Json.Serialization;
using Konduktor.Core.Agents;
using Konduktor.Core.Docs;
using Konduktor.Core.GitHub;
using Konduktor.Core.Projects;
using Konduktor.Core.Questions;
using Konduktor.Core.Results;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;

namespace Konduktor.Core.Json;

/// <summary>
/// Everything the CLI and the runner send to the API and read from it, source-generated. The options are
/// <see cref="KonduktorJson.Options"/>' (they are given at run time); a shape missing here fails in the native
/// `konduktor` only, which the suite runs for every CLI and runner test.
/// </summary>
// Every operation's body and reply (Contract/Operations), so the native `konduktor` can make the contract and call any route.
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Agents.Agent>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Agents.AgentPreset>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Docs.Doc>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Docs.DocVersion>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Projects.Project>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Questions.Question>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Runners.RunnerInfo>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Sessions.JobMessage>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Sessions.Session>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Tasks.TaskItem>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Workspaces.SecretInfo>))]
[JsonSerializable(typeof(IReadOnlyList<Konduktor.Core.Workspaces.Workspace>))]
[JsonSerializable(typeof(Konduktor.Core.GitHub.WebhookOutcome))]
[JsonSerializable(typeof(Konduktor.Core.Tasks.Board))]
[JsonSerializable(typeof(LogEntryPage))]
[JsonSerializable(typeof(Konduktor.Core.Tasks.BoardCursor))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSerializable(typeof(Workspace))]
[JsonSerializable(typeof(List<Workspace>))]
[JsonSerializable(typeof(NewWorkspace))]
[JsonSerializable(typeof(ConfigView))]
[JsonSerializable(typeof(Konduktor.Core.Changes.ChangeSet))]
[JsonSerializable(typeof(Konduktor.Core.Quota.UsageReport))]
[JsonSerializable(typeof(ConfigChanges))]
[JsonSerializable(typeof(WebhookView))]
[JsonSerializable(typeof(TaskItem))]
[JsonSerializable(typeof(List<TaskItem>))]
[JsonSerializable(typeof(NewTask))]
[JsonSerializable(typeof(TaskChanges))]
[JsonSerializable(typeof(MoveRequest))]
[JsonSerializable(typeof(Session))]
[JsonSerializable(typeof(List<Session>))]
[JsonSerializable(typeof(ResumeRequest))]
[JsonSerializable(typeof(LogPage))]
[JsonSerializable(typeof(LogEvent))]
[JsonSerializable(typeof(LogAppend))]
[JsonSerializable(typeof(LogAppended))]
[JsonSerializable(typeof(SessionJob))]
[JsonSerializable(typeof(SessionJobMessage))]
[JsonSerializable(typeof(SessionReport))]
[JsonSerializable(typeof(SessionOutcome))]
[JsonSerializable(typeof(PoisonedJob))]
[JsonSerializable(typeof(WorktreeTasks))]
[JsonSerializable(typeof(List<WorktreeTask>))]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobMessage))]
[JsonSerializable(typeof(List<JobMessage>))]
[JsonSerializable(typeof(Done))]
[JsonSerializable(typeof(RegisterRunner))]
[JsonSerializable(typeof(RunnerRegistration))]
[JsonSerializable(typeof(RunnerHeartbeat))]
[JsonSerializable(typeof(HeartbeatReply))]
[JsonSerializable(typeof(RunnerInfo))]
[JsonSerializable(typeof(List<RunnerInfo>))]
[JsonSerializable(typeof(RunnerTicket))]
[JsonSerializable(typeof(NewRunnerTicket))]
[JsonSerializable(typeof(Project))]
[JsonSerializable(typeof(List<Project>))]
[JsonSerializable(typeof(NewProject))]
[JsonSerializable(typeof(NewPhase))]
[JsonSerializable(typeof(PhaseChanges))]
[JsonSerializable(typeof(ProjectTags))]
[JsonSerializable(typeof(Approval))]
[JsonSerializable(typeof(Question))]
[JsonSerializable(typeof(List<Question>))]
[JsonSerializable(typeof(NewQuestion))]
[JsonSerializable(typeof(QuestionAnswer))]
[JsonSerializable(typeof(Doc))]
[JsonSerializable(typeof(List<Doc>))]
[JsonSerializable(typeof(NewDoc))]
[JsonSerializable(typeof(DocChanges))]
[JsonSerializable(typeof(NewPullRequestReview))]
[JsonSerializable(typeof(NewPullRequestComment))]
[JsonSerializable(typeof(PostedOnGitHub))]
[JsonSerializable(typeof(List<DocVersion>))]
[JsonSerializable(typeof(Agent))]
[JsonSerializable(typeof(List<Agent>))]
[JsonSerializable(typeof(NewAgent))]
[JsonSerializable(typeof(AgentChanges))]
[JsonSerializable(typeof(AgentRun))]
[JsonSerializable(typeof(List<AgentPreset>))]
[JsonSerializable(typeof(StatusView))]
[JsonSerializable(typeof(StorageOperationsView))]
[JsonSerializable(typeof(SessionStatus))]
[JsonSerializable(typeof(SessionKind))]
[JsonSerializable(typeof(SecretInfo))]
[JsonSerializable(typeof(List<SecretInfo>))]
[JsonSerializable(typeof(SecretValue))]
public sealed partial class WireJsonContext : JsonSerializerContext;
