// Scaling for the analytics dashboard's SVG charts (no chart library): a "nice" axis
// maximum and its ticks, value -> pixel, and bar slots. Pure functions, unit-tested.

/** The smallest 1, 2, 2.5 or 5 times a power of ten that is >= `max` (1 for max <= 0):
 * 7 -> 10, 23 -> 25, 101 -> 200, 0 -> 1. Integers stay integers for integer data. */
export function niceMax(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = step * power;
    if (candidate >= max - power * 1e-9) return candidate;
  }
  return 10 * power;
}

/** How many steps between 0 and a `niceMax` top: the most (5 down to 1) whose step is a
 * whole number, so integer data (counts, cents) get integer ticks: 1 -> 1, 2 -> 2,
 * 5 -> 5, 10 -> 5, 20 -> 5, 25 -> 5. A top below 1 gets 5. */
export function tickCount(top: number): number {
  if (top < 1) return 5;
  for (const n of [5, 4, 3, 2]) {
    if (Number.isInteger(top / n)) return n;
  }
  return 1;
}

/** `count` + 1 evenly spaced ticks from 0 to `top` (inclusive). */
export function ticks(top: number, count = 4): number[] {
  const n = Math.max(1, Math.floor(count));
  return Array.from({ length: n + 1 }, (_, i) => (top * i) / n);
}

/** A value's distance in pixels from the axis: 0 -> 0, `top` -> `length`; clamped. */
export function scale(value: number, top: number, length: number): number {
  if (top <= 0) return 0;
  return Math.min(length, Math.max(0, (value / top) * length));
}

export type Slot = { x: number; width: number };

/** `n` equal bar slots across `width`, with `gap` (a fraction of a slot, 0-0.9) between. */
export function slots(n: number, width: number, gap = 0.2): Slot[] {
  if (n <= 0) return [];
  const slot = width / n;
  const padding = slot * Math.min(0.9, Math.max(0, gap));
  return Array.from({ length: n }, (_, i) => ({ x: i * slot + padding / 2, width: slot - padding }));
}

/** Seconds as "2 d 3 h", "1 h 05 min", "4 min 10 s" or "12 s"; "—" for null. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3_600);
  const minutes = Math.floor((s % 3_600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, "0")} min`;
  if (minutes > 0) return `${minutes} min ${s % 60} s`;
  return `${s} s`;
}

/** An ISO day plus `days` (UTC): "2026-02-28", 1 -> "2026-03-01". */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
