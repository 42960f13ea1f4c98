// A person's edit of a task: only the fields they changed are sent, with the version they read; when someone else
// (an agent, a webhook, another tab) changed the task meanwhile, what changed is shown and the edit can be applied again.
import type { Priority, TaskItem } from "../api/client";

export interface TaskDraft { title: string; description: string; tags: string; priority: Priority; status: string }

/** The fields of a task a person edits, as the update sends them (a subset of the API's TaskChanges). */
export type TaskEdit = Partial<{ title: string; description: string; tags: string[]; priority: Priority; status: string }>;

export const draftOf = (t: TaskItem): TaskDraft =>
  ({ title: t.title, description: t.description ?? "", tags: t.tags.join(", "), priority: t.priority, status: t.status });

const tagsOf = (text: string) => text.split(",").map((t) => t.trim()).filter(Boolean);

/** The fields the draft changes from what was read; empty when nothing changed. */
export function changedFields(read: TaskDraft, draft: TaskDraft): TaskEdit {
  const changes: TaskEdit = {};
  if (draft.title !== read.title) changes.title = draft.title;
  if (draft.description !== read.description) changes.description = draft.description;
  if (tagsOf(draft.tags).join(",") !== tagsOf(read.tags).join(",")) changes.tags = tagsOf(draft.tags);
  if (draft.priority !== read.priority) changes.priority = draft.priority;
  if (draft.status !== read.status) changes.status = draft.status;
  return changes;
}

/** What someone else changed since the person read the task, field by field, in words. */
export function changedMeanwhile(read: TaskDraft, now: TaskDraft): string[] {
  const labels: Record<keyof TaskDraft, string> = { title: "title", description: "description", tags: "tags", priority: "priority", status: "column" };
  return (Object.keys(labels) as (keyof TaskDraft)[])
    .filter((field) => (field === "tags" ? tagsOf(read.tags).join(",") !== tagsOf(now.tags).join(",") : read[field] !== now[field]))
    .map((field) => field === "description" ? "the description" : `the ${labels[field]}: now “${now[field]}” (was “${read[field]}”)`);
}
