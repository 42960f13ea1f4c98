// The one typed client of Konduktor's HTTP API. Shapes mirror the API's JSON (docs/architecture.md).
import { auth } from "./auth";

export type Priority = "none" | "low" | "medium" | "high" | "urgent";
export const priorities: Priority[] = ["none", "low", "medium", "high", "urgent"];
export type SessionStatus = "queued" | "claimed" | "running" | "succeeded" | "needs-attention" | "failed" | "stopped" | "orphaned" | "waiting-for-quota";

export interface Workspace {
  id: string;
  name: string;
  repository: string;
  gitHubRepository?: string;
  defaultBranch: string;
  columns: string[];
  shortId: string;
}

export interface SessionSummary { id: string; status: SessionStatus; active: boolean }

export interface TaskItem {
  id: string;
  workspaceId: string;
  title: string;
  description?: string;
  descriptionLength: number;
  status: string;
  tags: string[];
  priority: Priority;
  rank: number;
  createdAt: string;
  updatedAt: string;
  version: string;
  branch?: string;
  latestSession?: SessionSummary;
  sessionCount: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  pullRequestUrl?: string;
  pullRequestNumber?: number;
  /** The PR head's checks: pending, passing or failing. */
  checksState?: "pending" | "passing" | "failing";
  /** The PR's latest decisive review ("none" when there is none). */
  reviewState?: "approved" | "changes_requested" | "none";
  /** Failing checks of the PR's head, with links (only on a task read on its own). */
  failingChecks?: { name: string; url: string }[];
  note?: string;
  blocked?: string;
  /** Its session waits for quota: when the account's usage limit resets, and when Konduktor resumes it (absent: a person does). */
  quotaResetsAt?: string;
  resumesAt?: string;
  /** What it may spend over all its sessions (absent: the workspace's default, if any). */
  budgetUsd?: number;
  shortId: string;
}

export interface AccountLimit { account: string; status: "rejected" | "allowed_warning"; window?: string; until: string; seenAt: string }
export interface Board { workspaceId: string; workspaceName: string; columns: { name: string; tasks: TaskItem[] }[]; accountLimits?: AccountLimit[]; cursor?: string }

export interface PermissionDenial { tool: string; input?: string }
export interface SessionOutcome {
  subtype: string; isError: boolean; numTurns?: number; durationMs?: number; costUsd?: number; conversationCostUsd?: number;
  inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheCreationTokens: number; result?: string;
  errors?: string[]; apiErrorStatus?: number; permissionDenials?: PermissionDenial[];
}

export interface Session {
  id: string; workspaceId: string; taskId?: string; kind: string; status: SessionStatus; message?: string;
  runnerName?: string; claudeSessionId?: string; branch?: string; createdAt: string; startedAt?: string; endedAt?: string;
  exitCode?: number; error?: string; outcome?: SessionOutcome; shortId: string; isActive: boolean;
  /** Not stored: set on a session just queued when no runner can take it now, and why. */
  notice?: string;
}

export interface ChangedFile { path: string; added?: number; removed?: number; oldPath?: string }
export interface ChangeCommit { sha: string; author: string; at: string; subject: string; trailers: string[] }
export interface ChangeSet {
  branch: string; base: string; baseCommit: string; headCommit: string; files: ChangedFile[]; commits: ChangeCommit[];
  diff: string; truncated?: boolean; moreFiles?: number; sessionId?: string; at?: string;
}

export interface UsageDay { day: string; costUsd: number; runs: number }
export interface UsageTotal { key: string; costUsd: number; runs: number; title?: string }
export interface UsageReport {
  workspace: string; from: string; to: string; days: UsageDay[]; tasks: UsageTotal[]; agents: UsageTotal[];
  dailyBudgetUsd?: number; taskBudgetUsd?: number; dayResetsAt: string;
}

export interface LogEvent { seq: number; time: string; stream: "stdout" | "stderr" | "konduktor" | "setup"; text: string }
export interface LogPage { events: LogEvent[]; next: number; status: SessionStatus; complete: boolean }

export interface WorkspaceConfig {
  workspace: string; defaultBranch: string; systemPrompt: string; autoFixConflicts: boolean; autoFixCi: boolean;
  permissionMode: string; model?: string; version: string;
}

export type PhaseState = "waiting" | "open" | "awaitingReview" | "approved";
export interface PhaseTask { id: string; shortId: string; title: string; status: string; sessionStatus?: SessionStatus }
export interface Phase { id: string; number: number; title: string; description?: string; state: PhaseState; tasksDone: number; tasksTotal: number; tasks: PhaseTask[]; approvedAt?: string; approvalNote?: string; openedAt?: string; reviewRequestedAt?: string }
export interface Project {
  id: string; workspaceId: string; title: string; spec?: string; tags: string[]; status: "draft" | "active" | "completed"; autoRun: boolean;
  phases: Phase[]; blocking?: string; shortId: string; version: string; completedAt?: string;
}

export type QuestionStatus = "open" | "answered" | "dismissed" | "confirmed";
export interface Question {
  id: string; shortId: string; text: string; assumption?: string; taskId?: string; projectId?: string; status: QuestionStatus;
  askedBy: string; askedBySessionId?: string; agentName?: string; askedAt: string; answer?: string; answeredBy?: string; answeredAt?: string;
  resumeSessionId?: string; resumeNote?: string;
}
export interface Doc {
  id: string; shortId: string; title: string; slug: string; content?: string; contentLength: number; tags: string[]; versionNumber: number;
  createdBy: string; updatedBy: string; createdAt: string; updatedAt: string; version: string;
}
export interface DocVersion { number: number; title: string; contentLength: number; updatedBy: string; updatedAt: string }
export interface AgentRun { at: string; outcome: "queued" | "skipped" | "failed"; sessionId?: string; reason?: string; status?: SessionStatus; costUsd?: number }
export interface Agent {
  name: string; preset?: string; prompt?: string; every?: string; cron?: string; timeZone: string; enabled: boolean; model?: string; maxTurns?: number;
  maxBudgetUsd?: number; nextRunAt?: string; lastRunAt?: string; lastSessionId?: string; runCount: number; skippedCount: number; costUsd: number; runs?: AgentRun[];
}

export interface NewTask { title: string; description?: string; tags?: string[]; priority?: Priority; status?: string }

/** A refusal from the API, with the message a person can act on (problem+json's detail). */
export class ApiError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
  }
}

/** The API's origin: the same as the board's under `konduktor up`; the Functions app's in Azure (VITE_API_URL). */
const apiBase = ((import.meta.env.VITE_API_URL as string | undefined) ?? "").replace(/\/$/, "");

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, extraHeaders?: Record<string, string>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${apiBase}/api/${path}`, {
      method,
      signal,
      credentials: "same-origin",
      headers: { ...(await auth.headers()), ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...extraHeaders },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "Konduktor cannot be reached: is `konduktor up` still running?");
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = (await response.json()) as { detail?: string };
      if (problem.detail) detail = problem.detail;
    } catch {
      // not problem+json
    }
    if (response.status === 401) auth.signedOut(detail);
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}

const ws = (name: string) => `workspaces/${encodeURIComponent(name)}`;

export const api = {
  workspaces: () => call<Workspace[]>("GET", "workspaces"),
  createWorkspace: (repository: string) => call<Workspace>("POST", "workspaces", { repository }),
  board: (workspace: string) => call<Board>("GET", `${ws(workspace)}/board`),
  boardChanges: (workspace: string, cursor: string | undefined, wait: number, signal: AbortSignal) =>
    call<{ cursor: string; changed: boolean }>("GET", `${ws(workspace)}/board/changes?wait=${wait}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, undefined, signal),
  task: (workspace: string, id: string) => call<TaskItem>("GET", `${ws(workspace)}/tasks/${id}`),
  createTask: (workspace: string, task: NewTask) => call<TaskItem>("POST", `${ws(workspace)}/tasks`, task),
  /** Only what changed, and only if nobody changed the task since `version` was read (409 otherwise). */
  updateTask: (workspace: string, id: string, changes: Partial<NewTask>, version: string) =>
    call<TaskItem>("PATCH", `${ws(workspace)}/tasks/${id}`, changes, undefined, { "If-Match": version }),
  moveTask: (workspace: string, id: string, status: string, version: string, rank?: number) =>
    call<TaskItem>("POST", `${ws(workspace)}/tasks/${id}/move`, rank === undefined ? { status } : { status, rank }, undefined, { "If-Match": version }),
  runTask: (workspace: string, id: string) => call<Session>("POST", `${ws(workspace)}/tasks/${id}/run`, {}),
  resumeTask: (workspace: string, id: string, message?: string) => call<Session>("POST", `${ws(workspace)}/tasks/${id}/resume`, message ? { message } : {}),
  stopTask: (workspace: string, id: string) => call<Session>("POST", `${ws(workspace)}/tasks/${id}/stop`, {}),
  sessions: (workspace: string, taskId: string) => call<Session[]>("GET", `${ws(workspace)}/sessions?task=${taskId}`),
  logs: (workspace: string, sessionId: string, after: number, wait: number, signal?: AbortSignal) =>
    call<LogPage>("GET", `${ws(workspace)}/sessions/${sessionId}/logs?after=${after}&limit=2000&wait=${wait}`, undefined, signal),
  projects: (workspace: string) => call<Project[]>("GET", `${ws(workspace)}/projects`),
  project: (workspace: string, id: string) => call<Project>("GET", `${ws(workspace)}/projects/${id}`),
  startProject: (workspace: string, id: string) => call<Project>("POST", `${ws(workspace)}/projects/${id}/start`, {}),
  approvePhase: (workspace: string, id: string, phase: number, note?: string) => call<Project>("POST", `${ws(workspace)}/projects/${id}/approve`, note ? { phase, note } : { phase }),
  runReady: (workspace: string, id: string) => call<Session[]>("POST", `${ws(workspace)}/projects/${id}/run-ready`, {}),
  questions: (workspace: string) => call<Question[]>("GET", `${ws(workspace)}/questions`),
  answer: (workspace: string, id: string, text: string, resume?: boolean) =>
    call<Question>("POST", `${ws(workspace)}/questions/${id}/answer`, resume === undefined ? { text } : { text, resume }),
  confirm: (workspace: string, id: string) => call<Question>("POST", `${ws(workspace)}/questions/${id}/confirm`, {}),
  dismiss: (workspace: string, id: string) => call<Question>("POST", `${ws(workspace)}/questions/${id}/dismiss`, {}),
  docs: (workspace: string) => call<Doc[]>("GET", `${ws(workspace)}/docs`),
  doc: (workspace: string, ref: string, version?: number) => call<Doc>("GET", `${ws(workspace)}/docs/${encodeURIComponent(ref)}${version ? `?version=${version}` : ""}`),
  docHistory: (workspace: string, ref: string) => call<DocVersion[]>("GET", `${ws(workspace)}/docs/${encodeURIComponent(ref)}/history`),
  createDoc: (workspace: string, title: string, content: string) => call<Doc>("POST", `${ws(workspace)}/docs`, { title, content }),
  updateDoc: (workspace: string, ref: string, content: string, version: string) =>
    call<Doc>("PATCH", `${ws(workspace)}/docs/${encodeURIComponent(ref)}`, { content }, undefined, { "If-Match": version }),
  agents: (workspace: string) => call<Agent[]>("GET", `${ws(workspace)}/agents`),
  agent: (workspace: string, name: string) => call<Agent>("GET", `${ws(workspace)}/agents/${encodeURIComponent(name)}`),
  setAgentEnabled: (workspace: string, name: string, enabled: boolean) => call<Agent>("PATCH", `${ws(workspace)}/agents/${encodeURIComponent(name)}`, { enabled }),
  runAgent: (workspace: string, name: string) => call<AgentRun>("POST", `${ws(workspace)}/agents/${encodeURIComponent(name)}/run`, {}),
  changes: (workspace: string, taskId: string) => call<ChangeSet>("GET", `${ws(workspace)}/tasks/${taskId}/changes`),
  usage: (workspace: string, days = 30) => call<UsageReport>("GET", `${ws(workspace)}/usage?days=${days}`),
  config: (workspace: string) => call<WorkspaceConfig>("GET", `${ws(workspace)}/config`),
  setConfig: (workspace: string, changes: Partial<Pick<WorkspaceConfig, "systemPrompt" | "autoFixConflicts" | "autoFixCi">>) =>
    call<WorkspaceConfig>("PATCH", `${ws(workspace)}/config`, changes),
};
