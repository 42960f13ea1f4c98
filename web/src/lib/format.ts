// How the board says times and money: the same words as the CLI's human output (cli/Output.cs), so a person reads one voice.
import { useSyncExternalStore } from "react";

const minute = 60_000, hour = 60 * minute, day = 24 * hour;

/** "just now", "4 min ago", "3 h ago", "yesterday", "5 days ago", then the date; "in 12 min" for a time to come. */
export function ago(at: string | Date, now: Date = new Date()): string {
  const when = typeof at === "string" ? new Date(at) : at;
  const delta = now.getTime() - when.getTime();
  const span = Math.abs(delta);
  const words = span < minute ? null
    : span < hour ? `${Math.floor(span / minute)} min`
    : span < day ? `${Math.floor(span / hour)} h`
    : span < 2 * day ? null
    : span < 30 * day ? `${Math.floor(span / day)} days`
    : undefined;
  if (words === undefined) return when.toISOString().slice(0, 10);
  if (words === null) return span < minute ? "just now" : delta > 0 ? "yesterday" : "tomorrow";
  return delta >= 0 ? `${words} ago` : `in ${words}`;
}

/** How long something has run: "42 s", "4 min 05 s", "1 h 03 min". */
export function elapsed(since: string | Date, now: Date = new Date()): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(since).getTime()) / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${pad(Math.floor(seconds / 60) % 60)} min`;
}

/** The exact moment, for a title: "2026-12-07 14:05:09 UTC". */
export function absolute(at: string | Date): string {
  return `${new Date(at).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Money as everywhere in Konduktor: cents from $1, otherwise up to four decimals (a run often costs a fraction of a cent). */
export function money(usd: number | undefined | null): string {
  if (usd === undefined || usd === null) return "-";
  if (Math.abs(usd) >= 1 || usd === 0) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(4).replace(/(\.\d\d\d*?)0+$/, "$1")}`;
}

// One clock for every relative time on the page: it ticks each second while something shows seconds, else each 30 s.
let now = new Date();
const listeners = new Set<() => void>();
let fast = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
function tick() {
  now = new Date();
  listeners.forEach((l) => l());
  timer = setTimeout(tick, fast > 0 ? 1000 : 30_000);
}

/** The current time, re-rendering the caller as it passes (each second with <code>seconds</code>). */
export function useNow(seconds = false): Date {
  return useSyncExternalStore((l) => {
    listeners.add(l);
    if (seconds) fast++;
    // A clock that has not ticked for a while (nothing showed a time) catches up at once.
    if (Date.now() - now.getTime() > 1000) queueMicrotask(() => { now = new Date(); listeners.forEach((x) => x()); });
    if (timer === undefined || seconds) { clearTimeout(timer); timer = setTimeout(tick, seconds ? 1000 : 30_000); }
    return () => {
      listeners.delete(l);
      if (seconds) fast--;
      if (listeners.size === 0) { clearTimeout(timer); timer = undefined; }
    };
  }, () => now);
}
