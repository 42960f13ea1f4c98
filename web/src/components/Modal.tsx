import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from "react";

const focusable = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

/** Tab and Shift+Tab go round the dialog's own controls, never out to the page behind it. */
function trapFocus(e: KeyboardEvent, dialog: HTMLElement | null) {
  if (e.key !== "Tab" || !dialog) return;
  const items = [...dialog.querySelectorAll<HTMLElement>(focusable)].filter((el) => el.offsetParent !== null);
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return;
  if (e.shiftKey && (document.activeElement === first || document.activeElement === dialog)) { e.preventDefault(); last.focus(); }
  else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
}

/** A dialog named by its title that takes focus, keeps it inside, closes on Escape, and gives focus back where it came from. */
export function Modal({ title, onClose, children, actions, onKeyDown, wide }: {
  title: ReactNode; onClose: () => void; children: ReactNode; actions?: ReactNode; onKeyDown?: (e: KeyboardEvent) => void; wide?: boolean;
}) {
  const dialog = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    if (!dialog.current?.contains(document.activeElement)) dialog.current?.focus();
    return () => previous?.focus?.();
  }, []);
  // Escape closes the topmost dialog even when the focus fell out of it (a button it pressed was replaced, e.g. Run → Stop).
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== "Escape" || !dialog.current || dialog.current.contains(document.activeElement)) return;
      const open = document.querySelectorAll('[role="dialog"]');
      if (open[open.length - 1] === dialog.current) onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        className={`modal${wide ? " wide" : ""}`}
        onKeyDown={(e) => { if (e.key === "Escape") { e.stopPropagation(); onClose(); } trapFocus(e, dialog.current); onKeyDown?.(e); }}
      >
        <div className="modal-head"><h2 id={titleId}>{title}</h2><div className="modal-actions">{actions}<button className="quiet" onClick={onClose} aria-label="Close">✕</button></div></div>
        {children}
      </div>
    </div>
  );
}
