import { useEffect, useMemo, useRef, useState } from "react";
import Markdown from "react-markdown";
import { api, ApiError, type LogEvent, type SessionStatus } from "./api";
import { toEntries } from "./transcript";

const noticeMarks = { denied: "⚠", retry: "…", git: "●", info: "ℹ", limit: "…", other: "·" } as const;

/** A session's log, read from the start and followed (long-poll) while the session runs; rendered or raw. */
export function LogView({ workspace, sessionId }: { workspace: string; sessionId: string }) {
  const [events, setEvents] = useState<LogEvent[]>([]);
  const [raw, setRaw] = useState(false);
  const [done, setDone] = useState(false);
  const [status, setStatus] = useState<SessionStatus | null>(null);
  const [problem, setProblem] = useState<{ message: string; final: boolean } | null>(null);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setEvents([]);
    setDone(false);
    setProblem(null);
    (async () => {
      let after = 0;
      while (!abort.signal.aborted) {
        try {
          const page = await api.logs(workspace, sessionId, after, 20, abort.signal);
          setProblem(null);
          setStatus(page.status);
          if (page.events.length) setEvents((all) => [...all, ...page.events]);
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
  }, [workspace, sessionId]);

  useEffect(() => { bottom.current?.scrollIntoView({ block: "nearest" }); }, [events.length]);
  const entries = useMemo(() => toEntries(events), [events]);

  return (
    <div className="logs">
      <div className="logs-head">
        <span role="status">{done ? "Session ended" : problem?.final ? "Not following" : status === "waiting-for-quota" ? "Waiting for quota" : problem ? "Reconnecting…" : "Following…"} · {events.length} events</span>
        <label className="toggle"><input type="checkbox" checked={raw} onChange={(e) => setRaw(e.target.checked)} /> Raw</label>
      </div>
      {problem && <p role="alert" className={problem.final ? "error" : "attention"} data-testid="log-problem">{problem.final ? problem.message : `${problem.message} (trying again)`}</p>}
      <div className="log-lines" data-testid="log-lines">
        {raw
          ? <pre>{events.map((e) => `${e.seq} ${e.stream} ${e.text}`).join("\n")}</pre>
          : entries.map((entry) => {
            switch (entry.kind) {
              case "note": return <div key={entry.seq} className="log-note">» {entry.text}</div>;
              case "init": return <div key={entry.seq} className="log-note">● Claude session {entry.session}{entry.model ? ` (${entry.model})` : ""}</div>;
              case "text": return <div key={`${entry.seq}t`} className="log-text markdown"><Markdown>{entry.text}</Markdown></div>;
              case "thinking": return <details key={`${entry.seq}k`} className="log-thinking"><summary>thinking</summary>{entry.text}</details>;
              case "tool": return (
                <details key={entry.id} className={`log-tool${entry.isError ? " error" : ""}`}>
                  <summary>→ {entry.name}{entry.isError ? " (failed)" : ""}</summary>
                  <pre>{entry.input}</pre>
                  {entry.output !== undefined && <pre className="output">{entry.output}</pre>}
                </details>
              );
              case "stderr": return <div key={entry.seq} className="log-stderr">{entry.text}</div>;
              case "setup": return (
                <details key={`${entry.seq}s`} className="log-setup" data-testid="log-setup">
                  <summary>setup · {entry.lines.length} line{entry.lines.length === 1 ? "" : "s"}</summary>
                  <pre>{entry.lines.join("\n")}</pre>
                </details>
              );
              case "notice": return <div key={entry.seq} className={`log-notice ${entry.tone}`}>{noticeMarks[entry.tone]} {entry.text}</div>;
              case "result": return (
                <div key={entry.seq} className={`log-result ${!entry.ok ? "failed" : entry.denied > 0 ? "attention" : "ok"}`} data-testid="log-result">
                  {!entry.ok ? "✗" : entry.denied > 0 ? "⚠" : "✓"} {entry.subtype}{entry.turns !== undefined ? ` · ${entry.turns} turns` : ""}
                  {entry.durationMs !== undefined ? ` · ${(entry.durationMs / 1000).toFixed(1)} s` : ""}
                  {entry.costUsd !== undefined ? ` · $${entry.costUsd.toFixed(4)}` : ""}
                  {entry.inputTokens !== undefined ? ` · ${entry.inputTokens} in / ${entry.outputTokens ?? 0} out tokens` : ""}
                  {entry.denied > 0 ? ` · ${entry.denied} tool call${entry.denied === 1 ? "" : "s"} refused` : ""}
                  {!entry.ok && entry.text ? <div className="log-result-reason">{entry.text}</div> : null}
                </div>
              );
              case "raw": return <pre key={entry.seq}>{entry.text}</pre>;
            }
          })}
        <div ref={bottom} />
      </div>
    </div>
  );
}
