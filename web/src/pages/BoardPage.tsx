import { useCallback, useEffect, useMemo, useRef, useState } from "react";
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
import { toast } from "../components/Toasts";
import { PullRequestState } from "../components/PullRequestState";
import { accountNotice, quotaWait } from "../lib/quota";
import { UsageChart } from "../components/UsageChart";
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
  const allTags = useMemo(() => [...new Set(board.data?.columns.flatMap((c) => c.tasks.flatMap((t) => t.tags)) ?? [])].sort(), [board.data]);

  function onDragStart(e: DragStartEvent) {
    setDragging(findTask(board.data, String(e.active.id)) ?? null);
  }

  function onDragEnd(e: DragEndEvent) {
    setDragging(null);
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
            <Column key={column.name} name={column.name} tasks={column.tasks} workspace={workspace} onRun={(t) => run.mutate(t)} />
          ))}
        </div>
        <DragOverlay>{dragging ? <CardBody task={dragging} /> : null}</DragOverlay>
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
function Column({ name, tasks, workspace, onRun }: { name: string; tasks: TaskItem[]; workspace: string; onRun: (t: TaskItem) => void }) {
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
      className={`card${isDragging ? " dragging" : ""}`}
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
      onDoubleClick={open}
      onKeyDown={(e) => {
        if (e.key === "Enter") open();
        else listeners?.onKeyDown?.(e);
      }}
    >
      <CardBody task={task} />
      <button className="play" aria-label={task.blocked ? `Cannot run ${task.title}: ${task.blocked}` : `Run ${task.title}`} title={task.blocked ?? "Run"}
        disabled={!!task.blocked} onPointerDown={(e) => e.stopPropagation()} onClick={(e) => { e.stopPropagation(); onRun(task); }}>▶</button>
      <button className="open" aria-label={`Open ${task.title}`} onPointerDown={(e) => e.stopPropagation()} onClick={(e) => { e.stopPropagation(); open(); }}>Open</button>
    </li>
  );
}

function CardBody({ task }: { task: TaskItem }) {
  return (
    <div className="card-body">
      <div className="card-title">{task.title}</div>
      <div className="card-meta">
        <code>{task.shortId}</code>
        {task.priority !== "none" && <span className={`priority ${task.priority}`}>{task.priority}</span>}
        {task.tags.map((t) => <span key={t} className="tag">{t}</span>)}
        {task.latestSession && <span className={`session ${task.latestSession.status}`} data-session-status={task.latestSession.status}>{task.latestSession.status.replaceAll("-", " ")}</span>}
        {quotaWait(task) && <span className="quota" data-testid="quota">{quotaWait(task)}</span>}
        {task.pullRequestUrl && <a href={task.pullRequestUrl} target="_blank" rel="noreferrer" onPointerDown={(e) => e.stopPropagation()}>PR</a>}
        <PullRequestState task={task} />
      </div>
      {task.blocked && <div className="card-blocked" data-testid="blocked">⏸ {task.blocked}</div>}
    </div>
  );
}

function findTask(board: Board | undefined, id: string): TaskItem | undefined {
  return board?.columns.flatMap((c) => c.tasks).find((t) => t.id === id);
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
