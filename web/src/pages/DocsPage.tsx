import { useState } from "react";
import Markdown from "react-markdown";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type Doc } from "../api/client";
import { href, navigate } from "../lib/router";
import { toast } from "../components/Toasts";
import { Time } from "../components/Time";

/** Docs: the list, a doc rendered, edited in place (the version before is kept), and its history. */
export function DocsPage({ workspace, doc }: { workspace: string; doc?: string }) {
  return doc ? <DocView workspace={workspace} slug={doc} /> : <DocList workspace={workspace} />;
}

function DocList({ workspace }: { workspace: string }) {
  const docs = useQuery({ queryKey: ["docs", workspace], queryFn: () => api.docs(workspace), refetchInterval: 5000 });
  const [title, setTitle] = useState("");
  const create = useMutation({
    mutationFn: () => api.createDoc(workspace, title.trim(), `# ${title.trim()}\n`),
    onSuccess: (d) => navigate({ page: "docs", workspace, doc: d.slug }),
    onError: (e) => toast((e as ApiError).message),
  });
  if (docs.error) return <p role="alert" className="error">{(docs.error as ApiError).message}</p>;
  return (
    <section>
      <div className="page-head">
        <h1>Docs</h1>
        <form className="actions" onSubmit={(e) => { e.preventDefault(); if (title.trim()) create.mutate(); }}>
          <input aria-label="New doc title" placeholder="New doc title" value={title} onChange={(e) => setTitle(e.target.value)} />
          <button type="submit" disabled={!title.trim() || create.isPending}>Create</button>
        </form>
      </div>
      <ul className="workspace-list">
        {docs.data?.map((d) => (
          <li key={d.id}>
            <a href={href({ page: "docs", workspace, doc: d.slug })}>
              <strong>{d.title}</strong> <span className="muted">{d.slug} · v{d.versionNumber} · <Time at={d.updatedAt} /> by {d.updatedBy}</span>
            </a>
          </li>
        ))}
        {docs.data?.length === 0 && <li className="muted">No docs yet.</li>}
      </ul>
    </section>
  );
}

function DocView({ workspace, slug }: { workspace: string; slug: string }) {
  const queryClient = useQueryClient();
  const [version, setVersion] = useState<number | undefined>();
  const [draft, setDraft] = useState<string | undefined>();
  const doc = useQuery({ queryKey: ["doc", workspace, slug, version], queryFn: () => api.doc(workspace, slug, version) });
  const history = useQuery({ queryKey: ["doc-history", workspace, slug], queryFn: () => api.docHistory(workspace, slug) });
  const save = useMutation({
    mutationFn: (current: Doc) => api.updateDoc(workspace, slug, draft ?? "", current.version),
    onSuccess: (d) => {
      queryClient.setQueryData(["doc", workspace, slug, undefined], d);
      void queryClient.invalidateQueries({ queryKey: ["doc-history", workspace, slug] });
      setDraft(undefined);
      toast(`Saved as version ${d.versionNumber}.`, "info");
    },
    onError: (e) => toast((e as ApiError).message),
  });
  if (doc.error) return <p role="alert" className="error">{(doc.error as ApiError).message}</p>;
  const d = doc.data;
  if (!d) return <p className="muted">Loading…</p>;
  const latest = version === undefined;
  return (
    <section className="doc">
      <div className="page-head">
        <h1>{d.title} <span className="muted">v{d.versionNumber}{latest ? "" : " (an earlier version)"}</span></h1>
        <div className="actions">
          {latest && draft === undefined && <button onClick={() => setDraft(d.content ?? "")}>Edit</button>}
          {!latest && <button onClick={() => setVersion(undefined)}>Back to the latest</button>}
        </div>
      </div>
      <p className="muted">{d.slug} · updated <Time at={d.updatedAt} /> by {d.updatedBy} · created by {d.createdBy}</p>
      {draft === undefined ? (
        <div className="markdown"><Markdown>{d.content ?? ""}</Markdown></div>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); save.mutate(d); }}>
          <textarea aria-label="Markdown" className="doc-editor" value={draft} onChange={(e) => setDraft(e.target.value)} rows={20} />
          <div className="actions">
            <button type="submit" disabled={save.isPending}>Save</button>
            <button type="button" className="secondary" onClick={() => setDraft(undefined)}>Cancel</button>
          </div>
        </form>
      )}
      {history.data && history.data.length > 1 && (
        <details className="history">
          <summary>History ({history.data.length} versions)</summary>
          <ol>
            {history.data.map((v) => (
              <li key={v.number}>
                <button className="link" onClick={() => setVersion(v.number === history.data[0]?.number ? undefined : v.number)}>v{v.number}</button>{" "}
                <span className="muted"><Time at={v.updatedAt} /> by {v.updatedBy} · {v.title}</span>
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}
