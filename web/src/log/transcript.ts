import type { LogEvent } from "../api/client";

// Claude Code's stream-json, turned into entries a person reads: what the agent said, its tool calls (with their
// results attached), errors, and the final outcome.
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
  | { kind: "raw"; seq: number; text: string };

interface Block { type?: string; text?: string; thinking?: string; id?: string; name?: string; input?: unknown; tool_use_id?: string; content?: unknown; is_error?: boolean }
interface StreamEvent {
  type?: string; subtype?: string; session_id?: string; model?: string; is_error?: boolean; num_turns?: number; duration_ms?: number;
  total_cost_usd?: number; model_usage_since_last_result?: Record<string, { costUSD?: number }>; result?: string; errors?: unknown[];
  permission_denials?: unknown[]; usage?: { input_tokens?: number; output_tokens?: number }; message?: { content?: Block[] | string };
  tool_name?: string; attempt?: number; max_retries?: number; retry_delay_ms?: number; error_status?: number; error?: string;
  kind?: string; branch?: string; content?: string; rate_limit_info?: { status?: string; rateLimitType?: string; resetsAt?: number };
}

/** This run's cost: Claude Code's total_cost_usd is the whole conversation's, so a resume would count earlier runs again. */
function runCost(event: StreamEvent): number | undefined {
  const models = event.model_usage_since_last_result;
  if (models) return Object.values(models).reduce((sum, m) => sum + (m.costUSD ?? 0), 0);
  return event.total_cost_usd;
}

/** The system events worth a line: a refused tool call, an API retry, a git change, a notice; anything else by its name. */
function notice(event: StreamEvent): Omit<Extract<Entry, { kind: "notice" }>, "seq" | "kind"> {
  if (event.type === "rate_limit_event") {
    const info = event.rate_limit_info ?? {};
    const resets = info.resetsAt ? `, resets ${new Date(info.resetsAt * 1000).toLocaleTimeString()}` : "";
    return { tone: "limit", text: `Usage limit ${(info.status ?? "unknown").replace("_", " ")}${info.rateLimitType ? ` (${info.rateLimitType.replace("_", " ")})` : ""}${resets}` };
  }
  switch (event.subtype) {
    case "permission_denied": return { tone: "denied", text: `Permission denied: ${event.tool_name ?? "a tool"}${event.message ? ` — ${String(event.message)}` : ""}` };
    case "api_retry": return { tone: "retry", text: `API retry ${event.attempt ?? "?"}/${event.max_retries ?? "?"} in ${((event.retry_delay_ms ?? 0) / 1000).toFixed(1)} s after ${event.error_status ?? ""} ${event.error ?? "an error"}` };
    case "vcs_state_changed": return { tone: "git", text: `git ${event.kind ?? "change"}${event.branch ? ` ${event.branch}` : ""}` };
    case "informational": return { tone: "info", text: event.content ?? "" };
    default: return { tone: "other", text: [event.type, event.subtype].filter(Boolean).join("/") };
  }
}

function text(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((c: { text?: string }) => c.text ?? "").join("\n");
  return content === undefined ? "" : JSON.stringify(content);
}

/**
 * A session's entries, built as its events arrive: each event is read once however long the session, and a tool's
 * result is attached to its call (the one entry that changes after it is added).
 */
export class Transcript {
  readonly entries: Entry[] = [];
  private readonly tools = new Map<string, Extract<Entry, { kind: "tool" }>>();

  add(events: LogEvent[]): this {
    for (const e of events) this.read(e);
    return this;
  }

  private read(e: LogEvent) {
    const entries = this.entries;
    if (e.stream === "konduktor") { entries.push({ kind: "note", seq: e.seq, text: e.text }); return; }
    if (e.stream === "stderr") { entries.push({ kind: "stderr", seq: e.seq, text: e.text }); return; }
    if (e.stream === "setup") {
      // The worktree's setup script: its lines gather into one block, collapsed.
      const last = entries[entries.length - 1];
      if (last?.kind === "setup") last.lines.push(e.text);
      else entries.push({ kind: "setup", seq: e.seq, lines: [e.text] });
      return;
    }
    let event: StreamEvent;
    try {
      event = JSON.parse(e.text) as StreamEvent;
    } catch {
      entries.push({ kind: "raw", seq: e.seq, text: e.text });
      return;
    }
    if (event.type === "system" && event.subtype === "init") {
      entries.push({ kind: "init", seq: e.seq, session: event.session_id ?? "", model: event.model });
    } else if (event.type === "assistant" || event.type === "user") {
      const content = event.message?.content;
      const blocks: Block[] = typeof content === "string" ? [{ type: "text", text: content }] : content ?? [];
      for (const block of blocks) {
        if (block.type === "text" && event.type === "assistant") entries.push({ kind: "text", seq: e.seq, text: block.text ?? "" });
        else if (block.type === "thinking") entries.push({ kind: "thinking", seq: e.seq, text: block.thinking ?? "" });
        else if (block.type === "tool_use") {
          const tool = { kind: "tool" as const, seq: e.seq, id: block.id ?? String(e.seq), name: block.name ?? "tool", input: JSON.stringify(block.input ?? {}, null, 2) };
          this.tools.set(tool.id, tool);
          entries.push(tool);
        } else if (block.type === "tool_result") {
          const tool = this.tools.get(block.tool_use_id ?? "");
          if (tool) { tool.output = text(block.content); tool.isError = block.is_error === true; }
        }
      }
    } else if (event.type === "result") {
      const ok = event.subtype === "success" && event.is_error !== true;
      const errors = Array.isArray(event.errors) ? event.errors.map(String).join("; ") : undefined;
      entries.push({
        kind: "result", seq: e.seq, ok, subtype: event.subtype ?? "unknown",
        turns: event.num_turns, durationMs: event.duration_ms, costUsd: runCost(event),
        inputTokens: event.usage?.input_tokens, outputTokens: event.usage?.output_tokens, text: ok ? event.result : errors || event.result,
        denied: Array.isArray(event.permission_denials) ? event.permission_denials.length : 0,
      });
    } else if (event.type !== undefined) {
      entries.push({ kind: "notice", seq: e.seq, ...notice(event) });
    }
  }
}
