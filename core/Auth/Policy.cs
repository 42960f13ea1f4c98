using System.Collections.Frozen;
using Konduktor.Core.Results;

namespace Konduktor.Core.Auth;

/// <summary>What a principal does through the API; every route does exactly one of these.</summary>
public enum Act
{
    /// <summary>Whether Konduktor is up, and who the caller is.</summary>
    SeeStatus,

    /// <summary>Read a workspace and what is in it: board, tasks, sessions and their logs, projects, questions, docs, agents, config.</summary>
    ReadWorkspace,

    /// <summary>Create, update and move tasks.</summary>
    ChangeTasks,

    DeleteTasks,

    /// <summary>Run, resume and stop tasks (every run obeys the project gate).</summary>
    RunTasks,

    /// <summary>Say something to a task's running agent.</summary>
    TalkToAgents,

    /// <summary>Create projects and tag them (tags such as <c>agent-ready</c> are how agents move them).</summary>
    ShapeProjects,

    /// <summary>Add, change, reorder and remove a project's phases.</summary>
    PlanPhases,

    StartProjects,

    /// <summary>The review gate: approve a phase so the next one opens.</summary>
    ApprovePhases,

    AskQuestions,

    /// <summary>Answer, confirm or dismiss a question.</summary>
    AnswerQuestions,

    /// <summary>Create docs and add versions to them (every version is kept).</summary>
    WriteDocs,

    DeleteDocs,

    /// <summary>Post reviews and comments on the workspace's pull requests (with the workspace's GitHub token, never handed out).</summary>
    ReviewPullRequests,

    /// <summary>Create and delete workspaces.</summary>
    AdministerWorkspaces,

    /// <summary>Change a workspace's configuration and secrets (GitHub token, webhook).</summary>
    Configure,

    /// <summary>Create, change, run and delete scheduled agents.</summary>
    ManageAgents,

    /// <summary>List, add, register and remove runners.</summary>
    ManageRunners,

    /// <summary>The host's storage counters.</summary>
    Diagnose,

    /// <summary>The runner protocol: take jobs, heartbeat, claim, report, ship logs and transcripts.</summary>
    RunSessions,
}

/// <summary>
/// Who may do what: one table for the whole API, applied in one place (<c>Api.Run</c>, before core is called).
/// People do everything a board can; an agent's session works inside its workspace — tasks, questions, docs, runs
/// (the project gate applies) — but never does what only a person may: the review gate, answers, configuration,
/// secrets, agents, runners, deleting. Runners speak only the runner protocol. The system (Konduktor's own auto-fix,
/// scheduler and orchestrations) is never authenticated from outside; it acts through core for the work it does.
/// Which resources (a session's own workspace, a runner's own sessions) is checked where they are read, in core.
/// </summary>
public static class Policy
{
    private static readonly PrincipalKind[] Person = [PrincipalKind.User];
    private static readonly PrincipalKind[] PersonOrAgent = [PrincipalKind.User, PrincipalKind.Session];
    private static readonly PrincipalKind[] PersonAgentOrSystem = [PrincipalKind.User, PrincipalKind.Session, PrincipalKind.System];

    private static readonly FrozenDictionary<Act, PrincipalKind[]> Who = new Dictionary<Act, PrincipalKind[]>
    {
        [Act.SeeStatus] = [PrincipalKind.User, PrincipalKind.Session, PrincipalKind.Runner],
        [Act.ReadWorkspace] = PersonAgentOrSystem,
        [Act.ChangeTasks] = PersonAgentOrSystem,
        [Act.DeleteTasks] = Person,
        [Act.RunTasks] = PersonAgentOrSystem,
        [Act.TalkToAgents] = Person,
        [Act.ShapeProjects] = PersonOrAgent,
        [Act.PlanPhases] = Person,
        [Act.StartProjects] = Person,
        [Act.ApprovePhases] = Person,
        [Act.AskQuestions] = PersonAgentOrSystem,
        [Act.AnswerQuestions] = Person,
        [Act.WriteDocs] = PersonOrAgent,
        [Act.DeleteDocs] = Person,
        [Act.ReviewPullRequests] = PersonOrAgent,
        [Act.AdministerWorkspaces] = Person,
        [Act.Configure] = Person,
        [Act.ManageAgents] = Person,
        [Act.ManageRunners] = Person,
        [Act.Diagnose] = Person,
        [Act.RunSessions] = [PrincipalKind.Runner],
    }.ToFrozenDictionary();

    public static IReadOnlyList<PrincipalKind> KindsAllowed(Act act) => Who[act];

    public static bool Allows(PrincipalKind kind, Act act) => Who[act].Contains(kind);

    /// <summary>Done when the caller's kind may do it; otherwise a 403 that says who may.</summary>
    public static Result<Done> Authorize(Principal caller, Act act) =>
        Allows(caller.Kind, act)
            ? Done.Value
            : new Forbidden($"{Describe(caller.Kind)} may not {Describe(act)}: only {string.Join(" or ", Who[act].Where(k => k != PrincipalKind.System).Select(Plural))} may");

    private static string Describe(PrincipalKind kind) => kind switch
    {
        PrincipalKind.User => "a person",
        PrincipalKind.Session => "an agent's session",
        PrincipalKind.Runner => "a runner",
        _ => "Konduktor itself",
    };

    private static string Plural(PrincipalKind kind) => kind switch
    {
        PrincipalKind.User => "people",
        PrincipalKind.Session => "agents' sessions",
        PrincipalKind.Runner => "runners",
        _ => "Konduktor itself",
    };

    private static string Describe(Act act) => act switch
    {
        Act.SeeStatus => "see the status",
        Act.ReadWorkspace => "read workspaces",
        Act.ChangeTasks => "create or change tasks",
        Act.DeleteTasks => "delete tasks",
        Act.RunTasks => "run, resume or stop tasks",
        Act.TalkToAgents => "say something to a running agent",
        Act.ShapeProjects => "create or tag projects",
        Act.PlanPhases => "add, change or remove a project's phases",
        Act.StartProjects => "start projects",
        Act.ApprovePhases => "approve a project's phase",
        Act.AskQuestions => "ask questions",
        Act.AnswerQuestions => "answer, confirm or dismiss questions",
        Act.WriteDocs => "write docs",
        Act.DeleteDocs => "delete docs",
        Act.ReviewPullRequests => "review or comment on pull requests",
        Act.AdministerWorkspaces => "create or delete workspaces",
        Act.Configure => "change a workspace's configuration or secrets",
        Act.ManageAgents => "create, change, run or delete scheduled agents",
        Act.ManageRunners => "manage runners",
        Act.Diagnose => "read the host's diagnostics",
        Act.RunSessions => "take and run session jobs",
        _ => act.ToString(),
    };
}
