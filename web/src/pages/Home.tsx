import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "../api/client";
import { href, navigate } from "../lib/router";

export function Home() {
  const queryClient = useQueryClient();
  const workspaces = useQuery({ queryKey: ["workspaces"], queryFn: api.workspaces });
  const [adding, setAdding] = useState(false);
  const [repository, setRepository] = useState("");
  const create = useMutation({
    mutationFn: () => api.createWorkspace(repository.trim()),
    onSuccess: (w) => {
      void queryClient.invalidateQueries({ queryKey: ["workspaces"] });
      navigate({ page: "board", workspace: w.name });
    },
  });

  return (
    <section className="home">
      <div className="page-head">
        <h1>Workspaces</h1>
        <button onClick={() => setAdding(true)}>New workspace</button>
      </div>
      {adding && (
        <form className="inline-form" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
          <label>
            Repository (GitHub URL or org/repo)
            <input autoFocus value={repository} onChange={(e) => setRepository(e.target.value)} placeholder="https://github.com/myorg/myrepo" />
          </label>
          <button type="submit" disabled={!repository.trim() || create.isPending}>Create workspace</button>
          <button type="button" className="quiet" onClick={() => setAdding(false)}>Cancel</button>
          {create.error && <p role="alert" className="error">{(create.error as ApiError).message}</p>}
        </form>
      )}
      {workspaces.error && <p role="alert" className="error">{(workspaces.error as ApiError).message}</p>}
      <ul className="workspace-list">
        {workspaces.data?.map((w) => (
          <li key={w.id}>
            <a href={href({ page: "board", workspace: w.name })}><strong>{w.name}</strong> <span className="muted">{w.gitHubRepository ?? w.repository}</span></a>
          </li>
        ))}
        {workspaces.data?.length === 0 && <li className="muted">No workspaces yet: create one from a repository.</li>}
      </ul>
    </section>
  );
}
