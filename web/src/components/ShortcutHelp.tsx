import { useEffect, useState } from "react";
import { Modal } from "./Modal";
import { label, matches, shortcuts, typing } from "../lib/shortcuts";

/** `?` anywhere but in a field: every shortcut of the board, from the one place they are declared. */
export function ShortcutHelp() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (matches(e, shortcuts.help) && !typing(e.target)) {
        e.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  if (!open) return null;
  return (
    <Modal title="Keyboard shortcuts" onClose={() => setOpen(false)}>
      <table className="shortcuts">
        <tbody>
          {Object.values(shortcuts).map((s) => <tr key={s.id}><th scope="row"><kbd>{label(s.keys)}</kbd></th><td>{s.what}</td></tr>)}
        </tbody>
      </table>
    </Modal>
  );
}
