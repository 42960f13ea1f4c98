import { useEffect, useRef, type KeyboardEvent, type ReactNode } from "react";

/** A dialog that takes focus, closes on Escape, and gives focus back where it came from. */
export function Modal({ title, onClose, children, actions, onKeyDown, wide }: {
  title: ReactNode; onClose: () => void; children: ReactNode; actions?: ReactNode; onKeyDown?: (e: KeyboardEvent) => void; wide?: boolean;
}) {
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    if (!dialog.current?.contains(document.activeElement)) dialog.current?.focus();
    return () => previous?.focus?.();
  }, []);
  return (
    <div className="backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-label={typeof title === "string" ? title : undefined}
        tabIndex={-1}
        className={`modal${wide ? " wide" : ""}`}
        onKeyDown={(e) => { if (e.key === "Escape") { e.stopPropagation(); onClose(); } onKeyDown?.(e); }}
      >
        <div className="modal-head"><h2>{title}</h2><div className="modal-actions">{actions}<button className="quiet" onClick={onClose} aria-label="Close">✕</button></div></div>
        {children}
      </div>
    </div>
  );
}
