// The Changes tab: what the task's branch changes against its base (kept by the runner after each session), with
// syntax-highlighted hunks, per-file collapse, and review comments that resume the agent's conversation.
import { useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Diff, Hunk, getChangeKey, parseDiff, tokenize, type ChangeData, type FileData, type HunkTokens } from "react-diff-view";
import { refractor } from "refractor";
import "react-diff-view/style/index.css";
import { api, ApiError } from "../api/client";
import { languageOf, reviewMessage, where, type ReviewComment } from "./review";
import { toast } from "../components/Toasts";

/** react-diff-view wants refractor 3's highlight (an array of nodes); refractor 5 returns a root. */
const highlighter = { highlight: (code: string, language: string) => refractor.highlight(code, language).children } as never;

/** `kept` names the session whose end last kept the changes: they are read again when a session ends, not before. */
export default function ChangesView({ workspace, taskId, kept, canResume }: { workspace: string; taskId: string; kept: string; canResume: boolean }) {
  const changes = useQuery({ queryKey: ["changes", workspace, taskId, kept], queryFn: () => api.changes(workspace, taskId), retry: false });
  const [comments, setComments] = useState<ReviewComment[]>([]);
  const client = useQueryClient();
  const resume = useMutation({
    mutationFn: () => api.resumeTask(workspace, taskId, reviewMessage(comments)),
    onSuccess: () => { toast(`Resumed with ${comments.length} comment${comments.length === 1 ? "" : "s"}`); setComments([]); client.invalidateQueries({ queryKey: ["task", workspace, taskId] }); },
  });
  const files = useMemo(() => (changes.data ? parseDiff(changes.data.diff) : []), [changes.data]);

  if (changes.error) {
    const error = changes.error as ApiError;
    return <p className={error.status === 404 ? "muted" : "error"} role={error.status === 404 ? undefined : "alert"}>{error.message}</p>;
  }
  if (!changes.data) return <p className="muted">Loading the changes…</p>;
  const c = changes.data;
  const added = c.files.reduce((sum, f) => sum + (f.added ?? 0), 0);
  const removed = c.files.reduce((sum, f) => sum + (f.removed ?? 0), 0);

  return (
    <div className="changes" data-testid="changes">
      <p className="changes-summary">
        <strong>{c.files.length + (c.moreFiles ?? 0)} file{c.files.length === 1 ? "" : "s"}</strong> <span className="added">+{added}</span> <span className="removed">−{removed}</span>
        {" "}on <code>{c.branch}</code> against <code>{c.base}</code> · {c.commits.length} commit{c.commits.length === 1 ? "" : "s"}
      </p>
      {c.truncated && <p role="note" className="attention">The diff is cut (too long to show whole): the rest is on branch <code>{c.branch}</code>.</p>}
      <ul className="changed-files" aria-label="Changed files">
        {c.files.map((f) => (
          <li key={f.path}><a href={`#change-${encodeURIComponent(f.path)}`}>{f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}</a> {f.added === undefined ? <span className="muted">binary</span> : <><span className="added">+{f.added}</span> <span className="removed">−{f.removed}</span></>}</li>
        ))}
      </ul>
      {c.commits.length > 0 && (
        <details className="commits">
          <summary>Commits</summary>
          <ul>{c.commits.map((commit) => <li key={commit.sha}><code>{commit.sha.slice(0, 10)}</code> {commit.subject}{commit.trailers.map((t) => <div key={t} className="trailer">{t}</div>)}</li>)}</ul>
        </details>
      )}
      {comments.length > 0 && (
        <div className="review-bar">
          <button onClick={() => resume.mutate()} disabled={!canResume || resume.isPending} title={canResume ? undefined : "The task has a session running; resume when it ends"}>
            Resume with {comments.length} comment{comments.length === 1 ? "" : "s"}
          </button>
          <button className="quiet" onClick={() => setComments([])}>Discard comments</button>
          {resume.error && <p role="alert" className="error">{(resume.error as ApiError).message}</p>}
        </div>
      )}
      {files.map((file) => (
        <FileDiff key={`${file.oldPath}→${file.newPath}`} file={file} comments={comments}
          onComment={(comment) => setComments((all) => [...all, comment])} onRemove={(comment) => setComments((all) => all.filter((x) => x !== comment))} />
      ))}
    </div>
  );
}

function pathOf(file: FileData): string {
  return file.type === "delete" ? file.oldPath : file.newPath;
}

function lineOf(change: ChangeData): number {
  return change.type === "normal" ? change.newLineNumber : change.lineNumber;
}

/** One file's hunks, collapsible; a click on a line number picks a line, shift+click a range, and a comment goes under it. */
function FileDiff({ file, comments, onComment, onRemove }: {
  file: FileData; comments: ReviewComment[]; onComment: (c: ReviewComment) => void; onRemove: (c: ReviewComment) => void;
}) {
  const path = pathOf(file);
  const [selected, setSelected] = useState<ChangeData[]>([]);
  const [draft, setDraft] = useState("");
  const language = languageOf(path);
  const tokens = useMemo<HunkTokens | undefined>(() => {
    if (!language || file.hunks.length === 0) return undefined;
    try {
      return tokenize(file.hunks, { highlight: true, refractor: highlighter, language });
    } catch {
      return undefined; // a language refractor does not know: plain text
    }
  }, [file.hunks, language]);
  const changes = file.hunks.flatMap((h) => h.changes);

  const pick = (change: ChangeData | null, extend: boolean) => {
    if (!change) return;
    const anchor = selected[0];
    if (extend && anchor) {
      const ends = [changes.indexOf(anchor), changes.indexOf(change)];
      setSelected(changes.slice(Math.min(...ends), Math.max(...ends) + 1));
    } else {
      setSelected([change]);
    }
  };

  const save = () => {
    const lines = selected.map(lineOf);
    const removed = selected.every((c) => c.type === "delete");
    onComment({ path, from: Math.min(...lines), to: Math.max(...lines), removed, quoted: selected.map((c) => c.content), text: draft });
    setSelected([]);
    setDraft("");
  };

  const widgets: Record<string, React.ReactNode> = {};
  const lastSelected = selected.at(-1);
  if (lastSelected) {
    widgets[getChangeKey(lastSelected)] = (
      <form className="comment-form" onSubmit={(e) => { e.preventDefault(); if (draft.trim()) save(); }}>
        <label>Comment on {where({ path, from: Math.min(...selected.map(lineOf)), to: Math.max(...selected.map(lineOf)), removed: selected.every((c) => c.type === "delete") })}
          <textarea autoFocus rows={3} value={draft} onChange={(e) => setDraft(e.target.value)} />
        </label>
        <div className="actions"><button type="submit" disabled={!draft.trim()}>Add comment</button><button type="button" className="quiet" onClick={() => setSelected([])}>Cancel</button></div>
      </form>
    );
  }
  for (const comment of comments.filter((c) => c.path === path)) {
    const last = changes.find((c) => lineOf(c) === comment.to && (c.type === "delete") === comment.removed);
    if (!last) continue;
    const key = getChangeKey(last);
    widgets[key] = (
      <>
        {widgets[key]}
        <div className="review-comment" data-testid="review-comment"><span className="muted">{where(comment)}</span> {comment.text}
          <button className="quiet" aria-label={`Remove the comment on ${where(comment)}`} onClick={() => onRemove(comment)}>Remove</button></div>
      </>
    );
  }

  return (
    <details open className="file-diff" id={`change-${encodeURIComponent(path)}`}>
      <summary><code>{file.type === "rename" ? `${file.oldPath} → ${file.newPath}` : path}</code> <span className="muted">{file.type}</span></summary>
      {file.hunks.length === 0
        ? <p className="muted">No text changes to show (binary, or only its mode or name changed).</p>
        : (
          <Diff viewType="unified" diffType={file.type} hunks={file.hunks} tokens={tokens} widgets={widgets}
            selectedChanges={selected.map(getChangeKey)} gutterEvents={{ onClick: ({ change }, e) => pick(change, e.shiftKey) }}>
            {(hunks) => hunks.map((hunk) => <Hunk key={hunk.content} hunk={hunk} />)}
          </Diff>
        )}
    </details>
  );
}
