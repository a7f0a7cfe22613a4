// Words for the player's own records: ticket ranges, statuses, credit movements and the
// time left to choose a refund. Pure functions (unit-tested); no money arithmetic here:
// amounts come from the API as integers and are only formatted (lib/money.ts).
import type { components } from "../api/schema";

export type EntryRead = components["schemas"]["EntryRead"];
export type RevealRead = components["schemas"]["RevealRead"];
export type CreditTransactionRead = components["schemas"]["CreditTransactionRead"];
export type PurchaseRefundRead = components["schemas"]["PurchaseRefundRead"];
export type LotStatus = components["schemas"]["LotStatus"];

/** One ticket range: "#7" or "#12–#16". */
export function ticketRange(start: number, end: number): string {
  return start === end ? `#${start}` : `#${start}–#${end}`;
}

/** Ranges in ticket order, touching ones merged: [[12,14],[15,16],[40,40]] -> "#12–#16, #40". */
export function ticketRanges(ranges: { tickets_start: number; tickets_end: number }[]): string {
  const sorted = [...ranges].sort((a, b) => a.tickets_start - b.tickets_start);
  const merged: [number, number][] = [];
  for (const { tickets_start: start, tickets_end: end } of sorted) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged.map(([start, end]) => ticketRange(start, end)).join(", ");
}

/** "1 ticket", "5 tickets". */
export function ticketCount(count: number): string {
  return `${count} ${count === 1 ? "ticket" : "tickets"}`;
}

const LOT_STATUS: Record<LotStatus, string> = {
  created: "Not open yet",
  open: "Open",
  funded: "Funded: draw coming",
  drawing: "Drawing",
  settled: "Drawn",
  expired: "Expired unfunded",
  refunding: "Refunding",
  closed: "Closed",
};

/** A lot's status in a player's words. */
export function lotStatusLabel(status: string): string {
  return LOT_STATUS[status as LotStatus] ?? status;
}

/** A lot whose draw can be seen. */
export function isDrawn(status: string): boolean {
  return status === "settled";
}

const REVEAL_STATUS: Record<string, string> = {
  pending: "Waiting for the draw",
  won: "Won",
  claimed: "Won",
  shipped: "Won",
  delivered: "Won",
  disputed: "Won",
  lost: "Not this time",
  refunded: "Refunded",
};

export function revealStatusLabel(status: string): string {
  return REVEAL_STATUS[status] ?? status;
}

const CREDIT_TYPE: Record<string, string> = {
  lot_settlement: "Earned from a drawn lot",
  expired_conversion: "Refund in credits (1.5×)",
  credit_refund: "Credits spent, returned",
  entry_purchase: "Tickets bought",
  adjustment: "Adjustment by support",
};

/** Why credits moved, in a player's words. */
export function creditReason(type: string): string {
  return CREDIT_TYPE[type] ?? type;
}

/** "+675" or "−100" (a real minus sign), for an amount of credits. */
export function signedCredits(amount: number): string {
  const digits = new Intl.NumberFormat("en-US").format(Math.abs(amount));
  return amount > 0 ? `+${digits}` : amount < 0 ? `−${digits}` : "0";
}

/** Time left until `deadline`, coarse and in words: "6 days 23 hours", "5 minutes", or
 * null once it has passed. */
export function timeLeft(deadline: string | Date, now: number = Date.now()): string | null {
  const ms = new Date(deadline).getTime() - now;
  if (!(ms > 0)) return null;
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const part = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (days > 0) return hours > 0 ? `${part(days, "day")} ${part(hours, "hour")}` : part(days, "day");
  if (hours > 0) return mins > 0 ? `${part(hours, "hour")} ${part(mins, "minute")}` : part(hours, "hour");
  if (mins > 0) return part(mins, "minute");
  return "less than a minute";
}

const dateTime = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short" });

/** "Mar 1, 2026, 12:00 PM" in the player's time zone. */
export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

/** "2026-03-16 12:00 UTC": a moment as the platform's emails write it (to the minute, in
 * UTC), so a player can match the page with the email. */
export function formatUtcMinute(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`
  );
}

/** Where a purchase's refund stands, for a player (null: nothing to say). */
export type RefundState =
  | { kind: "choose"; deadline: string | null }
  | { kind: "closed" }
  | { kind: "chosen"; choice: "cash" | "credits"; done: boolean }
  | { kind: "automatic" };

/** What an entry of a refunding (or refunded) lot asks of its player. */
export function refundState(entry: EntryRead, now: number = Date.now()): RefundState | null {
  const refunding = entry.lot_status === "refunding" || entry.lot_status === "closed";
  if (!refunding && entry.purchase_status !== "refunded") return null;
  const done = entry.purchase_status === "refunded";
  if (entry.method === "credits") return done ? { kind: "automatic" } : null;
  if (entry.refund_choice === "cash" || entry.refund_choice === "credits") {
    return { kind: "chosen", choice: entry.refund_choice, done };
  }
  if (entry.lot_status !== "refunding") return null;
  const deadline = entry.refund_choice_deadline;
  if (deadline && new Date(deadline).getTime() < now) return { kind: "closed" };
  return { kind: "choose", deadline };
}

/** Entries grouped by lot, lots in the order they first appear (newest first). */
export function byLot(entries: EntryRead[]): { lotId: string; entries: [EntryRead, ...EntryRead[]] }[] {
  const groups = new Map<string, [EntryRead, ...EntryRead[]]>();
  for (const entry of entries) {
    const group = groups.get(entry.lot_id);
    if (group) group.push(entry);
    else groups.set(entry.lot_id, [entry]);
  }
  return [...groups].map(([lotId, list]) => ({ lotId, entries: list }));
}
