import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type TaskItem } from "../api/client";
import { toast } from "./Toasts";

/**
 * What the task waits for, chosen in the task view: each blocker with its column (a link to it), taken off with ×,
 * another added from the workspace's tasks; and whether the task starts by itself once they are all Done.
 */
export function TaskBlockers({ workspace, task }: { workspace: string; task: TaskItem }) {
  const queryClient = useQueryClient();
  const board = useQuery({ queryKey: ["board", workspace], queryFn: () => api.board(workspace) });
  const all = board.data?.columns.flatMap((c) => c.tasks) ?? [];
  const byId = new Map(all.map((t) => [t.id, t]));
  const change = useMutation({
    mutationFn: (changes: { blockedBy?: string[]; autoRun?: boolean }) => api.updateTask(workspace, task.id, changes, task.version),
    onSuccess: (updated) => {
      queryClient.setQueryData(["task", workspace, task.shortId], updated);
      for (const read of ["task", "board"]) void queryClient.invalidateQueries({ queryKey: [read, workspace] });
    },
    onError: (e) => toast((e as ApiError).message),
  });
  const waitingFor = task.blockedBy.map((id) => byId.get(id)).filter((t): t is TaskItem => !!t);
  const candidates = all.filter((t) => t.id !== task.id && !task.blockedBy.includes(t.id) && t.status !== "Done" && t.status !== "Closed");
  const unfinished = new Set((task.blockers ?? []).map((b) => b.id));
  return (
    <section className="task-blockers" aria-label="Waits for">
      <h4>Waits for</h4>
      {waitingFor.length === 0
        ? <p className="muted">No other task: it can run whenever.</p>
        : (
          <ul>
            {waitingFor.map((b) => (
              <li key={b.id} className={unfinished.has(b.id) ? "unfinished" : "finished"} data-blocker={b.shortId}>
                <a href={`#/w/${workspace}/t/${b.shortId}`}><code>{b.shortId}</code> {b.title}</a>
                <span className="blocker-status">{b.status}</span>
                <button type="button" className="quiet" aria-label={`Stop waiting for ${b.title}`} disabled={change.isPending}
                  onClick={() => change.mutate({ blockedBy: task.blockedBy.filter((id) => id !== b.id) })}>×</button>
              </li>
            ))}
          </ul>
        )}
      {change.error && <p role="alert" className="error">{(change.error as ApiError).message}</p>}
      <div className="row">
        <label>Add a task it waits for
          <select value="" disabled={change.isPending || candidates.length === 0} onChange={(e) => e.target.value && change.mutate({ blockedBy: [...task.blockedBy, e.target.value] })}>
            <option value="">{candidates.length === 0 ? "No other open task" : "Choose a task…"}</option>
            {candidates.map((c) => <option key={c.id} value={c.id}>{c.shortId} {c.title} ({c.status})</option>)}
          </select>
        </label>
        {(waitingFor.length > 0 || task.autoRun) && (
          <label className="toggle">
            <input type="checkbox" checked={task.autoRun} disabled={change.isPending} onChange={(e) => change.mutate({ autoRun: e.target.checked })} />
            Start by itself once they are Done
          </label>
        )}
      </div>
    </section>
  );
}
