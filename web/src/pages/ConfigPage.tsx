import { useEffect, useState, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type ConfigChanges, type WorkspaceConfig } from "../api/client";
import { toast } from "../components/Toasts";

const permissionModes = ["default", "acceptEdits", "bypassPermissions", "plan"];

/** What the page edits: every setting `konduktor config set` has, as form values. */
interface Draft {
  defaultBranch: string; model: string; permissionMode: string; systemPrompt: string;
  pullRequests: string; withoutPullRequest: string; gitHubToken: string;
  autoFixConflicts: boolean; autoFixCi: boolean; autoFixReviews: boolean; autoFixLimit: string;
  setupScript: string; cleanupScript: string; setupTimeoutMinutes: string;
  autoResume: boolean; taskBudgetUsd: string; dailyBudgetUsd: string; allowedHosts: string;
  issues: "off" | "label" | "all"; issueLabel: string; mirrorQuestions: boolean;
}

const draftOf = (c: WorkspaceConfig): Draft => ({
  defaultBranch: c.defaultBranch, model: c.model ?? "", permissionMode: c.permissionMode, systemPrompt: c.systemPrompt,
  pullRequests: c.pullRequests, withoutPullRequest: c.withoutPullRequest ?? "", gitHubToken: "",
  autoFixConflicts: c.autoFixConflicts, autoFixCi: c.autoFixCi, autoFixReviews: c.autoFixReviews, autoFixLimit: String(c.autoFixLimit),
  setupScript: c.setupScript ?? "", cleanupScript: c.cleanupScript ?? "", setupTimeoutMinutes: String(c.setupTimeoutMinutes),
  autoResume: c.autoResume, taskBudgetUsd: c.taskBudgetUsd?.toString() ?? "", dailyBudgetUsd: c.dailyBudgetUsd?.toString() ?? "",
  allowedHosts: (c.allowedHosts ?? []).join("\n"),
  issues: !c.followIssues ? "off" : c.followIssues === "*" ? "all" : "label", issueLabel: c.followIssues && c.followIssues !== "*" ? c.followIssues : "konduktor",
  mirrorQuestions: c.mirrorQuestions,
});

/** What the API calls following issues: "" none, "*" every open issue, else the label. */
const following = (d: Draft) => d.issues === "off" ? "" : d.issues === "all" ? "*" : d.issueLabel.trim();

/** Only what the person changed, in the API's words (a cleared budget is 0, a cleared script ""). */
export function configChanges(read: Draft, now: Draft): ConfigChanges {
  const changes: ConfigChanges = {};
  const text = (k: "defaultBranch" | "model" | "permissionMode" | "systemPrompt" | "pullRequests" | "withoutPullRequest" | "setupScript" | "cleanupScript") => {
    if (now[k] !== read[k]) changes[k] = now[k];
  };
  (["defaultBranch", "model", "permissionMode", "systemPrompt", "pullRequests", "withoutPullRequest", "setupScript", "cleanupScript"] as const).forEach(text);
  for (const k of ["autoFixConflicts", "autoFixCi", "autoFixReviews", "autoResume", "mirrorQuestions"] as const) if (now[k] !== read[k]) changes[k] = now[k];
  if (following(now) !== following(read)) changes.followIssues = following(now);
  if (now.autoFixLimit !== read.autoFixLimit) changes.autoFixLimit = Number(now.autoFixLimit);
  if (now.setupTimeoutMinutes !== read.setupTimeoutMinutes) changes.setupTimeoutMinutes = Number(now.setupTimeoutMinutes);
  for (const k of ["taskBudgetUsd", "dailyBudgetUsd"] as const) if (now[k] !== read[k]) changes[k] = now[k].trim() ? Number(now[k]) : 0;
  if (now.gitHubToken.trim()) changes.gitHubToken = now.gitHubToken.trim();
  const hosts = (t: string) => t.split(/\s+/).map((h) => h.trim()).filter(Boolean);
  const added = hosts(now.allowedHosts).filter((h) => !hosts(read.allowedHosts).includes(h));
  const removed = hosts(read.allowedHosts).filter((h) => !hosts(now.allowedHosts).includes(h));
  if (added.length) changes.allowHosts = added;
  if (removed.length) changes.disallowHosts = removed;
  return changes;
}

/** Every setting of the workspace, grouped, each saying what it needs; one Save sends what changed. */
export function ConfigPage({ workspace }: { workspace: string }) {
  const queryClient = useQueryClient();
  const config = useQuery({ queryKey: ["config", workspace], queryFn: () => api.config(workspace) });
  const board = useQuery({ queryKey: ["board", workspace], queryFn: () => api.board(workspace) });
  const workspaces = useQuery({ queryKey: ["workspaces"], queryFn: api.workspaces });
  const [read, setRead] = useState<Draft | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  useEffect(() => {
    if (config.data) { setRead(draftOf(config.data)); setDraft(draftOf(config.data)); }
  }, [config.data]);
  const save = useMutation({
    mutationFn: (changes: ConfigChanges) => api.setConfig(workspace, changes),
    onSuccess: (saved) => { queryClient.setQueryData(["config", workspace], saved); toast("Configuration saved.", "info"); },
  });
  const removeToken = useMutation({
    mutationFn: () => api.setConfig(workspace, { gitHubToken: "" }),
    onSuccess: (saved) => { queryClient.setQueryData(["config", workspace], saved); toast("GitHub token removed.", "info"); },
  });

  if (config.error) return <p role="alert" className="error">{(config.error as ApiError).message}</p>;
  if (!config.data || !draft || !read) return <p className="muted">Loading…</p>;
  const c = config.data;
  const onGitHub = workspaces.data?.find((w) => w.name === workspace || w.id === workspace)?.gitHubRepository;
  const canFix = !!onGitHub && c.gitHubTokenSet;
  const fixNeeds = !onGitHub ? "Needs a repository on GitHub." : !c.gitHubTokenSet ? "Needs a GitHub token (above)." : "GitHub's webhooks start it at once; without them Konduktor notices within a minute.";
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft({ ...draft, [key]: value });
  const field = (label: string, key: keyof Draft, hint?: ReactNode, type = "text") => (
    <label>{label}<input type={type} value={String(draft[key])} onChange={(e) => set(key, e.target.value as never)} />{hint && <span className="hint-text">{hint}</span>}</label>
  );
  const toggle = (label: string, key: "autoFixConflicts" | "autoFixCi" | "autoFixReviews" | "autoResume" | "mirrorQuestions", disabled = false) => (
    <label className="toggle"><input type="checkbox" checked={draft[key]} disabled={disabled} onChange={(e) => set(key, e.target.checked)} /> {label}</label>
  );
  const changes = configChanges(read, draft);

  return (
    <form className="config" onSubmit={(e) => { e.preventDefault(); save.mutate(changes); }}>
      <h1>{workspace}: configuration</h1>
      <fieldset>
        <legend>Agents</legend>
        <label>Task agent system prompt<textarea rows={10} value={draft.systemPrompt} onChange={(e) => set("systemPrompt", e.target.value)} /></label>
        <div className="row">
          {field("Model", "model", "Empty: Claude Code's default.")}
          <label>Permission mode<select value={draft.permissionMode} onChange={(e) => set("permissionMode", e.target.value)}>{permissionModes.map((m) => <option key={m}>{m}</option>)}</select></label>
          {field("Default branch", "defaultBranch", "Tasks start from it.")}
        </div>
        <label>Hosts agents may reach<textarea rows={3} value={draft.allowedHosts} onChange={(e) => set("allowedHosts", e.target.value)} placeholder="registry.npmjs.org" />
          <span className="hint-text">One HOST[:PORT] per line (443 unless given; *.example.com for every name under it). Anthropic's API, Konduktor and the repository's remote are always reachable.</span></label>
      </fieldset>
      <fieldset>
        <legend>Pull requests</legend>
        <div className="row">
          <label>Who opens them<select value={draft.pullRequests} onChange={(e) => set("pullRequests", e.target.value)}>
            <option value="konduktor">Konduktor, when a session leaves commits</option>
            <option value="agent">The agent (Konduktor opens a draft if it did not)</option>
            <option value="off">Nobody</option>
          </select></label>
          <label>Without a pull request, a task<select value={draft.withoutPullRequest} onChange={(e) => set("withoutPullRequest", e.target.value)}>
            <option value="">stays where it is, saying why</option>
            {board.data?.columns.map((col) => <option key={col.name} value={col.name}>goes to {col.name}</option>)}
          </select></label>
        </div>
        <label>GitHub token<input type="password" autoComplete="off" value={draft.gitHubToken} onChange={(e) => set("gitHubToken", e.target.value)} placeholder={c.gitHubTokenSet ? "Set (type a new one to replace it)" : "Not set"} />
          <span className="hint-text">{onGitHub ? `For ${onGitHub}: opening pull requests, checks, reviews and merge state. Kept as a secret, never shown.` : "This repository is not on GitHub: pull requests and automatic fixes need one that is."}</span></label>
        {c.gitHubTokenSet && <div><button type="button" className="quiet" onClick={() => removeToken.mutate()}>Remove the GitHub token</button></div>}
      </fieldset>
      <fieldset>
        <legend>Issues</legend>
        <p className="hint-text">{onGitHub ? `Open issues of ${onGitHub} become tasks that follow them: edits, labels, closing and reopening. A pull request says "Closes #N".` : "This repository is not on GitHub: it has no issues to follow."}</p>
        <div className="row">
          <label>Make tasks of<select value={draft.issues} disabled={!onGitHub && draft.issues === "off"} onChange={(e) => set("issues", e.target.value as Draft["issues"])}>
            <option value="off">no issues</option>
            <option value="label">issues with a label</option>
            <option value="all">every open issue</option>
          </select></label>
          {draft.issues === "label" && field("Label", "issueLabel", "Removing it from an issue stops following it; the task stays.")}
        </div>
        {toggle("Ask agents' questions on the issue too, and take an answer given there", "mirrorQuestions", draft.issues === "off" && !draft.mirrorQuestions)}
      </fieldset>
      <fieldset>
        <legend>Automatic fixes</legend>
        <p className="hint-text" data-testid="auto-fix-needs">{fixNeeds}</p>
        {toggle("Auto-fix merge conflicts", "autoFixConflicts", !canFix && !draft.autoFixConflicts)}
        {toggle("Auto-fix CI failures", "autoFixCi", !canFix && !draft.autoFixCi)}
        {toggle("Resume the agent with a review that requests changes", "autoFixReviews", !canFix && !draft.autoFixReviews)}
        {field("Fixes in a row per task", "autoFixLimit", "Then Konduktor stops and leaves a note.", "number")}
      </fieldset>
      <fieldset>
        <legend>Worktrees</legend>
        <label>Setup script<textarea rows={4} value={draft.setupScript} onChange={(e) => set("setupScript", e.target.value)} placeholder="Empty: the repository's .konduktor/setup, if any" /></label>
        <label>Cleanup script<textarea rows={3} value={draft.cleanupScript} onChange={(e) => set("cleanupScript", e.target.value)} placeholder="Empty: the repository's .konduktor/cleanup, if any" /></label>
        {field("Setup timeout (minutes)", "setupTimeoutMinutes", undefined, "number")}
      </fieldset>
      <fieldset>
        <legend>Spending and usage limits</legend>
        <div className="row">
          {field("Task budget (USD)", "taskBudgetUsd", "Over all of a task's sessions; empty: none.", "number")}
          {field("Daily budget (USD)", "dailyBudgetUsd", "For the workspace, per UTC day; empty: none.", "number")}
        </div>
        {toggle("Continue a session that stopped at the account's usage limit once it resets", "autoResume")}
      </fieldset>
      <div className="actions config-save">
        <button type="submit" disabled={save.isPending || Object.keys(changes).length === 0}>Save</button>
        <span className="muted">{Object.keys(changes).length === 0 ? "No changes." : `${Object.keys(changes).length} change(s) to save.`}</span>
      </div>
      {save.error && <p role="alert" className="error">{(save.error as ApiError).message}</p>}
    </form>
  );
}
