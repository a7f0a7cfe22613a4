// Pure helpers for the lots screens (unit-tested in tests/unit/lots-format.test.ts).
// Money stays integer cents; only ticket counts are divided here.

/** 93784 -> "1 d 2 h left"; under an hour "12 min 5 s left"; 0 -> "Closed". */
export function timeLeft(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s === 0) return "Closed";
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h left`;
  if (hours > 0) return `${hours} h ${minutes} min left`;
  return `${minutes} min ${s % 60} s left`;
}

/** A countdown for the trivia cooldown: "1:02:03" or "4:05". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** How long ago, for "updated 12 s ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  return `${Math.floor(m / 60)} h ago`;
}

/** Tickets still needed to reach the target if every one were bought at the lowest
 * per-ticket price: an estimate ("about"), since bundles price tickets differently.
 * null when the lot is funded or there is no price. */
export function ticketsToFund(lot: {
  funding: { target_cents: number; funded_cents: number };
  price_per_ticket_cents: number;
}): number | null {
  const left = lot.funding.target_cents - lot.funding.funded_cents;
  if (left <= 0 || lot.price_per_ticket_cents <= 0) return null;
  return Math.ceil(left / lot.price_per_ticket_cents);
}

/** A player's share of the tickets sold, in basis points, rounded down. */
export function shareBps(mine: number, sold: number): number {
  if (sold <= 0 || mine <= 0) return 0;
  return Math.floor((mine * 10000) / sold);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** "#12" or "#12–#14". */
export function ticketRange(start: number, end: number): string {
  return start === end ? `#${start}` : `#${start}–#${end}`;
}
