import { lazy, Suspense, useEffect, useState } from "react";
import Markdown from "react-markdown";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, priorities, type Priority, type Session, type TaskItem } from "../api/client";
import { changedFields, changedMeanwhile, draftOf, type TaskDraft } from "../lib/edits";
import { LogView } from "../log/LogView";
import { Modal } from "./Modal";
import { selectTask } from "../lib/selection";
import { toast } from "./Toasts";
import { PullRequestState } from "./PullRequestState";
import { quotaWait } from "../lib/quota";
import { SayBox } from "./SayBox";
import { absolute, elapsed, money, useNow } from "../lib/format";
import { TaskProject } from "./TaskProject";
import { TaskBlockers } from "./TaskBlockers";

// The diff viewer and its highlighter load when the Changes tab is first opened, not with the board.
const ChangesView = lazy(() => import("../changes/ChangesView"));

export function TaskModal({ workspace, taskId, columns, onClose }: { workspace: string; taskId: string; columns: string[]; onClose: () => void }) {
  const queryClient = useQueryClient();
  // Read again when the board's change feed says something changed (a session's state is written to its task): never polled.
  const task = useQuery({ queryKey: ["task", workspace, taskId], queryFn: () => api.task(workspace, taskId) });
  const sessions = useQuery({ queryKey: ["sessions", workspace, task.data?.id], queryFn: () => api.sessions(workspace, task.data!.id), enabled: !!task.data });
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<TaskDraft>({ title: "", description: "", tags: "", priority: "none", status: "" });
  // What the person read when they started editing: the version the save is conditional on, and what it compares with.
  const [read, setRead] = useState<{ draft: TaskDraft; version: string } | null>(null);
  const [conflict, setConflict] = useState<{ changes: string[]; latest: TaskItem } | null>(null);
  const [message, setMessage] = useState("");
  const [view, setView] = useState<"log" | "changes">("log");
  useEffect(() => {
    if (!task.data) return;
    selectTask({ workspace, taskId: task.data.id });
    return () => selectTask(null);
  }, [task.data, workspace]);
  const latest = sessions.data?.[0];
  const shown = selected ?? latest?.id ?? null;

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["task", workspace, taskId] });
    void queryClient.invalidateQueries({ queryKey: ["sessions", workspace] });
    void queryClient.invalidateQueries({ queryKey: ["board", workspace] });
  };
  const act = useMutation({
    mutationFn: (action: "run" | "resume" | "stop") => action === "run" ? api.runTask(workspace, task.data!.id)
      : action === "resume" ? api.resumeTask(workspace, task.data!.id, message.trim() || undefined)
      : api.stopTask(workspace, task.data!.id),
    onSuccess: (s: Session) => { setSelected(s.id); setMessage(""); refresh(); if (s.notice) toast(`Session ${s.shortId} queued, but ${s.notice}`); },
    onError: (e) => toast((e as ApiError).message),
  });
  const save = useMutation({
    mutationFn: () => api.updateTask(workspace, task.data!.id, changedFields(read!.draft, draft), read!.version),
    onSuccess: () => { setEditing(false); setConflict(null); refresh(); },
    onError: async (e) => {
      if ((e as ApiError).status !== 409) return;
      // Changed by someone else since it was read: say what, and let the person apply their edit to the task as it is now.
      const latest = await api.task(workspace, taskId);
      setConflict({ changes: changedMeanwhile(read!.draft, draftOf(latest)), latest });
    },
  });
  const startEditing = (t: TaskItem) => { setDraft(draftOf(t)); setRead({ draft: draftOf(t), version: t.version }); setConflict(null); setEditing(true); };
  const applyAgain = () => {
    if (!conflict) return;
    const mine = changedFields(read!.draft, draft);
    const base = draftOf(conflict.latest);
    setRead({ draft: base, version: conflict.latest.version });
    setDraft({ ...base, ...mine, tags: mine.tags ? mine.tags.join(", ") : base.tags });
    setConflict(null);
  };

  if (task.error) return <Modal title="Task" onClose={onClose}><p role="alert" className="error">{(task.error as ApiError).message}</p></Modal>;
  if (!task.data) return <Modal title="Task" onClose={onClose}><p className="muted">Loading…</p></Modal>;
  const t = task.data;
  const active = t.latestSession?.active === true;

  return (
    <Modal wide title={<><code>{t.shortId}</code> {t.title}</>} onClose={onClose} actions={<>
      {active
        ? <button onClick={() => act.mutate("stop")} disabled={act.isPending}>Stop</button>
        : <button onClick={() => act.mutate("run")} disabled={act.isPending} title={t.blocked}>Run task</button>}
    </>}>
      <div className="task-modal">
        <div className="task-details">
          {editing ? (
            <form className="task-form" onSubmit={(e) => { e.preventDefault(); if (read && Object.keys(changedFields(read.draft, draft)).length > 0) save.mutate(); else setEditing(false); }}>
              <label>Title<input value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} /></label>
              <label>Description<textarea rows={8} value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} /></label>
              <div className="row">
                <label>Tags<input value={draft.tags} onChange={(e) => setDraft({ ...draft, tags: e.target.value })} /></label>
                <label>Priority<select value={draft.priority} onChange={(e) => setDraft({ ...draft, priority: e.target.value as Priority })}>{priorities.map((p) => <option key={p}>{p}</option>)}</select></label>
                <label>Column<select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>{columns.map((c) => <option key={c}>{c}</option>)}</select></label>
              </div>
              {conflict ? (
                <div role="alert" className="conflict" data-testid="edit-conflict">
                  <p>Someone changed this task while you edited it{conflict.changes.length > 0 ? ":" : "."}</p>
                  {conflict.changes.length > 0 && <ul>{conflict.changes.map((c) => <li key={c}>{c}</li>)}</ul>}
                  <button type="button" onClick={applyAgain}>Apply my changes to the task as it is now</button>
                </div>
              ) : save.error && <p role="alert" className="error">{(save.error as ApiError).message}</p>}
              <div className="actions"><button type="submit">Save</button><button type="button" className="quiet" onClick={() => setEditing(false)}>Cancel</button></div>
            </form>
          ) : (
            <>
              <div className="card-meta">
                <span>{t.status}</span>
                {t.priority !== "none" && <span className={`priority ${t.priority}`}>{t.priority}</span>}
                {t.tags.map((tag) => <span key={tag} className="tag">{tag}</span>)}
                {t.branch && <code>{t.branch}</code>}
                {t.issueUrl && <a href={t.issueUrl} target="_blank" rel="noreferrer">Issue #{t.issueNumber}</a>}
                {t.pullRequestUrl && <a href={t.pullRequestUrl} target="_blank" rel="noreferrer">Pull request{t.pullRequestNumber ? ` #${t.pullRequestNumber}` : ""}</a>}
                <PullRequestState task={t} />
                <button className="quiet" onClick={() => startEditing(t)}>Edit</button>
              </div>
              {t.note && <p role="note" className="blocking">{t.note}</p>}
              {quotaWait(t) && <p role="note" className="quota-wait">Waiting for the account's usage limit: {quotaWait(t)}. Stop cancels it.</p>}
              {t.failingChecks && t.failingChecks.length > 0 && (
                <div className="failing-checks" data-testid="failing-checks">
                  Failing checks: {t.failingChecks.map((c, i) => <span key={c.name}>{i > 0 ? ", " : ""}<a href={c.url} target="_blank" rel="noreferrer">{c.name}</a></span>)}
                </div>
              )}
              {t.blocked && <p role="note" className="blocking">Cannot run yet: {t.blocked}</p>}
              <TaskProject workspace={workspace} task={t} />
              <TaskBlockers workspace={workspace} task={t} />
              <div className="markdown description"><Markdown>{t.description || "*No description.*"}</Markdown></div>
            </>
          )}
          {/* While a session runs, the box under its log talks to the agent; a resume is for a conversation that has ended. */}
          {!active && (
            <form className="resume" onSubmit={(e) => { e.preventDefault(); act.mutate("resume"); }}>
              <input aria-label="Message for the agent" placeholder="Message for the agent (optional)" value={message} onChange={(e) => setMessage(e.target.value)} />
              <button type="submit" disabled={act.isPending || t.sessionCount === 0}>Resume</button>
            </form>
          )}
          <h3>Sessions <span className="muted">{t.sessionCount} · {money(t.costUsd)} · {t.inputTokens} in / {t.outputTokens} out tokens</span></h3>
          <ul className="sessions">
            {sessions.data?.map((s) => (
              <li key={s.id}>
                <button className={s.id === shown ? "" : "quiet"} onClick={() => setSelected(s.id)} data-session={s.shortId}>
                  <code>{s.shortId}</code> {s.kind} <span className={`session ${s.status}`}>{s.status.replace("-", " ")}</span> <Duration session={s} />
                  {s.outcome?.costUsd !== undefined ? ` · ${money(s.outcome.costUsd)}` : ""}
                  {s.outcome ? ` · ${s.outcome.inputTokens}/${s.outcome.outputTokens} tokens` : ""}
                </button>
                {s.id === shown && s.error && <p role={s.status === "needs-attention" ? "note" : "alert"} className={s.status === "needs-attention" ? "attention" : "error"}>{s.error}</p>}
              </li>
            ))}
          </ul>
        </div>
        <div className="task-logs">
          <div role="tablist" aria-label="Task views" className="tabs">
            <button role="tab" aria-selected={view === "log"} className={view === "log" ? "" : "quiet"} onClick={() => setView("log")}>Log</button>
            <button role="tab" aria-selected={view === "changes"} className={view === "changes" ? "" : "quiet"} onClick={() => setView("changes")}>Changes</button>
          </div>
          {view === "changes"
            ? <Suspense fallback={<p className="muted">Loading…</p>}><ChangesView workspace={workspace} taskId={t.id} kept={`${t.latestSession?.id}:${t.latestSession?.status}`} canResume={!active && t.sessionCount > 0} /></Suspense>
            : shown ? <LogView workspace={workspace} sessionId={shown} /> : <p className="muted">No sessions yet: run the task.</p>}
          {view === "log" && active && shown === t.latestSession?.id && <SayBox workspace={workspace} taskId={t.id} />}
        </div>
      </div>
    </Modal>
  );
}

/** How long the session ran, or has run so far (counting by the second while it runs). */
function Duration({ session }: { session: Session }) {
  const now = useNow(!session.endedAt);
  if (!session.startedAt) return null;
  return <>· <span title={absolute(session.startedAt)}>{elapsed(session.startedAt, session.endedAt ? new Date(session.endedAt) : now)}</span></>;
}
