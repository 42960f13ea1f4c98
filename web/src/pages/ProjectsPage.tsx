import { useState } from "react";
import Markdown from "react-markdown";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type Phase, type Project } from "../api/client";
import { href } from "../lib/router";
import { toast } from "../components/Toasts";
import { useWorkspaceFeed } from "../api/feed";
import { Time } from "../components/Time";

const stateLabel: Record<Phase["state"], string> = { waiting: "waiting", open: "open", awaitingReview: "awaiting review", approved: "approved" };

/** When the phase reached its state, as the project's orchestration recorded it. */
function since(phase: Phase) {
  const at = phase.state === "approved" ? phase.approvedAt : phase.state === "awaitingReview" ? phase.reviewRequestedAt : phase.state === "open" ? phase.openedAt : undefined;
  return at ? <> · <Time at={at} /></> : null;
}

/** Projects: a list, and a project's phases as lanes with their tasks, progress, what blocks, and the review gate. */
export function ProjectsPage({ workspace, project }: { workspace: string; project?: string }) {
  return project ? <ProjectView workspace={workspace} id={project} /> : <ProjectList workspace={workspace} />;
}

function ProjectList({ workspace }: { workspace: string }) {
  const queryClient = useQueryClient();
  // Read again when the workspace's change feed says a task or a phase changed: never polled.
  const following = useWorkspaceFeed(workspace, () => void queryClient.invalidateQueries({ queryKey: ["projects", workspace] }));
  const projects = useQuery({ queryKey: ["projects", workspace], queryFn: () => api.projects(workspace), enabled: following });
  if (projects.error) return <p role="alert" className="error">{(projects.error as ApiError).message}</p>;
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
        {projects.data?.length === 0 && <li className="muted">No projects yet: `konduktor projects create --title … --phase …`.</li>}
      </ul>
    </section>
  );
}

function ProjectView({ workspace, id }: { workspace: string; id: string }) {
  const queryClient = useQueryClient();
  const following = useWorkspaceFeed(workspace, () => void queryClient.invalidateQueries({ queryKey: ["project", workspace, id] }));
  const project = useQuery({ queryKey: ["project", workspace, id], queryFn: () => api.project(workspace, id), enabled: following });
  const [note, setNote] = useState("");
  const done = (p: Project) => { queryClient.setQueryData(["project", workspace, id], p); void queryClient.invalidateQueries({ queryKey: ["board", workspace] }); };
  const approve = useMutation({
    mutationFn: (phase: number) => api.approvePhase(workspace, id, phase, note.trim() || undefined),
    onSuccess: (p) => { done(p); setNote(""); toast("Phase approved.", "info"); },
    onError: (e) => toast((e as ApiError).message),
  });
  const start = useMutation({ mutationFn: () => api.startProject(workspace, id), onSuccess: done, onError: (e) => toast((e as ApiError).message) });
  const runReady = useMutation({
    mutationFn: () => api.runReady(workspace, id),
    onSuccess: (sessions) => toast(sessions.length ? `Queued ${sessions.length} session(s).` : "Nothing to run: the open phase's tasks are done or running.", "info"),
    onError: (e) => toast((e as ApiError).message),
  });

  if (project.error) return <p role="alert" className="error">{(project.error as ApiError).message}</p>;
  const p = project.data;
  if (!p) return <p className="muted">Loading…</p>;
  return (
    <section className="project">
      <div className="page-head">
        <h1><code>{p.shortId}</code> {p.title} <span className="muted">({p.status})</span></h1>
        <div className="actions">
          {p.status === "draft" && <button onClick={() => start.mutate()}>Start project</button>}
          {p.status === "active" && <button onClick={() => runReady.mutate()}>Run ready tasks</button>}
        </div>
      </div>
      {p.blocking && <p className="blocking" data-testid="blocking">Blocking: {p.blocking}</p>}
      <div className="board phases">
        {p.phases.map((phase) => (
          <section key={phase.id} className={`column phase ${phase.state}`} aria-label={`Phase ${phase.number}`} data-phase={phase.number}>
            <h2>{phase.number}. {phase.title} <span className="count">{phase.tasksDone}/{phase.tasksTotal}</span></h2>
            <p className="muted phase-state" data-testid={`phase-${phase.number}-state`}>{stateLabel[phase.state]}{since(phase)}{phase.approvalNote ? ` — “${phase.approvalNote}”` : ""}</p>
            <progress max={Math.max(1, phase.tasksTotal)} value={phase.tasksDone} aria-label={`Phase ${phase.number} progress`} />
            <ol className="cards">
              {phase.tasks.map((t) => (
                <li key={t.id} className="card">
                  <a href={href({ page: "board", workspace, task: t.shortId })} className="card-title">{t.title}</a>
                  <div className="card-meta"><code>{t.shortId}</code><span>{t.status}</span>{t.sessionStatus && <span className={`session ${t.sessionStatus}`}>{t.sessionStatus}</span>}</div>
                </li>
              ))}
            </ol>
            {phase.state === "awaitingReview" && (
              <form className="approve" onSubmit={(e) => { e.preventDefault(); approve.mutate(phase.number); }}>
                <input aria-label={`Note for phase ${phase.number}`} placeholder="Review note (optional)" value={note} onChange={(e) => setNote(e.target.value)} />
                <button type="submit" disabled={approve.isPending}>Approve phase</button>
              </form>
            )}
          </section>
        ))}
      </div>
      {p.spec && <details className="spec"><summary>Spec</summary><div className="markdown"><Markdown>{p.spec}</Markdown></div></details>}
    </section>
  );
}
