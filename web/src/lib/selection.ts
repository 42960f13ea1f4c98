import { useSyncExternalStore } from "react";

// The task open in its modal: what CMD+R runs when no card has the focus.
let selected: { workspace: string; taskId: string } | null = null;
const listeners = new Set<() => void>();

export function selectTask(value: { workspace: string; taskId: string } | null) {
  selected = value;
  listeners.forEach((l) => l());
}

export function selectedTask() {
  return selected;
}

export function useSelectedTask() {
  return useSyncExternalStore((l) => { listeners.add(l); return () => listeners.delete(l); }, () => selected);
}

// A request from anywhere (the command bar) to open the new-task modal, pre-filled.
type NewTaskRequest = { title: string };
const newTaskListeners = new Set<(r: NewTaskRequest) => void>();
export function requestNewTask(r: NewTaskRequest) { newTaskListeners.forEach((l) => l(r)); }
export function onNewTaskRequest(l: (r: NewTaskRequest) => void) { newTaskListeners.add(l); return () => { newTaskListeners.delete(l); }; }
