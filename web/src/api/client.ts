// The board's one typed client of Konduktor's HTTP API. Every route, body and reply comes from the API's own OpenAPI
// document (openapi.json, written by the build from core/Contract; schema.d.ts is generated from it by openapi-typescript
// on every board build), so a route or a shape the server no longer has fails the board's type check.
import createClient from "openapi-fetch";
import { auth } from "./auth";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
export type Priority = Schemas["Priority"];
export const priorities: Priority[] = ["none", "low", "medium", "high", "urgent"];
export type SessionStatus = Schemas["SessionStatus"];
export type Workspace = Schemas["Workspace"];
export type SessionSummary = Schemas["SessionSummary"];
export type TaskItem = Schemas["TaskItem"];
export type AccountLimit = Schemas["AccountLimit"];
export type Board = Schemas["Board"];
export type Session = Schemas["Session"];
export type SessionOutcome = Schemas["SessionOutcome"];
export type ChangeSet = Schemas["ChangeSet"];
export type ChangedFile = Schemas["ChangedFile"];
export type UsageReport = Schemas["UsageReport"];
export type LogEvent = Schemas["LogEvent"];
export type LogPage = Schemas["LogPage"];
export type LogEntry = Schemas["LogEntry"];
export type WorkspaceConfig = Schemas["ConfigView"];
export type PhaseState = Schemas["PhaseState"];
export type Phase = Schemas["PhaseView"];
export type Project = Schemas["Project"];
export type PhaseReview = Schemas["PhaseReview"];
export type NewProject = Schemas["NewProject"];
export type Question = Schemas["Question"];
export type SessionMessage = Schemas["SessionMessage"];
export type Doc = Schemas["Doc"];
export type DocVersion = Schemas["DocVersion"];
export type AgentRun = Schemas["AgentRun"];
export type Agent = Schemas["Agent"];
export type NewTask = Schemas["NewTask"];
export type TaskChanges = Schemas["TaskChanges"];
export type ConfigChanges = Schemas["ConfigChanges"];

/** A refusal from the API, with the message a person can act on (problem+json's detail). */
export class ApiError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
  }
}

/** The API's origin: the same as the board's under `konduktor up`; the Functions app's in Azure (VITE_API_URL). */
const apiBase = ((import.meta.env.VITE_API_URL as string | undefined) ?? "").replace(/\/$/, "");

const client = createClient<paths>({ baseUrl: `${apiBase}/api`, credentials: "same-origin" });
client.use({
  async onRequest({ request }) {
    for (const [name, value] of Object.entries(await auth.headers())) request.headers.set(name, value);
    return request;
  },
});

/** The reply's value, or an ApiError with the problem's detail (a 401 signs the board out). */
async function send<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "Konduktor cannot be reached: is `konduktor up` still running?");
  }
  const { data, error, response } = result;
  if (!response.ok) {
    const detail = (error as { detail?: string } | undefined)?.detail ?? `${response.status} ${response.statusText}`;
    if (response.status === 401) auth.signedOut(detail);
    throw new ApiError(response.status, detail);
  }
  return data as T;
}

const at = (workspace: string) => ({ workspace });

export const api = {
  workspaces: () => send(client.GET("/workspaces")),
  createWorkspace: (repository: string) => send(client.POST("/workspaces", { body: { repository } })),
  board: (workspace: string) => send(client.GET("/workspaces/{workspace}/board", { params: { path: at(workspace) } })),
  boardChanges: (workspace: string, cursor: string | undefined, wait: number, signal: AbortSignal) =>
    send(client.GET("/workspaces/{workspace}/board/changes", { params: { path: at(workspace), query: { wait: String(wait), cursor } }, signal })),
  task: (workspace: string, task: string) => send(client.GET("/workspaces/{workspace}/tasks/{task}", { params: { path: { workspace, task } } })),
  createTask: (workspace: string, task: NewTask) => send(client.POST("/workspaces/{workspace}/tasks", { params: { path: at(workspace) }, body: task })),
  /** Only what changed, and only if nobody changed the task since `version` was read (409 otherwise). */
  updateTask: (workspace: string, task: string, changes: TaskChanges, version: string) =>
    send(client.PATCH("/workspaces/{workspace}/tasks/{task}", { params: { path: { workspace, task }, header: { "If-Match": version } }, body: changes })),
  moveTask: (workspace: string, task: string, status: string, version: string, rank?: number) =>
    send(client.POST("/workspaces/{workspace}/tasks/{task}/move", { params: { path: { workspace, task }, header: { "If-Match": version } }, body: rank === undefined ? { status } : { status, rank } })),
  runTask: (workspace: string, task: string) => send(client.POST("/workspaces/{workspace}/tasks/{task}/run", { params: { path: { workspace, task } } })),
  resumeTask: (workspace: string, task: string, message?: string) =>
    send(client.POST("/workspaces/{workspace}/tasks/{task}/resume", { params: { path: { workspace, task } }, body: message ? { message } : {} })),
  /** Said to the task's running agent: it hears it at its next turn, or at once with `now`. */
  say: (workspace: string, task: string, text: string, now: boolean) =>
    send(client.POST("/workspaces/{workspace}/tasks/{task}/say", { params: { path: { workspace, task } }, body: { text, now } })),
  messages: (workspace: string, task: string) => send(client.GET("/workspaces/{workspace}/tasks/{task}/messages", { params: { path: { workspace, task } } })),
  stopTask: (workspace: string, task: string) => send(client.POST("/workspaces/{workspace}/tasks/{task}/stop", { params: { path: { workspace, task } } })),
  sessions: (workspace: string, task: string) => send(client.GET("/workspaces/{workspace}/sessions", { params: { path: at(workspace), query: { task } } })),
  /** The log as entries a person reads (the server reads Claude Code's stream-json). */
  entries: (workspace: string, session: string, after: number, wait: number, signal?: AbortSignal) =>
    send(client.GET("/workspaces/{workspace}/sessions/{session}/entries", { params: { path: { workspace, session }, query: { after: String(after), limit: "2000", wait: String(wait) } }, signal })),
  /** The log as the agent wrote it. */
  logs: (workspace: string, session: string, after: number, wait: number, signal?: AbortSignal) =>
    send(client.GET("/workspaces/{workspace}/sessions/{session}/logs", { params: { path: { workspace, session }, query: { after: String(after), limit: "2000", wait: String(wait) } }, signal })),
  projects: (workspace: string) => send(client.GET("/workspaces/{workspace}/projects", { params: { path: at(workspace) } })),
  project: (workspace: string, project: string) => send(client.GET("/workspaces/{workspace}/projects/{project}", { params: { path: { workspace, project } } })),
  startProject: (workspace: string, project: string) => send(client.POST("/workspaces/{workspace}/projects/{project}/start", { params: { path: { workspace, project } } })),
  approvePhase: (workspace: string, project: string, phase: number, note?: string) =>
    send(client.POST("/workspaces/{workspace}/projects/{project}/approve", { params: { path: { workspace, project } }, body: note ? { phase, note } : { phase } })),
  createProject: (workspace: string, project: NewProject) => send(client.POST("/workspaces/{workspace}/projects", { params: { path: at(workspace) }, body: project })),
  addPhase: (workspace: string, project: string, title: string) =>
    send(client.POST("/workspaces/{workspace}/projects/{project}/phases", { params: { path: { workspace, project } }, body: { title } })),
  movePhase: (workspace: string, project: string, number: number, moveTo: number) =>
    send(client.PATCH("/workspaces/{workspace}/projects/{project}/phases/{number}", { params: { path: { workspace, project, number } }, body: { moveTo } })),
  phaseReview: (workspace: string, project: string, number: number) =>
    send(client.GET("/workspaces/{workspace}/projects/{project}/phases/{number}/review", { params: { path: { workspace, project, number } } })),
  runReady: (workspace: string, project: string) => send(client.POST("/workspaces/{workspace}/projects/{project}/run-ready", { params: { path: { workspace, project } } })),
  questions: (workspace: string) => send(client.GET("/workspaces/{workspace}/questions", { params: { path: at(workspace) } })),
  answer: (workspace: string, question: string, text: string, resume?: boolean) =>
    send(client.POST("/workspaces/{workspace}/questions/{question}/answer", { params: { path: { workspace, question } }, body: resume === undefined ? { text } : { text, resume } })),
  confirm: (workspace: string, question: string) => send(client.POST("/workspaces/{workspace}/questions/{question}/confirm", { params: { path: { workspace, question } } })),
  dismiss: (workspace: string, question: string) => send(client.POST("/workspaces/{workspace}/questions/{question}/dismiss", { params: { path: { workspace, question } } })),
  docs: (workspace: string) => send(client.GET("/workspaces/{workspace}/docs", { params: { path: at(workspace) } })),
  doc: (workspace: string, doc: string, version?: number) =>
    send(client.GET("/workspaces/{workspace}/docs/{doc}", { params: { path: { workspace, doc }, query: version ? { version: String(version) } : {} } })),
  docHistory: (workspace: string, doc: string) => send(client.GET("/workspaces/{workspace}/docs/{doc}/history", { params: { path: { workspace, doc } } })),
  createDoc: (workspace: string, title: string, content: string) => send(client.POST("/workspaces/{workspace}/docs", { params: { path: at(workspace) }, body: { title, content } })),
  updateDoc: (workspace: string, doc: string, content: string, version: string) =>
    send(client.PATCH("/workspaces/{workspace}/docs/{doc}", { params: { path: { workspace, doc }, header: { "If-Match": version } }, body: { content } })),
  agents: (workspace: string) => send(client.GET("/workspaces/{workspace}/agents", { params: { path: at(workspace) } })),
  agent: (workspace: string, name: string) => send(client.GET("/workspaces/{workspace}/agents/{name}", { params: { path: { workspace, name } } })),
  setAgentEnabled: (workspace: string, name: string, enabled: boolean) =>
    send(client.PATCH("/workspaces/{workspace}/agents/{name}", { params: { path: { workspace, name } }, body: { enabled } })),
  agentPresets: () => send(client.GET("/agent-presets")),
  createAgent: (workspace: string, agent: Schemas["NewAgent"]) => send(client.POST("/workspaces/{workspace}/agents", { params: { path: at(workspace) }, body: agent })),
  updateAgent: (workspace: string, name: string, changes: Schemas["AgentChanges"]) =>
    send(client.PATCH("/workspaces/{workspace}/agents/{name}", { params: { path: { workspace, name } }, body: changes })),
  runAgent: (workspace: string, name: string) => send(client.POST("/workspaces/{workspace}/agents/{name}/run", { params: { path: { workspace, name } } })),
  changes: (workspace: string, task: string) => send(client.GET("/workspaces/{workspace}/tasks/{task}/changes", { params: { path: { workspace, task } } })),
  usage: (workspace: string, days = 30) => send(client.GET("/workspaces/{workspace}/usage", { params: { path: at(workspace), query: { days: String(days) } } })),
  config: (workspace: string) => send(client.GET("/workspaces/{workspace}/config", { params: { path: at(workspace) } })),
  setConfig: (workspace: string, changes: ConfigChanges) => send(client.PATCH("/workspaces/{workspace}/config", { params: { path: at(workspace) }, body: changes })),
};
