import { useEffect, useMemo, useRef, useState } from "react";
import Markdown from "react-markdown";
import { useVirtualizer } from "@tanstack/react-virtual";
import { api, ApiError, type LogEvent, type SessionStatus } from "../api/client";
import { Transcript, type Entry } from "./transcript";
import { Time } from "../components/Time";
import { money } from "../lib/format";

const noticeMarks = { denied: "⚠", retry: "…", git: "●", info: "ℹ", limit: "…", other: "·" } as const;

/**
 * A session's log, read from the start and followed (long-poll) while the session runs; rendered or raw. Only the rows
 * in view are in the page (a session of 100,000 events scrolls like one of ten), and the view follows new events while
 * it is scrolled to the end, not once the person has scrolled up to read.
 */
export function LogView({ workspace, sessionId }: { workspace: string; sessionId: string }) {
  // The rendered view reads the server's entries; the raw view the events as the agent wrote them (read when shown).
  // Both grow in place; `read` counts the events read so far, and rows render again as it grows.
  const log = useRef({ events: [] as LogEvent[], transcript: new Transcript() });
  const [read, setRead] = useState(0);
  const [raw, setRaw] = useState(false);
  const [done, setDone] = useState(false);
  const [status, setStatus] = useState<SessionStatus | null>(null);
  const [problem, setProblem] = useState<{ message: string; final: boolean } | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    log.current = { events: [], transcript: new Transcript() };
    setRead(0);
    setDone(false);
    setProblem(null);
    (async () => {
      let after = 0;
      while (!abort.signal.aborted) {
        try {
          let page: { next: number; status: SessionStatus; complete: boolean };
          if (raw) {
            const events = await api.logs(workspace, sessionId, after, 20, abort.signal);
            log.current.events.push(...events.events);
            page = events;
          } else {
            const entries = await api.entries(workspace, sessionId, after, 20, abort.signal);
            log.current.transcript.add(entries.entries);
            page = entries;
          }
          setProblem(null);
          setStatus(page.status);
          if (page.next !== after) setRead(page.next);
          after = page.next;
          if (page.complete) { setDone(true); return; }
        } catch (e) {
          if (abort.signal.aborted) return;
          // A refusal (the session is gone, access ended) stops following and says why; an outage is retried.
          const error = e instanceof ApiError ? e : new ApiError(0, String(e));
          const final = error.status >= 400 && error.status < 500 && error.status !== 429;
          setProblem({ message: error.message, final });
          if (final) return;
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    })();
    return () => abort.abort();
  }, [workspace, sessionId, raw]);

  const { events, transcript } = log.current;
  const rows = raw ? events.length : transcript.entries.length;
  const scroller = useRef<HTMLDivElement>(null);
  const list = useVirtualizer({
    count: rows,
    getScrollElement: () => scroller.current,
    estimateSize: () => (raw ? 18 : 26),
    overscan: 12,
    anchorTo: "end",
    followOnAppend: true,
    scrollEndThreshold: 40,
    // Rows measured once a frame, not one by one: dragging the scroll bar across 100,000 events stays at 60 frames a second.
    useAnimationFrameWithResizeObserver: true,
  });
  // The switch between rendered and raw starts at the end, as a first read does.
  useEffect(() => { if (rows > 0) list.scrollToEnd(); }, [raw]);

  return (
    <div className="logs">
      <div className="logs-head">
        <span role="status">{done ? "Session ended" : problem?.final ? "Not following" : status === "waiting-for-quota" ? "Waiting for quota" : problem ? "Reconnecting…" : "Following…"} · <span data-testid="log-count">{read}</span> events</span>
        <label className="toggle"><input type="checkbox" checked={raw} onChange={(e) => setRaw(e.target.checked)} /> Raw</label>
      </div>
      {problem && <p role="alert" className={problem.final ? "error" : "attention"} data-testid="log-problem">{problem.final ? problem.message : `${problem.message} (trying again)`}</p>}
      <div className="log-lines" data-testid="log-lines" ref={scroller}>
        <div className="log-rows" style={{ height: list.getTotalSize() }}>
          {list.getVirtualItems().map((row) => (
            <div key={row.key} data-index={row.index} ref={list.measureElement} className="log-row" style={{ transform: `translateY(${row.start}px)` }}>
              {raw ? <RawLine event={events[row.index]!} /> : <EntryView entry={transcript.entries[row.index]!} />}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

function RawLine({ event }: { event: LogEvent }) {
  return <pre>{event.seq} {event.stream} {event.text}</pre>;
}

function EntryView({ entry }: { entry: Entry }) {
  switch (entry.kind) {
    case "note": return <div className="log-note">» {entry.text}</div>;
    case "init": return <div className="log-note">● Claude session {entry.session}{entry.model ? ` (${entry.model})` : ""}</div>;
    case "text": return <AgentText text={entry.text} />;
    case "thinking": return <details className="log-thinking"><summary>thinking</summary>{entry.text}</details>;
    case "tool": return (
      <details className={`log-tool${entry.isError ? " error" : ""}`}>
        <summary>→ {entry.name}{entry.isError ? " (failed)" : ""}</summary>
        <pre>{entry.input}</pre>
        {entry.output !== undefined && <pre className="output">{entry.output}</pre>}
      </details>
    );
    case "stderr": return <div className="log-stderr">{entry.text}</div>;
    case "setup": return (
      <details className="log-setup" data-testid="log-setup">
        <summary>setup · {entry.lines.length} line{entry.lines.length === 1 ? "" : "s"}</summary>
        <pre>{entry.lines.join("\n")}</pre>
      </details>
    );
    case "notice": return <div className={`log-notice ${entry.tone}`}>{noticeMarks[entry.tone]} {entry.text}</div>;
    case "result": return (
      <div className={`log-result ${!entry.ok ? "failed" : entry.denied > 0 ? "attention" : "ok"}`} data-testid="log-result">
        {!entry.ok ? "✗" : entry.denied > 0 ? "⚠" : "✓"} {entry.subtype}{entry.turns !== undefined ? ` · ${entry.turns} turns` : ""}
        {entry.durationMs !== undefined ? ` · ${(entry.durationMs / 1000).toFixed(1)} s` : ""}
        {entry.costUsd !== undefined ? ` · ${money(entry.costUsd)}` : ""}
        {entry.inputTokens !== undefined ? ` · ${entry.inputTokens} in / ${entry.outputTokens ?? 0} out tokens` : ""}
        {entry.denied > 0 ? ` · ${entry.denied} tool call${entry.denied === 1 ? "" : "s"} refused` : ""}
        {!entry.ok && entry.text ? <div className="log-result-reason">{entry.text}</div> : null}
      </div>
    );
    case "raw": return <pre>{entry.text}</pre>;
    case "person": return <PersonTurn entry={entry} />;
  }
}

const saidHow = { prompt: "started it", resume: "resumed it", answer: "answered", say: "said" } as const;

/** What a person said to the agent, as their turn: who, when, how; the prompt a session started with collapsed. */
function PersonTurn({ entry }: { entry: Extract<Entry, { kind: "person" }> }) {
  const head = <><strong>{entry.from}</strong> {entry.via === "say" && entry.now ? "said, interrupting" : saidHow[entry.via]}{entry.sentAt ? <> · <Time at={entry.sentAt} /></> : null}</>;
  if (entry.via === "prompt") {
    return (
      <details className="log-person prompt" data-testid="log-person">
        <summary>{head}: <span className="muted">{entry.text.split("\n")[0]}</span></summary>
        <div className="markdown"><Markdown>{entry.text}</Markdown></div>
      </details>
    );
  }
  return (
    <div className="log-person" data-testid="log-person">
      <div className="log-person-head">▶ {head}</div>
      <div className="markdown"><Markdown>{entry.text}</Markdown></div>
    </div>
  );
}

/** The agent's words as markdown, parsed once per text: the rows in view render again as the log grows. */
function AgentText({ text }: { text: string }) {
  const rendered = useMemo(() => <Markdown>{text}</Markdown>, [text]);
  return <div className="log-text markdown">{rendered}</div>;
}
