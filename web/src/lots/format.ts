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

/** The lot's free-entry rule in words (`free_entry_period_days`: null is once per lot). */
export function freeEntryRule(periodDays: number | null): string {
  if (periodDays === null) return "One free entry per player in this lot";
  return periodDays === 1 ? "One free entry per player every day" : `One free entry per player every ${periodDays} days`;
}

/** Whether the player may enter for free now, in words: null when they may. */
export function freeEntryWait(standing: { available: boolean; next_at: string | null }, now: number): string | null {
  if (standing.available) return null;
  if (standing.next_at === null) return "You have used your free entry in this lot.";
  const seconds = Math.ceil((new Date(standing.next_at).getTime() - now) / 1000);
  if (seconds <= 0) return null;
  return `You have used your free entry for now: the next one opens in ${waitWords(seconds)}.`;
}

function waitWords(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.max(1, Math.ceil((seconds % 3600) / 60));
  if (days > 0) return hours > 0 ? `${plural(days, "day")} ${plural(hours, "hour")}` : plural(days, "day");
  if (hours > 0) return plural(hours, "hour");
  return plural(minutes, "minute");
}

/** How a lot's draw randomness is fixed, from what it declared when it opened
 * (`draw_beacon`, `beacon_less`): a drand chain whose round is fixed at funding, a
 * declaration without a public beacon (the operator could predict the draw, so the
 * player is told plainly), or nothing to say (not open yet, or opened before lots
 * declared their beacon). */
export type DrawRandomness =
  | { kind: "beacon"; text: string; detail: string }
  | { kind: "beacon_less"; text: string; detail: string }
  | { kind: "undeclared" };

export function drawRandomness(lot: {
  draw_beacon: { chain_name: string } | null;
  beacon_less: boolean;
}): DrawRandomness {
  if (lot.draw_beacon) {
    return {
      kind: "beacon",
      text: `Randomness: drand ${lot.draw_beacon.chain_name} round, fixed at funding`,
      detail:
        "The draw mixes in the first drand round published more than 30 seconds after the lot is funded: public randomness that nobody, the operator included, can know when the draw's inputs are frozen.",
    };
  }
  if (lot.beacon_less) {
    return {
      kind: "beacon_less",
      text: "Declared at opening without a public beacon: the operator could predict this draw",
      detail:
        "This lot's draw uses no public randomness. Its inputs and server seed are still fixed in the ledger at funding, and anyone can recompute the result, but whoever runs the platform could have known it in advance.",
    };
  }
  return { kind: "undeclared" };
}
