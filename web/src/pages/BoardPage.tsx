import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  DndContext, DragOverlay, KeyboardSensor, PointerSensor, closestCorners, useDroppable, useSensor, useSensors,
  type DragEndEvent, type DragStartEvent,
} from "@dnd-kit/core";
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { api, ApiError, priorities, type Board, type TaskItem } from "../api/client";
import { rankBetween } from "../lib/ranks";
import { navigate } from "../lib/router";
import { onNewTaskRequest } from "../lib/selection";
import { typing } from "../lib/shortcuts";
import { toast } from "../components/Toasts";
import { PullRequestState } from "../components/PullRequestState";
import { accountNotice, quotaWait } from "../lib/quota";
import { UsageChart } from "../components/UsageChart";
import { elapsed, money, useNow } from "../lib/format";
import { useBoardFeed } from "../api/feed";
import { TaskModal } from "../components/TaskModal";
import { NewTaskModal } from "../components/NewTaskModal";

export function BoardPage({ workspace, openTask }: { workspace: string; openTask?: string }) {
  const queryClient = useQueryClient();
  const [dragging, setDragging] = useState<TaskItem | null>(null);
  // Read when opened and again when the workspace's change feed says something changed: never polled.
  const board = useQuery({ queryKey: ["board", workspace], queryFn: () => api.board(workspace) });
  useBoardFeed(workspace, board.data?.cursor, () => {
    if (dragging) return; // the drop reads the board again
    for (const read of ["board", "usage", "task", "sessions"]) void queryClient.invalidateQueries({ queryKey: [read, workspace] });
  });
  const [filters, setFilters] = useState({ text: "", tag: "", priority: "" });
  const [newTask, setNewTask] = useState<{ title: string } | null>(null);
  useEffect(() => onNewTaskRequest((r) => setNewTask(r)), []);
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 5 } }), useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }));

  const move = useMutation({
    mutationFn: (m: { task: TaskItem; status: string; rank: number }) => api.moveTask(workspace, m.task.id, m.status, m.task.version, m.rank),
    onMutate: async (m) => {
      await queryClient.cancelQueries({ queryKey: ["board", workspace] });
      const before = queryClient.getQueryData<Board>(["board", workspace]);
      if (before) queryClient.setQueryData<Board>(["board", workspace], place(before, m.task, m.status, m.rank));
      return { before };
    },
    onError: (error, _m, context) => {
      if (context?.before) queryClient.setQueryData(["board", workspace], context.before);
      toast(`The move was undone: ${(error as ApiError).message}`);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["board", workspace] }),
  });
  const run = useMutation({
    mutationFn: (task: TaskItem) => api.runTask(workspace, task.id),
    onSuccess: (s) => {
      toast(s.notice ? `Session ${s.shortId} queued, but ${s.notice}` : `Session ${s.shortId} queued.`, s.notice ? "error" : "info");
      void queryClient.invalidateQueries({ queryKey: ["board", workspace] });
    },
    onError: (e) => toast((e as ApiError).message),
  });

  const visible = useMemo(() => {
    const text = filters.text.trim().toLowerCase();
    const keep = (t: TaskItem) => (!text || t.title.toLowerCase().includes(text) || t.shortId.startsWith(text))
      && (!filters.tag || t.tags.includes(filters.tag)) && (!filters.priority || t.priority === filters.priority);
    return board.data?.columns.map((c) => ({ ...c, tasks: c.tasks.filter(keep) })) ?? [];
  }, [board.data, filters]);
  // j/k (or ↓/↑) move between the cards of a column, h/l (or ←/→) between columns; Enter opens, Mod+R runs the focused card.
  const [focus, setFocus] = useState<{ id: string; n: number } | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (dragging || openTask || newTask || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return;
      const step = steps[e.key];
      if (!step) return;
      const card = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("li.card[data-task-id]");
      if (!card && e.key.startsWith("Arrow")) return; // arrows scroll the page until a card has the focus
      const next = neighbour(visible, card?.dataset.taskId, step);
      if (!next) return;
      e.preventDefault();
      setFocus((f) => ({ id: next, n: (f?.n ?? 0) + 1 }));
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [visible, dragging, openTask, newTask]);
  const allTags = useMemo(() => [...new Set(board.data?.columns.flatMap((c) => c.tasks.flatMap((t) => t.tags)) ?? [])].sort(), [board.data]);

  function onDragStart(e: DragStartEvent) {
    setDragging(findTask(board.data, String(e.active.id)) ?? null);
  }

  function onDragEnd(e: DragEndEvent) {
    setDragging(null);
    droppedAt = Date.now();
    const task = findTask(board.data, String(e.active.id));
    if (!task || !e.over || !board.data) return;
    const overId = String(e.over.id);
    const column = board.data.columns.find((c) => c.name === overId) ?? board.data.columns.find((c) => c.tasks.some((t) => t.id === overId));
    if (!column) return;
    const others = column.tasks.filter((t) => t.id !== task.id);
    let index = others.findIndex((t) => t.id === overId);
    if (index < 0) index = others.length;
    else if (column.name === task.status && column.tasks.findIndex((t) => t.id === task.id) < column.tasks.findIndex((t) => t.id === overId)) index += 1;
    const rank = rankBetween(others[index - 1]?.rank, others[index]?.rank);
    if (column.name === task.status && rank === task.rank) return;
    move.mutate({ task, status: column.name, rank });
  }

  if (board.error) return <p role="alert" className="error">{(board.error as ApiError).message}</p>;
  return (
    <section className="board-page">
      <div className="page-head">
        <div className="filters" role="search">
          <input aria-label="Filter by text" placeholder="Filter…" value={filters.text} onChange={(e) => setFilters({ ...filters, text: e.target.value })} />
          <select aria-label="Filter by tag" value={filters.tag} onChange={(e) => setFilters({ ...filters, tag: e.target.value })}>
            <option value="">All tags</option>
            {allTags.map((t) => <option key={t}>{t}</option>)}
          </select>
          <select aria-label="Filter by priority" value={filters.priority} onChange={(e) => setFilters({ ...filters, priority: e.target.value })}>
            <option value="">Any priority</option>
            {priorities.map((p) => <option key={p}>{p}</option>)}
          </select>
        </div>
        <UsageChart workspace={workspace} />
        <button onClick={() => setNewTask({ title: "" })}>New task</button>
      </div>
      {board.data?.accountLimits?.map((limit) => (
        <p key={limit.account} role="status" className={`account-limit ${limit.status}`} data-testid="account-limit">{accountNotice(limit)}</p>
      ))}
      <DndContext sensors={sensors} collisionDetection={closestCorners} onDragStart={onDragStart} onDragEnd={onDragEnd} onDragCancel={() => setDragging(null)}>
        <div className="board">
          {visible.map((column) => (
            <Column key={column.name} name={column.name} tasks={column.tasks} workspace={workspace} onRun={(t) => run.mutate(t)} focus={focus} />
          ))}
        </div>
        {/* The card itself follows the pointer, and a drop lands where it is dropped (no animation back to where it was). */}
        <DragOverlay dropAnimation={null}>{dragging ? <div className={`card overlay${cardState(dragging)}`}><CardBody task={dragging} /></div> : null}</DragOverlay>
      </DndContext>
      {openTask && <TaskModal workspace={workspace} taskId={openTask} columns={board.data?.columns.map((c) => c.name) ?? []} onClose={() => navigate({ page: "board", workspace })} />}
      {newTask && <NewTaskModal workspace={workspace} columns={board.data?.columns.map((c) => c.name) ?? []} initialTitle={newTask.title} onClose={() => setNewTask(null)} />}
    </section>
  );
}

/**
 * A column scrolls on its own and has only the cards in view in the page (a board of 10,000 tasks renders like one
 * of a hundred); every card stays in the sortable list, so a drop lands in rank order wherever it is.
 */
function Column({ name, tasks, workspace, onRun, focus }: { name: string; tasks: TaskItem[]; workspace: string; onRun: (t: TaskItem) => void; focus: { id: string; n: number } | null }) {
  const { setNodeRef, isOver } = useDroppable({ id: name });
  const scroller = useRef<HTMLDivElement | null>(null);
  const cards = useVirtualizer({
    count: tasks.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 64,
    gap: 6,
    overscan: 6,
    getItemKey: (index) => tasks[index]!.id,
  });
  const ids = useMemo(() => tasks.map((t) => t.id), [tasks]);
  useEffect(() => {
    const index = focus ? tasks.findIndex((t) => t.id === focus.id) : -1;
    if (!focus || index < 0) return;
    cards.scrollToIndex(index, { align: "auto" });
    // The card is in the page once the column has scrolled to it: focus it then (a few frames at most).
    let tries = 0, frame = 0;
    const focusCard = () => {
      const node = scroller.current?.querySelector<HTMLElement>(`li.card[data-task-id="${focus.id}"]`);
      if (node) node.focus({ preventScroll: true });
      else if (tries++ < 10) frame = requestAnimationFrame(focusCard);
    };
    frame = requestAnimationFrame(focusCard);
    return () => cancelAnimationFrame(frame);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a request is followed once, when it is made
  }, [focus]);
  const scrollerRef = useCallback((node: HTMLDivElement | null) => { scroller.current = node; setNodeRef(node); }, [setNodeRef]);
  return (
    <section className={`column${isOver ? " over" : ""}`} aria-label={name} data-column={name}>
      <h2>{name} <span className="count">{tasks.length}</span></h2>
      <SortableContext id={name} items={ids} strategy={verticalListSortingStrategy}>
        <div className="cards-scroll" ref={scrollerRef}>
          <ol className="cards" style={{ height: cards.getTotalSize() }}>
            {cards.getVirtualItems().map((row) => (
              <Card key={row.key} task={tasks[row.index]!} workspace={workspace} onRun={onRun} top={row.start} index={row.index} measure={cards.measureElement} />
            ))}
          </ol>
        </div>
      </SortableContext>
    </section>
  );
}

/** When the last drag ended: the click a drop makes is not a click that opens the card. */
let droppedAt = 0;

function Card({ task, workspace, onRun, top, index, measure }: {
  task: TaskItem; workspace: string; onRun: (t: TaskItem) => void; top: number; index: number; measure: (node: HTMLElement | null) => void;
}) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: task.id });
  const ref = useCallback((node: HTMLLIElement | null) => { setNodeRef(node); measure(node); }, [setNodeRef, measure]);
  const open = () => navigate({ page: "board", workspace, task: task.shortId });
  return (
    <li
      ref={ref}
      data-index={index}
      className={`card${isDragging ? " dragging" : ""}${cardState(task)}`}
      style={{ top, transform: CSS.Transform.toString(transform), transition }}
      data-task={task.shortId}
      {...attributes}
      {...listeners}
      // A list item that can be focused and dragged, not a button: its Run and Open buttons are the controls in it.
      role={undefined}
      aria-roledescription={undefined}
      aria-label={`${task.title} (${task.shortId})`}
      data-task-id={task.id}
      data-workspace={workspace}
      onClick={(e) => { if (Date.now() - droppedAt > 300 && !(e.target as HTMLElement).closest("a, button")) open(); }}
      onKeyDown={(e) => {
        if (e.key === "Enter") open();
        else listeners?.onKeyDown?.(e);
      }}
    >
      <CardBody task={task}>
        <span className="card-actions">
          <button className="open quiet" aria-label={`Open ${task.title}`} tabIndex={-1} onPointerDown={(e) => e.stopPropagation()} onClick={(e) => { e.stopPropagation(); open(); }}>Open</button>
          <button className="play" aria-label={task.blocked ? `Cannot run ${task.title}: ${task.blocked}` : `Run ${task.title}`} title={task.blocked ?? "Run"} tabIndex={-1}
            disabled={!!task.blocked} onPointerDown={(e) => e.stopPropagation()} onClick={(e) => { e.stopPropagation(); onRun(task); }}>▶</button>
        </span>
      </CardBody>
    </li>
  );
}

/** The card's state as a class: its own colour and mark for running, waiting, needing attention and failing. */
function cardState(task: TaskItem): string {
  const s = task.latestSession;
  if (!s) return "";
  if (s.active) return s.status === "waiting-for-quota" ? " waiting" : " running";
  return s.status === "failed" || s.status === "orphaned" ? " failed" : s.status === "needs-attention" ? " attention" : "";
}

function CardBody({ task, children }: { task: TaskItem; children?: ReactNode }) {
  const session = task.latestSession;
  const failed = session && !session.active && (session.status === "failed" || session.status === "orphaned");
  return (
    <div className="card-body">
      {children}
      <div className="card-title">{task.title}</div>
      {session?.active && session.status !== "waiting-for-quota" && <Activity session={session} />}
      <div className="card-meta">
        <code>{task.shortId}</code>
        {task.priority !== "none" && <span className={`priority ${task.priority}`}>{task.priority}</span>}
        {task.tags.map((t) => <span key={t} className="tag">{t}</span>)}
        {session && <span className={`session ${session.status}`} data-session-status={session.status}>{session.status.replaceAll("-", " ")}</span>}
        {quotaWait(task) && <span className="quota" data-testid="quota">{quotaWait(task)}</span>}
        {task.issueUrl && <a href={task.issueUrl} target="_blank" rel="noreferrer" className="issue" title="The GitHub issue it follows" onPointerDown={(e) => e.stopPropagation()}>#{task.issueNumber}</a>}
        {task.pullRequestUrl && <a href={task.pullRequestUrl} target="_blank" rel="noreferrer" onPointerDown={(e) => e.stopPropagation()}>PR #{task.pullRequestNumber}</a>}
        <PullRequestState task={task} />
        {task.costUsd > 0 && <span className="cost" title="What its sessions cost">{money(task.costUsd)}</span>}
      </div>
      {failed && <div className="card-reason failed" data-testid="failed">✗ {session.error ?? `the session ${session.status === "orphaned" ? "was lost" : "failed"}`}</div>}
      {task.note && <div className="card-reason note" data-testid="note" title={task.note}>{task.note}</div>}
      {task.blockers && task.blockers.length > 0
        ? (
          <div className="card-reason blocked" data-testid="blocked" title={task.blocked ?? undefined}>
            Waits for {task.blockers.map((b, i) => <span key={b.id}>{i > 0 ? ", " : ""}<code>{b.shortId}</code> ({b.status})</span>)}
            {task.autoRun && <> · starts by itself</>}
          </div>
        )
        : task.blocked && <div className="card-reason blocked" data-testid="blocked">Blocked: {task.blocked}</div>}
    </div>
  );
}

/** A running card's one line: what its agent is doing now, and for how long the session has run. */
function Activity({ session }: { session: NonNullable<TaskItem["latestSession"]> }) {
  const now = useNow(true);
  return (
    <div className="card-activity" data-testid="activity" title={session.activity ?? undefined}>
      <span className="live" aria-hidden="true" />
      <span className="what">{session.activity ?? (session.status === "running" ? "starting…" : `${session.status}…`)}</span>
      {session.since && <span className="elapsed">{elapsed(session.since, now)}</span>}
    </div>
  );
}

function findTask(board: Board | undefined, id: string): TaskItem | undefined {
  return board?.columns.flatMap((c) => c.tasks).find((t) => t.id === id);
}

const steps: Record<string, [number, number]> = {
  j: [0, 1], ArrowDown: [0, 1], k: [0, -1], ArrowUp: [0, -1], h: [-1, 0], ArrowLeft: [-1, 0], l: [1, 0], ArrowRight: [1, 0],
};

/** The card a move of the focus lands on: the next in the column, or the same place in the next column with cards. */
export function neighbour(columns: { tasks: { id: string }[] }[], current: string | undefined, [dx, dy]: [number, number]): string | undefined {
  const first = columns.find((c) => c.tasks.length > 0)?.tasks[0]?.id;
  const column = current === undefined ? -1 : columns.findIndex((c) => c.tasks.some((t) => t.id === current));
  if (column < 0) return first;
  const tasks = columns[column]!.tasks;
  const index = tasks.findIndex((t) => t.id === current);
  if (dy !== 0) return tasks[Math.min(Math.max(index + dy, 0), tasks.length - 1)]!.id;
  for (let c = column + dx; c >= 0 && c < columns.length; c += dx) {
    const other = columns[c]!.tasks;
    if (other.length > 0) return other[Math.min(index, other.length - 1)]!.id;
  }
  return current;
}

/** The board as it will be once a move lands: the card in its new column, in rank order. */
export function place(board: Board, task: TaskItem, status: string, rank: number): Board {
  return {
    ...board,
    columns: board.columns.map((c) => {
      const tasks = c.tasks.filter((t) => t.id !== task.id);
      if (c.name === status) tasks.push({ ...task, status, rank });
      return { ...c, tasks: tasks.sort((a, b) => a.rank - b.rank) };
    }),
  };
}
