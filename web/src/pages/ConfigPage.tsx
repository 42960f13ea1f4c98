import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "../api/client";
import { toast } from "../components/Toasts";

export function ConfigPage({ workspace }: { workspace: string }) {
  const queryClient = useQueryClient();
  const config = useQuery({ queryKey: ["config", workspace], queryFn: () => api.config(workspace) });
  const [prompt, setPrompt] = useState("");
  const [conflicts, setConflicts] = useState(false);
  const [ci, setCi] = useState(false);
  useEffect(() => {
    if (config.data) {
      setPrompt(config.data.systemPrompt);
      setConflicts(config.data.autoFixConflicts);
      setCi(config.data.autoFixCi);
    }
  }, [config.data]);
  const save = useMutation({
    mutationFn: () => api.setConfig(workspace, { systemPrompt: prompt, autoFixConflicts: conflicts, autoFixCi: ci }),
    onSuccess: (saved) => { queryClient.setQueryData(["config", workspace], saved); toast("Configuration saved.", "info"); },
  });

  if (config.error) return <p role="alert" className="error">{(config.error as ApiError).message}</p>;
  if (!config.data) return <p className="muted">Loading…</p>;
  return (
    <form className="config" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h1>{workspace}: configuration</h1>
      <label>
        Task agent system prompt
        <textarea rows={14} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
      </label>
      <label className="toggle"><input type="checkbox" checked={conflicts} onChange={(e) => setConflicts(e.target.checked)} /> Auto-fix merge conflicts</label>
      <label className="toggle"><input type="checkbox" checked={ci} onChange={(e) => setCi(e.target.checked)} /> Auto-fix CI failures</label>
      <p className="muted">Agents run with permission mode <code>{config.data.permissionMode}</code>{config.data.model ? <> and model <code>{config.data.model}</code></> : null}.</p>
      <button type="submit" disabled={save.isPending}>Save</button>
      {save.error && <p role="alert" className="error">{(save.error as ApiError).message}</p>}
    </form>
  );
}
