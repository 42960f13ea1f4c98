// Usage limits and spend as the board shows them.
import type { TaskItem } from "./api";

/** "14:05" today, "3 Dec 14:05" on another day, in the person's own time zone. */
export function clock(at: string, now: Date = new Date()): string {
  const when = new Date(at);
  const time = when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return when.toDateString() === now.toDateString() ? time : `${when.toLocaleDateString(undefined, { day: "numeric", month: "short" })} ${time}`;
}

/** A task whose session waits for quota: when it resumes, or that a person resumes it; undefined otherwise. */
export function quotaWait(task: Pick<TaskItem, "resumesAt" | "quotaResetsAt">, now: Date = new Date()): string | undefined {
  if (task.resumesAt) return `resumes at ${clock(task.resumesAt, now)}`;
  if (task.quotaResetsAt) return `limit resets ${clock(task.quotaResetsAt, now)}; resume by hand`;
  return undefined;
}
