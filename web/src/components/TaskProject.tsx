import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type TaskItem } from "../api/client";
import { toast } from "./Toasts";

/** Which project phase the task belongs to, chosen from the board: one list of every project's phases, or none. */
export function TaskProject({ workspace, task }: { workspace: string; task: TaskItem }) {
  const queryClient = useQueryClient();
  const projects = useQuery({ queryKey: ["projects", workspace], queryFn: () => api.projects(workspace) });
  const put = useMutation({
    mutationFn: (choice: string) => {
      const [project, phase] = choice ? choice.split(":") : ["", undefined];
      return api.updateTask(workspace, task.id, { project, phase: phase ? Number(phase) : undefined }, task.version);
    },
    onSuccess: (updated) => {
      queryClient.setQueryData(["task", workspace, task.shortId], updated);
      for (const read of ["task", "board", "project", "projects"]) void queryClient.invalidateQueries({ queryKey: [read, workspace] });
    },
    onError: (e) => toast((e as ApiError).message),
  });
  const current = task.projectId && task.phaseId
    ? projects.data?.flatMap((p) => p.phases.filter((ph) => ph.id === task.phaseId).map((ph) => `${p.id}:${ph.number}`))[0] ?? ""
    : "";
  if (!projects.data || projects.data.length === 0) return null;
  return (
    <label className="task-project">Project phase
      <select value={current} disabled={put.isPending} onChange={(e) => put.mutate(e.target.value)}>
        <option value="">None</option>
        {projects.data.map((p) => (
          <optgroup key={p.id} label={p.title}>
            {p.phases.map((ph) => <option key={ph.id} value={`${p.id}:${ph.number}`} disabled={ph.state === "approved"}>{ph.number}. {ph.title}</option>)}
          </optgroup>
        ))}
      </select>
    </label>
  );
}
