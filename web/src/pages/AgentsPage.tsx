import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type Agent } from "../api/client";
import { LogView } from "../log/LogView";
import { href, navigate } from "../lib/router";
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
      {agents.data?.length === 0 && <p className="muted">No agents yet.</p>}
      <NewAgentForm workspace={workspace} />
    </section>
  );
}

/** A scheduled agent from a preset (its prompt and schedule filled in, to change) or from a prompt of one's own. */
function NewAgentForm({ workspace }: { workspace: string }) {
  const queryClient = useQueryClient();
  const presets = useQuery({ queryKey: ["agent-presets"], queryFn: api.agentPresets });
  const [draft, setDraft] = useState({ preset: "", name: "", prompt: "", every: "1d" });
  const choose = (name: string) => {
    const preset = presets.data?.find((p) => p.name === name);
    setDraft(preset ? { preset: name, name: preset.name, prompt: preset.prompt, every: preset.every } : { ...draft, preset: "" });
  };
  const create = useMutation({
    mutationFn: () => {
      const preset = presets.data?.find((p) => p.name === draft.preset);
      return api.createAgent(workspace, {
        name: draft.name.trim() || undefined, preset: draft.preset || undefined, every: draft.every.trim() || undefined,
        prompt: !preset || draft.prompt !== preset.prompt ? draft.prompt : undefined,
      });
    },
    onSuccess: (a) => { void queryClient.invalidateQueries({ queryKey: ["agents", workspace] }); navigate({ page: "agents", workspace, agent: a.name }); },
    onError: (e) => toast((e as ApiError).message),
  });
  return (
    <form className="new-project" aria-label="New agent" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
      <h2>New agent</h2>
      <label>Start from<select value={draft.preset} onChange={(e) => choose(e.target.value)}>
        <option value="">A prompt of my own</option>
        {presets.data?.map((p) => <option key={p.name} value={p.name}>{p.name}: {p.description}</option>)}
      </select></label>
      <div className="row">
        <label>Name<input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} placeholder="nightly-digest" /></label>
        <label>Every<input value={draft.every} onChange={(e) => setDraft({ ...draft, every: e.target.value })} placeholder="2h, 1d, 30m" /></label>
      </div>
      <label>Prompt<textarea rows={6} value={draft.prompt} onChange={(e) => setDraft({ ...draft, prompt: e.target.value })} /></label>
      <div className="actions"><button type="submit" disabled={create.isPending || (!draft.preset && (!draft.name.trim() || !draft.prompt.trim()))}>Create agent</button></div>
    </form>
  );
}

/** What a person changes of an agent: its prompt, schedule, model and limits. */
function AgentEditor({ workspace, agent, onDone }: { workspace: string; agent: Agent; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState({
    prompt: agent.prompt, every: agent.every ?? "", model: agent.model ?? "", maxTurns: agent.maxTurns?.toString() ?? "", maxBudgetUsd: agent.maxBudgetUsd?.toString() ?? "",
  });
  const save = useMutation({
    mutationFn: () => api.updateAgent(workspace, agent.name, {
      prompt: draft.prompt !== agent.prompt ? draft.prompt : undefined,
      every: draft.every !== (agent.every ?? "") && draft.every.trim() ? draft.every.trim() : undefined,
      model: draft.model !== (agent.model ?? "") ? draft.model : undefined,
      maxTurns: draft.maxTurns !== (agent.maxTurns?.toString() ?? "") && draft.maxTurns ? Number(draft.maxTurns) : undefined,
      maxBudgetUsd: draft.maxBudgetUsd !== (agent.maxBudgetUsd?.toString() ?? "") && draft.maxBudgetUsd ? Number(draft.maxBudgetUsd) : undefined,
    }),
    onSuccess: (saved) => { queryClient.setQueryData(["agent", workspace, agent.name], saved); toast("Agent saved.", "info"); onDone(); },
    onError: (e) => toast((e as ApiError).message),
  });
  return (
    <form className="task-form" aria-label="Edit agent" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <label>Prompt<textarea rows={10} value={draft.prompt} onChange={(e) => setDraft({ ...draft, prompt: e.target.value })} /></label>
      <div className="row">
        <label>Every<input value={draft.every} onChange={(e) => setDraft({ ...draft, every: e.target.value })} placeholder={agent.cron ? `cron ${agent.cron}` : "1d"} /></label>
        <label>Model<input value={draft.model} onChange={(e) => setDraft({ ...draft, model: e.target.value })} placeholder="the workspace's" /></label>
        <label>Max turns<input type="number" value={draft.maxTurns} onChange={(e) => setDraft({ ...draft, maxTurns: e.target.value })} /></label>
        <label>Budget per run (USD)<input type="number" value={draft.maxBudgetUsd} onChange={(e) => setDraft({ ...draft, maxBudgetUsd: e.target.value })} /></label>
      </div>
      <div className="actions"><button type="submit" disabled={save.isPending}>Save</button><button type="button" className="quiet" onClick={onDone}>Cancel</button></div>
    </form>
  );
}

function AgentView({ workspace, name }: { workspace: string; name: string }) {
  const queryClient = useQueryClient();
  const agent = useQuery({ queryKey: ["agent", workspace, name], queryFn: () => api.agent(workspace, name), refetchInterval: 3000 });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["agent", workspace, name] });
  const toggle = useMutation({ mutationFn: (enabled: boolean) => api.setAgentEnabled(workspace, name, enabled), onSuccess: refresh, onError: (e) => toast((e as ApiError).message) });
  const [editing, setEditing] = useState(false);
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
          <button className="quiet" onClick={() => setEditing(true)}>Edit</button>
        </div>
      </div>
      {editing && <AgentEditor workspace={workspace} agent={a} onDone={() => setEditing(false)} />}
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
