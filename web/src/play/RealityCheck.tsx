// The reality check: with the setting on, a modal every N minutes of the session says
// how long the player has been here and how much cash they spent today, with "Keep
// playing" and "Take a break" (the time-out form). Mounted once, for a signed-in player.
import { useEffect, useId, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { formatCents } from "../lib/money";
import { usePlay } from "./api";
import { msUntilReminder, sessionLength, sessionStart } from "./realityCheck";

const SHOWN_KEY = "alot.reality-check-shown-at";

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function RealityCheck() {
  const play = usePlay();
  const minutes = play.data?.reality_check_minutes ?? null;
  const [start] = useState(() => sessionStart(storage(), Date.now()));
  const [lastShown, setLastShown] = useState<number | null>(() => {
    const stored = Number(storage()?.getItem(SHOWN_KEY));
    return Number.isFinite(stored) && stored > 0 ? stored : null;
  });
  const [shownAt, setShownAt] = useState<number | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const navigate = useNavigate();
  const titleId = useId();
  const { refetch } = play;

  useEffect(() => {
    if (minutes === null || shownAt !== null) return;
    const timer = window.setTimeout(() => {
      const now = Date.now();
      storage()?.setItem(SHOWN_KEY, String(now));
      setLastShown(now);
      setShownAt(now);
      void refetch(); // today's spending as it is now
    }, msUntilReminder(start, minutes, lastShown, Date.now()));
    return () => window.clearTimeout(timer);
  }, [minutes, start, lastShown, shownAt, refetch]);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (shownAt !== null && !element.open) {
      element.showModal();
      keep.current?.focus();
    } else if (shownAt === null && element.open) {
      element.close();
    }
  }, [shownAt]);

  const today = play.data?.periods.find((p) => p.period === "daily");
  return (
    <dialog
      ref={dialog}
      className="confirm-dialog reality-check"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        setShownAt(null);
      }}
    >
      <h2 id={titleId}>Time for a reality check</h2>
      {shownAt !== null && (
        <div className="stack">
          <p data-testid="reality-check-time">You have been on ALOT! for {sessionLength(start, shownAt)}.</p>
          <p data-testid="reality-check-spent">
            Cash spent today: {today ? formatCents(today.spent_cents) : "…"}
            {today?.limit_cents != null && ` of your ${formatCents(today.limit_cents)} daily limit`}.
          </p>
        </div>
      )}
      <div className="row dialog-actions">
        <button type="button" ref={keep} onClick={() => setShownAt(null)}>
          Keep playing
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setShownAt(null);
            void navigate("/me/play#time-out");
          }}
        >
          Take a break
        </button>
      </div>
    </dialog>
  );
}
