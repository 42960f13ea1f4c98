import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type Agent } from "../api/client";
import { LogView } from "../log/LogView";
import { href } from "../lib/router";
import { toast } from "../components/Toasts";
import { money } from "../lib/format";
import { Time } from "../components/Time";

const when = (at?: string) => (at ? <Time at={at} /> : "-");
const schedule = (a: Agent) => (a.every ? `every ${a.every}` : `cron ${a.cron} (${a.timeZone})`);

/** Scheduled agents: schedule, next run, latest runs with state and cost, logs; enable, disable, run now. */
export function AgentsPage({ workspace, agent }: { workspace: string; agent?: string }) {
  return agent ? <AgentView workspace={workspace} name={agent} /> : <AgentList workspace={workspace} />;
}

function AgentList({ workspace }: { workspace: string }) {
  const agents = useQuery({ queryKey: ["agents", workspace], queryFn: () => api.agents(workspace), refetchInterval: 5000 });
  if (agents.error) return <p role="alert" className="error">{(agents.error as ApiError).message}</p>;
  return (
    <section>
      <div className="page-head"><h1>Agents</h1></div>
      <table className="agents">
        <thead><tr><th>Agent</th><th>Schedule</th><th>Next run</th><th>Runs</th><th>Cost</th></tr></thead>
        <tbody>
          {agents.data?.map((a) => (
            <tr key={a.name}>
              <td><a href={href({ page: "agents", workspace, agent: a.name })}>{a.name}</a>{!a.enabled && <span className="muted"> (disabled)</span>}</td>
              <td>{schedule(a)}</td>
              <td>{a.enabled ? when(a.nextRunAt) : "-"}</td>
              <td>{a.runCount}{a.skippedCount > 0 && <span className="muted"> ({a.skippedCount} skipped)</span>}</td>
              <td>{money(a.costUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {agents.data?.length === 0 && <p className="muted">No agents yet: `konduktor agents presets`, then `konduktor agents create --preset pr-reviewer`.</p>}
    </section>
  );
}

function AgentView({ workspace, name }: { workspace: string; name: string }) {
  const queryClient = useQueryClient();
  const agent = useQuery({ queryKey: ["agent", workspace, name], queryFn: () => api.agent(workspace, name), refetchInterval: 3000 });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["agent", workspace, name] });
  const toggle = useMutation({ mutationFn: (enabled: boolean) => api.setAgentEnabled(workspace, name, enabled), onSuccess: refresh, onError: (e) => toast((e as ApiError).message) });
  const run = useMutation({ mutationFn: () => api.runAgent(workspace, name), onSuccess: () => { refresh(); toast("Run queued.", "info"); }, onError: (e) => toast((e as ApiError).message) });
  if (agent.error) return <p role="alert" className="error">{(agent.error as ApiError).message}</p>;
  const a = agent.data;
  if (!a) return <p className="muted">Loading…</p>;
  return (
    <section className="agent">
      <div className="page-head">
        <h1>{a.name} <span className="muted">{a.enabled ? "enabled" : "disabled"}</span></h1>
        <div className="actions">
          <button onClick={() => run.mutate()} disabled={run.isPending}>Run now</button>
          <button className="secondary" onClick={() => toggle.mutate(!a.enabled)}>{a.enabled ? "Disable" : "Enable"}</button>
        </div>
      </div>
      <p>{schedule(a)} · next run {a.enabled ? when(a.nextRunAt) : "-"} · {a.runCount} run{a.runCount === 1 ? "" : "s"}, {a.skippedCount} skipped · cost {money(a.costUsd)}</p>
      <p className="muted">model {a.model ?? "the workspace's"} · max turns {a.maxTurns ?? "-"} · budget per run {money(a.maxBudgetUsd)}{a.preset ? ` · preset ${a.preset}` : ""}</p>
      <table className="runs">
        <thead><tr><th>At</th><th>Outcome</th><th>State</th><th>Cost</th><th>Note</th></tr></thead>
        <tbody>
          {a.runs?.map((r) => (
            <tr key={r.at}><td>{when(r.at)}</td><td>{r.outcome}</td><td>{r.status ?? "-"}</td><td>{money(r.costUsd)}</td><td className="muted">{r.reason}</td></tr>
          ))}
        </tbody>
      </table>
      {a.lastSessionId && <div className="task-logs"><h2>Latest run</h2><LogView workspace={workspace} sessionId={a.lastSessionId} /></div>}
    </section>
  );
}
