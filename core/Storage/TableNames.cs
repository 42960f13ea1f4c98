namespace Konduktor.Core.Storage;

/// <summary>Every table Konduktor keeps (before the installation's prefix).</summary>
public static class TableNames
{
    public const string Workspaces = "workspaces";
    public const string Tasks = "tasks";
    public const string Sessions = "sessions";
    public const string SessionLogs = "sessionlogs";
    public const string Runners = "runners";
    public const string ActiveSessions = "activesessions";
    public const string WebhookDeliveries = "webhookdeliveries";
    public const string AutoFixes = "autofixes";
    public const string Projects = "projects";
    public const string Docs = "docs";
    public const string Questions = "questions";
    public const string Agents = "agents";
    public const string AgentRuns = "agentruns";
    public const string DocVersions = "docversions";
    public const string AgentSecrets = "agentsecrets";
    public const string AccountLimits = "accountlimits";
    public const string Usage = "usage";
    public const string BoardChanges = "boardchanges";
    public const string SessionMessages = "sessionmessages";
    public const string TaskLinks = "tasklinks";
    public const string Issues = "issues";
}
