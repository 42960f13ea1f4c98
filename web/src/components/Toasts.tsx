import { useEffect, useState } from "react";

// Visible messages for things that went wrong (or right) away from where the person is looking.
type Toast = { id: number; text: string; tone: "error" | "info" };
const listeners = new Set<(t: Toast) => void>();
let next = 1;

export function toast(text: string, tone: Toast["tone"] = "error") {
  const t = { id: next++, text, tone };
  listeners.forEach((l) => l(t));
}

export function Toasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  useEffect(() => {
    const add = (t: Toast) => {
      setToasts((all) => [...all, t]);
      setTimeout(() => setToasts((all) => all.filter((x) => x.id !== t.id)), 6000);
    };
    listeners.add(add);
    return () => { listeners.delete(add); };
  }, []);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => <div key={t.id} role={t.tone === "error" ? "alert" : "status"} className={`toast ${t.tone}`}>{t.text}</div>)}
    </div>
  );
}
