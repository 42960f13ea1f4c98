import { absolute, ago } from "../lib/format";
import type { LogEntry } from "../api/client";

// A session's log as a person reads it, from the entries the server read out of Claude Code's stream-json (the one
// interpreter is core's): what the agent said, its tool calls with their results attached, the setup script's lines in
// one block, notices, and the final outcome.
export type Entry =
  | { kind: "note"; seq: number; text: string }
  | { kind: "init"; seq: number; session: string; model?: string }
  | { kind: "text"; seq: number; text: string }
  | { kind: "thinking"; seq: number; text: string }
  | { kind: "tool"; seq: number; id: string; name: string; input: string; output?: string; isError?: boolean }
  | { kind: "stderr"; seq: number; text: string }
  | { kind: "setup"; seq: number; lines: string[] }
  | { kind: "notice"; seq: number; tone: "denied" | "retry" | "git" | "info" | "limit" | "other"; text: string }
  | {
    kind: "result"; seq: number; ok: boolean; subtype: string; turns?: number; durationMs?: number; costUsd?: number; inputTokens?: number;
    outputTokens?: number; text?: string; denied: number;
  }
  | { kind: "raw"; seq: number; text: string }
  | { kind: "person"; seq: number; text: string; from: string; sentAt?: string; via: "prompt" | "resume" | "say" | "answer"; now: boolean };

/** A tool call's input, indented for reading. */
function indented(json: string | undefined): string {
  try {
    return JSON.stringify(JSON.parse(json ?? "{}"), null, 2);
  } catch {
    return json ?? "";
  }
}

const words = (text: string | undefined) => (text ?? "").replace(/_/g, " ");

/** A notice's line: what kind of event it is, in words, then what it said. */
function notice(entry: LogEntry): Extract<Entry, { kind: "notice" }> {
  const seq = entry.seq;
  if (entry.kind === "rateLimit") {
    const resets = entry.resetsAt ? `, resets ${ago(entry.resetsAt)} (${absolute(entry.resetsAt)})` : "";
    return { kind: "notice", seq, tone: "limit", text: `Usage limit ${words(entry.status ?? "unknown")}${entry.window ? ` (${words(entry.window)})` : ""}${resets}` };
  }
  switch (entry.notice) {
    case "permissionDenied": return { kind: "notice", seq, tone: "denied", text: `Permission denied: ${entry.text ?? ""}` };
    case "apiRetry": return { kind: "notice", seq, tone: "retry", text: `API retry, ${entry.text ?? ""}` };
    case "git": return { kind: "notice", seq, tone: "git", text: `git ${entry.text ?? ""}` };
    case "information": return { kind: "notice", seq, tone: "info", text: entry.text ?? "" };
    default: return { kind: "notice", seq, tone: "other", text: entry.text ?? "" };
  }
}

/**
 * A session's entries, built as its log arrives: each entry is read once however long the session, and a tool's
 * result is attached to its call (the one entry that changes after it is added).
 */
export class Transcript {
  readonly entries: Entry[] = [];
  private readonly tools = new Map<string, Extract<Entry, { kind: "tool" }>>();

  add(read: LogEntry[]): this {
    for (const entry of read) this.read(entry);
    return this;
  }

  private read(e: LogEntry) {
    const entries = this.entries;
    const seq = e.seq;
    switch (e.kind) {
      case "note": entries.push({ kind: "note", seq, text: e.text ?? "" }); return;
      case "person":
        entries.push({ kind: "person", seq, text: e.text ?? "", from: e.from ?? "a person", sentAt: e.sentAt ?? undefined, via: e.via ?? "say", now: e.now === true });
        return;
      case "stderr": entries.push({ kind: "stderr", seq, text: e.text ?? "" }); return;
      case "raw": entries.push({ kind: "raw", seq, text: e.text ?? "" }); return;
      case "setup": {
        // The worktree's setup script: its lines gather into one block, collapsed.
        const last = entries[entries.length - 1];
        if (last?.kind === "setup") last.lines.push(e.text ?? "");
        else entries.push({ kind: "setup", seq, lines: [e.text ?? ""] });
        return;
      }
      case "init": entries.push({ kind: "init", seq, session: e.conversation ?? "", model: e.model }); return;
      case "text": if (e.role === "assistant") entries.push({ kind: "text", seq, text: e.text ?? "" }); return;
      case "thinking": entries.push({ kind: "thinking", seq, text: e.text ?? "" }); return;
      case "toolUse": {
        const tool = { kind: "tool" as const, seq, id: e.toolId ?? String(seq), name: e.tool ?? "tool", input: indented(e.text) };
        this.tools.set(tool.id, tool);
        entries.push(tool);
        return;
      }
      case "toolResult": {
        const tool = this.tools.get(e.toolId ?? "");
        if (tool) { tool.output = e.text ?? ""; tool.isError = e.isError === true; }
        return;
      }
      case "result": {
        const outcome = e.outcome;
        if (!outcome) return;
        entries.push({
          kind: "result", seq, ok: outcome.succeeded, subtype: outcome.subtype, turns: outcome.numTurns, durationMs: outcome.durationMs,
          costUsd: outcome.costUsd ?? outcome.conversationCostUsd, inputTokens: outcome.inputTokens, outputTokens: outcome.outputTokens,
          text: outcome.succeeded ? outcome.result : outcome.reason, denied: outcome.permissionDenials?.length ?? 0,
        });
        return;
      }
      case "notice":
      case "rateLimit":
        entries.push(notice(e));
        return;
    }
  }
}
