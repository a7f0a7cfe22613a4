import { useEffect, useId, useRef, type ReactNode } from "react";
import { AdminProblem } from "./parts";

type Props = {
  open: boolean;
  title: string;
  /** Exactly what will happen, in words. */
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onCancel: () => void;
};

/** A modal confirmation (<dialog> with showModal): focus moves to Cancel when it opens,
 * Escape or Cancel closes it and changes nothing, the confirm button is disabled while
 * the request is in flight and the API's error is shown inside the dialog. */
export function ConfirmDialog({ open, title, children, confirmLabel, danger, busy, error, onConfirm, onCancel }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      element.showModal();
      cancel.current?.focus();
    } else if (!open && element.open) {
      element.close();
    }
  }, [open]);

  return (
    <dialog
      ref={dialog}
      className="confirm-dialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        // Escape: the parent closes it (or keeps it while a request is in flight).
        event.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div id={bodyId} className="stack">
        {children}
      </div>
      <AdminProblem error={error} />
      {busy && (
        <p role="status" className="muted">
          Working…
        </p>
      )}
      <div className="row dialog-actions">
        <button type="button" ref={cancel} className="secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="button" className={danger ? "danger" : undefined} onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
