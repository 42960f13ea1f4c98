import type { LogEvent } from "./api";

// Claude Code's stream-json, turned into entries a person reads: what the agent said, its tool calls (with their
// results attached), errors, and the final outcome.
export type Entry =
  | { kind: "note"; seq: number; text: string }
  | { kind: "init"; seq: number; session: string; model?: string }
  | { kind: "text"; seq: number; text: string }
  | { kind: "thinking"; seq: number; text: string }
  | { kind: "tool"; seq: number; id: string; name: string; input: string; output?: string; isError?: boolean }
  | { kind: "stderr"; seq: number; text: string }
  | { kind: "result"; seq: number; ok: boolean; subtype: string; turns?: number; durationMs?: number; costUsd?: number; inputTokens?: number; outputTokens?: number; text?: string }
  | { kind: "raw"; seq: number; text: string };

interface Block { type?: string; text?: string; thinking?: string; id?: string; name?: string; input?: unknown; tool_use_id?: string; content?: unknown; is_error?: boolean }
interface StreamEvent {
  type?: string; subtype?: string; session_id?: string; model?: string; is_error?: boolean; num_turns?: number; duration_ms?: number;
  total_cost_usd?: number; result?: string; usage?: { input_tokens?: number; output_tokens?: number }; message?: { content?: Block[] | string };
}

function text(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((c: { text?: string }) => c.text ?? "").join("\n");
  return content === undefined ? "" : JSON.stringify(content);
}

export function toEntries(events: LogEvent[]): Entry[] {
  const entries: Entry[] = [];
  const tools = new Map<string, Extract<Entry, { kind: "tool" }>>();
  for (const e of events) {
    if (e.stream === "konduktor") { entries.push({ kind: "note", seq: e.seq, text: e.text }); continue; }
    if (e.stream === "stderr") { entries.push({ kind: "stderr", seq: e.seq, text: e.text }); continue; }
    let event: StreamEvent;
    try {
      event = JSON.parse(e.text) as StreamEvent;
    } catch {
      entries.push({ kind: "raw", seq: e.seq, text: e.text });
      continue;
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
          tools.set(tool.id, tool);
          entries.push(tool);
        } else if (block.type === "tool_result") {
          const tool = tools.get(block.tool_use_id ?? "");
          if (tool) { tool.output = text(block.content); tool.isError = block.is_error === true; }
        }
      }
    } else if (event.type === "result") {
      entries.push({
        kind: "result", seq: e.seq, ok: event.subtype === "success" && event.is_error !== true, subtype: event.subtype ?? "unknown",
        turns: event.num_turns, durationMs: event.duration_ms, costUsd: event.total_cost_usd,
        inputTokens: event.usage?.input_tokens, outputTokens: event.usage?.output_tokens, text: event.result,
      });
    }
  }
  return entries;
}
