// The player's own live events as toasts (in a polite live region: screen readers
// announce them without moving focus), each dismissible; every one also refreshes the bell's
// count and what the event changed (credits, entries).
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { useMe } from "../auth/session";
import { CREDITS_KEY, MY_ENTRIES_KEY } from "../lots/api";
import { NOTIFICATIONS } from "../notifications/queries";
import { usePersonalEvents, type LiveMessage } from "./index";
import { toastFor, type Toast } from "./toasts";
import "./live.css";

const SHOWN = 4;
const TOAST_MS = 20_000;

export function LiveToasts() {
  const me = useMe();
  const userId = me.isSuccess ? (me.data?.id ?? null) : undefined;
  const queryClient = useQueryClient();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: string) => setToasts((shown) => shown.filter((toast) => toast.id !== id)), []);

  usePersonalEvents(userId, (message: LiveMessage) => {
    void queryClient.invalidateQueries({ queryKey: NOTIFICATIONS });
    void queryClient.invalidateQueries({ queryKey: CREDITS_KEY });
    void queryClient.invalidateQueries({ queryKey: MY_ENTRIES_KEY });
    if (message.kind !== "event") return;
    const toast = toastFor(message.event);
    if (toast) setToasts((shown) => [...shown.filter((t) => t.id !== toast.id), toast].slice(-SHOWN));
  });

  useEffect(() => {
    if (toasts.length === 0) return;
    const oldest = toasts[0]!;
    const timer = window.setTimeout(() => dismiss(oldest.id), TOAST_MS);
    return () => window.clearTimeout(timer);
  }, [toasts, dismiss]);

  return (
    // Always in the page, so screen readers announce what is added to it; a polite live
    // region without the status role, which stays for the page's own status lines.
    <div className="toasts" aria-live="polite" aria-relevant="additions text" data-testid="toasts">
      {toasts.map((toast) => (
        <div key={toast.id} className="toast" data-testid="toast">
          <p>
            {toast.text}{" "}
            {toast.link && (
              <Link to={toast.link} onClick={() => dismiss(toast.id)}>
                {toast.linkText}
              </Link>
            )}
          </p>
          <button type="button" className="toast-dismiss" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
