// Usage limits and spend as the board shows them.
import type { AccountLimit, TaskItem } from "../api/client";

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

/** "$1.23 today of $20.00 · $14.02 in 30 days": what the board says beside its spend chart. */
export function spendSummary(usage: { days: { costUsd: number }[]; dailyBudgetUsd?: number }): string {
  const today = usage.days.at(-1)?.costUsd ?? 0;
  const total = usage.days.reduce((sum, d) => sum + d.costUsd, 0);
  const budget = usage.dailyBudgetUsd !== undefined ? ` of $${usage.dailyBudgetUsd.toFixed(2)}` : "";
  return `$${today.toFixed(2)} today${budget} · $${total.toFixed(2)} in ${usage.days.length} days`;
}

/** What the board says of an account at, or close to, its usage limit. */
export function accountNotice(limit: AccountLimit, now: Date = new Date()): string {
  const window = limit.window ? ` (${limit.window.replaceAll("_", " ")})` : "";
  return limit.status === "rejected"
    ? `Account ${limit.account} is at its usage limit${window}: no new sessions start on it until ${clock(limit.until, now)}; waiting tasks resume then.`
    : `Account ${limit.account} is close to its usage limit${window}, which resets at ${clock(limit.until, now)}.`;
}
