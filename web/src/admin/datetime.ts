// <input type="datetime-local"> holds a wall-clock time with no zone; the API wants a
// moment with its offset. These convert between the two in the browser's own time zone.

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, "0");
}

/** "2030-05-01T14:30" (or with seconds) in the browser's zone -> "2030-05-01T14:30:00+02:00".
 * Null when the text is not a valid local date and time. */
export function localInputToIso(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!match) return null;
  const [y, mo, d, h, mi, s] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part))) as [
    number, number, number, number, number, number,
  ];
  const date = new Date(y, mo - 1, d, h, mi, s);
  // new Date() rolls over impossible dates (Feb 30): refuse them instead.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d || date.getHours() !== h) {
    return null;
  }
  const offset = -date.getTimezoneOffset(); // minutes east of UTC
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

/** An ISO moment -> the datetime-local text for it in the browser's zone (to the second). */
export function isoToLocalInput(iso: string): string {
  const date = new Date(iso);
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** The browser's time zone name, to say which zone a deadline is typed in. */
export function localZoneName(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
}

const long = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A moment for people, in their zone. */
export function formatMoment(iso: string | null | undefined): string {
  return iso ? long.format(new Date(iso)) : "—";
}
