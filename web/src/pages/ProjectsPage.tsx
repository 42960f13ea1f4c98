import { lazy, Suspense, useState } from "react";
import Markdown from "react-markdown";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type Phase, type Project } from "../api/client";
import { href, navigate } from "../lib/router";
import { toast } from "../components/Toasts";
import { useWorkspaceFeed } from "../api/feed";
import { Time } from "../components/Time";
import { PullRequestState } from "../components/PullRequestState";
import { money } from "../lib/format";

const ChangesView = lazy(() => import("../changes/ChangesView"));

const stateLabel: Record<Phase["state"], string> = { waiting: "waiting", open: "open", awaitingReview: "awaiting review", approved: "approved" };

/** When the phase reached its state, as the project's orchestration recorded it. */
function since(phase: Phase) {
  const at = phase.state === "approved" ? phase.approvedAt : phase.state === "awaitingReview" ? phase.reviewRequestedAt : phase.state === "open" ? phase.openedAt : undefined;
  return at ? <> · <Time at={at} /></> : null;
}

/** The API's words without the CLI command it suggests (the page has the button that does it). */
export function withoutCommand(text: string): string {
  return text.replace(/:? ?`konduktor [^`]*`\.?$/, "");
}

/** Projects: a list with a form to plan one, and a project's spec beside its phases, their tasks and the review gate. */
export function ProjectsPage({ workspace, project }: { workspace: string; project?: string }) {
  return project ? <ProjectView workspace={workspace} id={project} /> : <ProjectList workspace={workspace} />;
}

function ProjectList({ workspace }: { workspace: string }) {
  const queryClient = useQueryClient();
  // Read again when the workspace's change feed says a task or a phase changed: never polled.
  const following = useWorkspaceFeed(workspace, () => void queryClient.invalidateQueries({ queryKey: ["projects", workspace] }));
  const projects = useQuery({ queryKey: ["projects", workspace], queryFn: () => api.projects(workspace), enabled: following });
  const [draft, setDraft] = useState({ title: "", spec: "", phases: "" });
  const create = useMutation({
    mutationFn: () => api.createProject(workspace, {
      title: draft.title.trim(), spec: draft.spec.trim() || undefined, phases: draft.phases.split("\n").map((p) => p.trim()).filter(Boolean),
    }),
    onSuccess: (p) => navigate({ page: "projects", workspace, project: p.shortId }),
    onError: (e) => toast((e as ApiError).message),
  });
  if (projects.error) return <p role="alert" className="error">{(projects.error as ApiError).message}</p>;
  // The form waits for the list: drawn first, the list arriving above it pushed it down (a layout shift on a slow machine).
  if (!projects.data) return <section><div className="page-head"><h1>Projects</h1></div><p className="muted">Loading…</p></section>;
  return (
    <section>
      <div className="page-head"><h1>Projects</h1></div>
      <ul className="workspace-list">
        {projects.data?.map((p) => (
          <li key={p.id}>
            <a href={href({ page: "projects", workspace, project: p.shortId })}>
              <strong>{p.title}</strong> <span className="muted">{p.status} · {p.phases.filter((x) => x.state === "approved").length}/{p.phases.length} phases approved</span>
            </a>
          </li>
        ))}
        {projects.data?.length === 0 && <li className="muted">No projects yet.</li>}
      </ul>
      <form className="new-project" aria-label="New project" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
        <h2>New project</h2>
        <label>Title<input value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} placeholder="Checkout, end to end" /></label>
        <label>Spec (markdown)<textarea rows={5} value={draft.spec} onChange={(e) => setDraft({ ...draft, spec: e.target.value })} placeholder="What it delivers, for whom, what done looks like" /></label>
        <label>Phases, one per line<textarea rows={3} value={draft.phases} onChange={(e) => setDraft({ ...draft, phases: e.target.value })} placeholder={"Model\nAPI\nUI"} /></label>
        <div className="actions"><button type="submit" disabled={!draft.title.trim() || create.isPending}>Create project</button></div>
      </form>
    </section>
  );
}

function ProjectView({ workspace, id }: { workspace: string; id: string }) {
  const queryClient = useQueryClient();
  const following = useWorkspaceFeed(workspace, () => {
    for (const read of ["project", "review"]) void queryClient.invalidateQueries({ queryKey: [read, workspace, id] });
  });
  const project = useQuery({ queryKey: ["project", workspace, id], queryFn: () => api.project(workspace, id), enabled: following });
  const done = (p: Project) => { queryClient.setQueryData(["project", workspace, id], p); void queryClient.invalidateQueries({ queryKey: ["board", workspace] }); };
  const fail = (e: unknown) => toast((e as ApiError).message);
  const start = useMutation({ mutationFn: () => api.startProject(workspace, id), onSuccess: done, onError: fail });
  const runReady = useMutation({
    mutationFn: () => api.runReady(workspace, id),
    onSuccess: (sessions) => toast(sessions.length ? `Queued ${sessions.length} session(s).` : "Nothing to run: the open phase's tasks are done or running.", "info"),
    onError: fail,
  });
  const [phaseTitle, setPhaseTitle] = useState("");
  const addPhase = useMutation({ mutationFn: () => api.addPhase(workspace, id, phaseTitle.trim()), onSuccess: (p) => { done(p); setPhaseTitle(""); }, onError: fail });
  const movePhase = useMutation({ mutationFn: (m: { number: number; to: number }) => api.movePhase(workspace, id, m.number, m.to), onSuccess: done, onError: fail });

  if (project.error) return <p role="alert" className="error">{(project.error as ApiError).message}</p>;
  const p = project.data;
  if (!p) return <p className="muted">Loading…</p>;
  const inReview = p.phases.find((phase) => phase.state === "awaitingReview");
  return (
    <section className="project">
      <div className="page-head">
        <h1><code>{p.shortId}</code> {p.title} <span className="muted">({p.status})</span></h1>
        <div className="actions">
          {p.status === "draft" && <button onClick={() => start.mutate()} disabled={p.phases.length === 0}>Start project</button>}
          {p.status === "active" && <button onClick={() => runReady.mutate()}>Run ready tasks</button>}
        </div>
      </div>
      {p.blocking && <p className="blocking" data-testid="blocking">Blocking: {withoutCommand(p.blocking)}</p>}
      <div className="project-layout">
        <div className="project-main">
          <div className="board phases">
            {p.phases.map((phase) => (
              <section key={phase.id} className={`column phase ${phase.state}`} aria-label={`Phase ${phase.number}`} data-phase={phase.number}>
                <h2>
                  <span>{phase.number}. {phase.title}</span>
                  <span className="phase-tools">
                    {phase.state === "waiting" && phase.number > 1 && p.phases[phase.number - 2]?.state === "waiting" && (
                      <button className="quiet icon" aria-label={`Move phase ${phase.number} earlier`} onClick={() => movePhase.mutate({ number: phase.number, to: phase.number - 1 })}>←</button>
                    )}
                    {phase.state === "waiting" && phase.number < p.phases.length && (
                      <button className="quiet icon" aria-label={`Move phase ${phase.number} later`} onClick={() => movePhase.mutate({ number: phase.number, to: phase.number + 1 })}>→</button>
                    )}
                    <span className="count">{phase.tasksDone}/{phase.tasksTotal}</span>
                  </span>
                </h2>
                <p className="muted phase-state" data-testid={`phase-${phase.number}-state`}>{stateLabel[phase.state]}{since(phase)}{phase.approvalNote ? ` — “${phase.approvalNote}”` : ""}</p>
                <progress max={Math.max(1, phase.tasksTotal)} value={phase.tasksDone} aria-label={`Phase ${phase.number} progress`} />
                <ol className="cards">
                  {phase.tasks.map((t) => (
                    <li key={t.id} className="card phase-task" data-task={t.shortId}>
                      <a href={href({ page: "board", workspace, task: t.shortId })} className="card-title">{t.title}</a>
                      <div className="card-meta">
                        <code>{t.shortId}</code><span>{t.status}</span>
                        {t.sessionStatus && <span className={`session ${t.sessionStatus}`}>{t.sessionStatus.replaceAll("-", " ")}</span>}
                        {t.pullRequestUrl && <a href={t.pullRequestUrl} target="_blank" rel="noreferrer">PR #{t.pullRequestNumber}</a>}
                        <PullRequestState task={t} />
                        {t.costUsd > 0 && <span className="cost">{money(t.costUsd)}</span>}
                      </div>
                      {phase.state === "waiting" && <div className="card-reason blocked">Blocked: {phase.number === 1 || p.status === "draft" ? "the project has not started" : `waits for phase ${phase.number - 1}`}</div>}
                    </li>
                  ))}
                </ol>
                {phase.state !== "approved" && <NewPhaseTask workspace={workspace} project={p} phase={phase} />}
              </section>
            ))}
            <form className="column add-phase" aria-label="Add a phase" onSubmit={(e) => { e.preventDefault(); addPhase.mutate(); }}>
              <label>New phase<input value={phaseTitle} onChange={(e) => setPhaseTitle(e.target.value)} placeholder="Phase title" /></label>
              <button type="submit" disabled={!phaseTitle.trim() || addPhase.isPending}>Add phase</button>
            </form>
          </div>
          {inReview && <PhaseReviewPanel workspace={workspace} project={p} phase={inReview} onApproved={done} />}
        </div>
        <aside className="spec" aria-label="Spec">
          <h2>Spec</h2>
          {p.spec ? <div className="markdown"><Markdown>{p.spec}</Markdown></div> : <p className="muted">No spec.</p>}
        </aside>
      </div>
    </section>
  );
}

/** A task made straight into the phase (its title only; the rest is edited on the task). */
function NewPhaseTask({ workspace, project, phase }: { workspace: string; project: Project; phase: Phase }) {
  const queryClient = useQueryClient();
  const [title, setTitle] = useState("");
  const create = useMutation({
    mutationFn: () => api.createTask(workspace, { title: title.trim(), project: project.id, phase: phase.number }),
    onSuccess: () => { setTitle(""); void queryClient.invalidateQueries({ queryKey: ["project", workspace, project.shortId] }); },
    onError: (e) => toast((e as ApiError).message),
  });
  return (
    <form className="phase-new-task" onSubmit={(e) => { e.preventDefault(); if (title.trim()) create.mutate(); }}>
      <input aria-label={`New task in phase ${phase.number}`} placeholder="+ New task in this phase" value={title} onChange={(e) => setTitle(e.target.value)} />
    </form>
  );
}

/**
 * The review gate: the phase's change as one (every file its tasks touched, lines, commits), each task's final words
 * and its own diff on demand; approve with a note, or send chosen tasks back with a message that resumes them.
 */
function PhaseReviewPanel({ workspace, project, phase, onApproved }: { workspace: string; project: Project; phase: Phase; onApproved: (p: Project) => void }) {
  const review = useQuery({ queryKey: ["review", workspace, project.shortId, phase.number], queryFn: () => api.phaseReview(workspace, project.shortId, phase.number) });
  const [note, setNote] = useState("");
  const [message, setMessage] = useState("");
  const [chosen, setChosen] = useState<Set<string> | null>(null);
  const selected = chosen ?? new Set(phase.tasks.map((t) => t.id));
  const approve = useMutation({
    mutationFn: () => api.approvePhase(workspace, project.shortId, phase.number, note.trim() || undefined),
    onSuccess: (p) => { onApproved(p); setNote(""); toast("Phase approved.", "info"); },
    onError: (e) => toast((e as ApiError).message),
  });
  const sendBack = useMutation({
    mutationFn: async () => {
      const tasks = phase.tasks.filter((t) => selected.has(t.id));
      await Promise.all(tasks.map((t) => api.resumeTask(workspace, t.id, message.trim())));
      return tasks.length;
    },
    onSuccess: (n) => { setMessage(""); toast(`Sent back to ${n} task${n === 1 ? "" : "s"}: their agents continue with your message.`, "info"); },
    onError: (e) => toast((e as ApiError).message),
  });
  const r = review.data;
  return (
    <section className="phase-review" aria-label={`Review of phase ${phase.number}`}>
      <h2>Review: phase {phase.number}, {phase.title}</h2>
      {review.error && <p role="alert" className="error">{(review.error as ApiError).message}</p>}
      {r && (
        <>
          <p className="changes-summary" data-testid="phase-changes">
            <strong>{r.files.length} file{r.files.length === 1 ? "" : "s"}</strong> <span className="added">+{r.added}</span> <span className="removed">−{r.removed}</span> · {r.commits} commit{r.commits === 1 ? "" : "s"} across {r.tasks.length} task{r.tasks.length === 1 ? "" : "s"}
          </p>
          {r.files.length > 0 && (
            <table className="phase-files">
              <thead><tr><th scope="col">File</th><th scope="col">Lines</th><th scope="col">Tasks</th></tr></thead>
              <tbody>
                {r.files.map((f) => (
                  <tr key={f.path}><td><code>{f.path}</code></td><td>{f.added === undefined ? <span className="muted">binary</span> : <><span className="added">+{f.added}</span> <span className="removed">−{f.removed}</span></>}</td><td>{f.tasks.map((t) => <code key={t}>{t} </code>)}</td></tr>
                ))}
              </tbody>
            </table>
          )}
          <ul className="review-tasks">
            {r.tasks.map((t) => (
              <li key={t.id} data-task={t.shortId}>
                <label className="toggle">
                  <input type="checkbox" checked={selected.has(t.id)} onChange={(e) => {
                    const next = new Set(selected);
                    if (e.target.checked) next.add(t.id); else next.delete(t.id);
                    setChosen(next);
                  }} />
                  <span><strong>{t.title}</strong> <code>{t.shortId}</code> <span className="muted">{t.status} · {money(t.costUsd)}</span></span>
                </label>
                <div className="markdown summary">{t.summary ? <Markdown>{t.summary}</Markdown> : <p className="muted">No final words yet.</p>}</div>
                {t.changes && (
                  <details>
                    <summary>{t.changes.files.length} file(s), {t.changes.commits.length} commit(s) on <code>{t.changes.branch}</code></summary>
                    <Suspense fallback={<p className="muted">Loading…</p>}>
                      <ChangesView workspace={workspace} taskId={t.id} kept={`${t.changes.sessionId}`} canResume={false} />
                    </Suspense>
                  </details>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      <div className="review-actions">
        <form className="approve" onSubmit={(e) => { e.preventDefault(); approve.mutate(); }}>
          <input aria-label={`Note for phase ${phase.number}`} placeholder="Review note (optional)" value={note} onChange={(e) => setNote(e.target.value)} />
          <button type="submit" disabled={approve.isPending}>Approve phase</button>
        </form>
        <form className="send-back" onSubmit={(e) => { e.preventDefault(); sendBack.mutate(); }}>
          <textarea aria-label="What to change" rows={2} placeholder="What the chosen tasks should change" value={message} onChange={(e) => setMessage(e.target.value)} />
          <button type="submit" className="quiet" disabled={!message.trim() || selected.size === 0 || sendBack.isPending}>Send back to {selected.size} task{selected.size === 1 ? "" : "s"}</button>
        </form>
      </div>
    </section>
  );
}
