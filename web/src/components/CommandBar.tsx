import { useEffect, useState } from "react";
import { Command, defaultFilter } from "cmdk";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "../api/client";
import { navigate } from "../lib/router";
import { requestNewTask, selectedTask } from "../lib/selection";
import { toast } from "./Toasts";
import { matches, shortcuts } from "../lib/shortcuts";

/**
 * Ranks what the command bar offers: a task whose title is exactly what was typed first (Enter opens it, Mod+R runs it),
 * then "Create task …", then everything else that matches.
 */
export function rank(value: string, search: string, keywords?: string[]): number {
  const typed = search.trim().toLowerCase();
  if (!typed) return 1;
  if (keywords?.[0] === typed) return 1;
  if (value.startsWith("create task ")) return 0.95;
  return Math.min(defaultFilter(value, search, keywords), 0.9);
}

/** CMD+K (Ctrl+K off macOS): create, find and navigate. CMD+R runs the highlighted task, the focused card's or the open one. */
export function CommandBar({ workspace }: { workspace?: string }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState("");
  const board = useQuery({ queryKey: ["board", workspace], queryFn: () => api.board(workspace!), enabled: !!workspace && open });
  const workspaces = useQuery({ queryKey: ["workspaces"], queryFn: api.workspaces, enabled: open });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (matches(e, shortcuts.commandBar)) {
        e.preventDefault();
        setOpen((o) => !o);
      } else if (matches(e, shortcuts.run)) {
        // The task highlighted in the command bar, else the focused card, else the open task; a card under the mouse is
        // not chosen, so Mod+R there reloads the page.
        const highlighted = document.querySelector<HTMLElement>('[cmdk-item][data-selected="true"][data-task-id]');
        const card = highlighted ?? (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("li.card[data-task-id]");
        const selected = card?.dataset.taskId && card.dataset.workspace ? { workspace: card.dataset.workspace, taskId: card.dataset.taskId } : selectedTask();
        if (!selected) return;
        e.preventDefault();
        if (highlighted) { setOpen(false); setSearch(""); }
        api.runTask(selected.workspace, selected.taskId)
          .then((s) => { toast(`Session ${s.shortId} queued.`, "info"); void queryClient.invalidateQueries({ queryKey: ["board", selected.workspace] }); })
          .catch((err: ApiError) => toast(err.message));
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [queryClient]);

  const close = () => { setOpen(false); setSearch(""); };
  const tasks = board.data?.columns.flatMap((c) => c.tasks) ?? [];
  // cmdk orders the items of a group by rank but not the groups: a task of exactly the typed title puts Tasks first.
  const typed = search.trim().toLowerCase();
  const exact = !!typed && tasks.some((t) => t.title.trim().toLowerCase() === typed);
  const tasksGroup = tasks.length > 0 && (
    <Command.Group heading="Tasks">
      {tasks.map((t) => (
        <Command.Item key={t.id} value={`${t.shortId} ${t.title}`} keywords={[t.title.trim().toLowerCase()]} data-task-id={t.id} data-workspace={workspace} onSelect={() => { navigate({ page: "board", workspace: workspace!, task: t.shortId }); close(); }}>
          <code>{t.shortId}</code> {t.title} <span className="muted">{t.status}</span>
        </Command.Item>
      ))}
    </Command.Group>
  );

  return (
    <Command.Dialog open={open} onOpenChange={(o) => { if (!o) close(); else setOpen(true); }} label="Command bar" className="command-bar" shouldFilter filter={rank}>
      <Command.Input value={search} onValueChange={setSearch} placeholder={workspace ? "Type a title to create a task, or search…" : "Search…"} />
      <Command.List>
        <Command.Empty>Nothing found.</Command.Empty>
        {exact && tasksGroup}
        {workspace && search.trim() && (
          <Command.Group heading="Create">
            <Command.Item value={`create task ${search}`} onSelect={() => { requestNewTask({ title: search.trim() }); close(); }}>
              Create task “{search.trim()}”
            </Command.Item>
          </Command.Group>
        )}
        {!exact && tasksGroup}
        <Command.Group heading="Go to">
          <Command.Item value="go home workspaces" onSelect={() => { navigate({ page: "home" }); close(); }}>Workspaces</Command.Item>
          {workspace && <Command.Item value="go board" onSelect={() => { navigate({ page: "board", workspace }); close(); }}>Board</Command.Item>}
          {workspace && <Command.Item value="go projects" onSelect={() => { navigate({ page: "projects", workspace }); close(); }}>Projects</Command.Item>}
          {workspace && <Command.Item value="go questions" onSelect={() => { navigate({ page: "questions", workspace }); close(); }}>Questions</Command.Item>}
          {workspace && <Command.Item value="go docs" onSelect={() => { navigate({ page: "docs", workspace }); close(); }}>Docs</Command.Item>}
          {workspace && <Command.Item value="go agents scheduled" onSelect={() => { navigate({ page: "agents", workspace }); close(); }}>Agents</Command.Item>}
          {workspace && <Command.Item value="go config configuration" onSelect={() => { navigate({ page: "config", workspace }); close(); }}>Config</Command.Item>}
          {workspaces.data?.filter((w) => w.name !== workspace).map((w) => (
            <Command.Item key={w.id} value={`go workspace ${w.name}`} onSelect={() => { navigate({ page: "board", workspace: w.name }); close(); }}>Workspace {w.name}</Command.Item>
          ))}
        </Command.Group>
      </Command.List>
    </Command.Dialog>
  );
}
