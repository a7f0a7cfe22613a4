// Reality checks: every N minutes of a session the player is reminded how long they
// have been here and how much cash they spent today. The session's clock starts when
// the tab first opened (kept in sessionStorage, so reloading does not restart it).
// Pure functions here (unit-tested); the dialog is RealityCheck.tsx.

export const SESSION_START_KEY = "alot.session-started-at";

/** When the tab's session began: the stored time, else now (stored for next time). */
export function sessionStart(storage: Pick<Storage, "getItem" | "setItem"> | null, nowMs: number): number {
  const stored = Number(storage?.getItem(SESSION_START_KEY));
  if (Number.isFinite(stored) && stored > 0 && stored <= nowMs) return stored;
  storage?.setItem(SESSION_START_KEY, String(nowMs));
  return nowMs;
}

/** The next moment a reminder is due: the first multiple of the interval since the
 * session began that is after the last reminder shown (or the session's start). */
export function nextReminderAt(startMs: number, minutes: number, lastShownMs: number | null): number {
  const interval = minutes * 60_000;
  const from = Math.max(lastShownMs ?? startMs, startMs);
  const passed = Math.floor((from - startMs) / interval);
  return startMs + (passed + 1) * interval;
}

/** How long until the next reminder from ``nowMs`` (0: it is due). */
export function msUntilReminder(startMs: number, minutes: number, lastShownMs: number | null, nowMs: number): number {
  return Math.max(0, nextReminderAt(startMs, minutes, lastShownMs) - nowMs);
}

/** "1 hour 5 minutes", "45 minutes", "less than a minute". */
export function sessionLength(startMs: number, nowMs: number): string {
  const total = Math.max(0, Math.floor((nowMs - startMs) / 60_000));
  const hours = Math.floor(total / 60);
  const mins = total % 60;
  const part = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (hours > 0) return mins > 0 ? `${part(hours, "hour")} ${part(mins, "minute")}` : part(hours, "hour");
  if (mins > 0) return part(mins, "minute");
  return "less than a minute";
}
