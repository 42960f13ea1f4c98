import { useState } from "react";
import Markdown from "react-markdown";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, priorities, type Priority } from "../api/client";
import { Modal } from "./Modal";
import { toast } from "./Toasts";
import { matches, shortcuts } from "../lib/shortcuts";

export function NewTaskModal({ workspace, columns, initialTitle, onClose }: { workspace: string; columns: string[]; initialTitle: string; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [title, setTitle] = useState(initialTitle);
  const [description, setDescription] = useState("");
  const [preview, setPreview] = useState(false);
  const [tags, setTags] = useState("");
  const [priority, setPriority] = useState<Priority>("none");
  const [status, setStatus] = useState(columns.includes("To do") ? "To do" : columns[0] ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(andRun: boolean) {
    setBusy(true);
    setError(null);
    try {
      const task = await api.createTask(workspace, {
        title: title.trim(), description, priority, status,
        tags: tags.split(",").map((t) => t.trim()).filter(Boolean),
      });
      if (andRun) {
        const session = await api.runTask(workspace, task.id);
        toast(`Task ${task.shortId} created; session ${session.shortId} queued.`, "info");
      } else {
        toast(`Task ${task.shortId} created.`, "info");
      }
      await queryClient.invalidateQueries({ queryKey: ["board", workspace] });
      onClose();
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title="New task" onClose={onClose} onKeyDown={(e) => {
      if (matches(e.nativeEvent, shortcuts.create) || matches(e.nativeEvent, shortcuts.createAndRun)) { e.preventDefault(); void create(e.shiftKey); }
    }}>
      <form className="task-form" onSubmit={(e) => { e.preventDefault(); void create(false); }}>
        <label>Title<input autoFocus value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} /></label>
        <div className="tabs">
          <button type="button" className={preview ? "quiet" : ""} onClick={() => setPreview(false)}>Write</button>
          <button type="button" className={preview ? "" : "quiet"} onClick={() => setPreview(true)}>Preview</button>
        </div>
        {preview
          ? <div className="markdown preview"><Markdown>{description || "*Nothing to preview.*"}</Markdown></div>
          : <label>Description (markdown)<textarea rows={8} value={description} onChange={(e) => setDescription(e.target.value)} /></label>}
        <div className="row">
          <label>Tags<input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="bug, ui" /></label>
          <label>Priority<select value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>{priorities.map((p) => <option key={p}>{p}</option>)}</select></label>
          <label>Column<select value={status} onChange={(e) => setStatus(e.target.value)}>{columns.map((c) => <option key={c}>{c}</option>)}</select></label>
        </div>
        {error && <p role="alert" className="error">{error}</p>}
        <div className="actions">
          <button type="submit" disabled={busy || !title.trim()}>Create <kbd>Ctrl+Enter</kbd></button>
          <button type="button" disabled={busy || !title.trim()} onClick={() => void create(true)}>Create and run <kbd>Ctrl+Shift+Enter</kbd></button>
        </div>
      </form>
    </Modal>
  );
}
