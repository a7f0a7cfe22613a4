// What a live lot event changes in the TanStack Query cache: the funding fields of the
// cached lot (its page and every list that shows it) are patched in place from the
// event's snapshot; a state change (funded, drawing, drawn, expired) or a resync makes
// the lot's queries refetch, since more than the funding changed.
import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import { lotKey, type Lot, type LotPage } from "../lots/api";
import type { LiveEvent } from "./connection";

/** The lot snapshot a lot event carries (lot_snapshot on the server). */
export type LotSnapshot = {
  status?: string;
  tickets_sold?: number;
  funded_cents?: number;
  funding_target_cents?: number;
  progress_basis_points?: number;
  deadline?: string;
};

const STATE_EVENTS = new Set(["lot_funded", "draw_started", "draw_completed", "lot_expired"]);

function cents(value: number): string {
  const sign = value < 0 ? "-" : "";
  const whole = Math.floor(Math.abs(value) / 100);
  return `${sign}${whole}.${String(Math.abs(value) % 100).padStart(2, "0")}`;
}

function snapshotOf(data: Record<string, unknown>): LotSnapshot {
  const num = (name: string) => (typeof data[name] === "number" ? (data[name] as number) : undefined);
  return {
    status: typeof data.status === "string" ? data.status : undefined,
    tickets_sold: num("tickets_sold"),
    funded_cents: num("funded_cents"),
    funding_target_cents: num("funding_target_cents"),
    progress_basis_points: num("progress_basis_points"),
    deadline: typeof data.deadline === "string" ? data.deadline : undefined,
  };
}

/** `lot` with the snapshot's funding applied; `lot` itself when the snapshot is older
 * (tickets only grow while a lot sells: of two views, the one with more sold is newer). */
export function patchLot(lot: Lot, snapshot: LotSnapshot): Lot {
  const sold = snapshot.tickets_sold;
  if (sold === undefined || sold < lot.tickets_sold) return lot;
  const funded = snapshot.funded_cents ?? lot.funding.funded_cents;
  const bps = snapshot.progress_basis_points ?? lot.funding.progress_bps;
  return {
    ...lot,
    tickets_sold: sold,
    odds_per_ticket: sold > 0 ? `1 in ${sold}` : null,
    funding: {
      ...lot.funding,
      funded_cents: funded,
      funded: cents(funded),
      progress_bps: bps,
      progress_percent: cents(bps),
    },
  };
}

/** Does this event change more than the funding (so the lot must be refetched)? */
export function changesState(lot: Lot | undefined, event: LiveEvent): boolean {
  if (STATE_EVENTS.has(event.type)) return true;
  if (lot === undefined) return false;
  const { status, deadline } = snapshotOf(event.data);
  if (status !== undefined && status !== lot.status) return true;
  // An admin's extension moves the deadline (time left, the closing badge).
  return deadline !== undefined && Date.parse(deadline) !== Date.parse(lot.deadline);
}

function patchPages(data: InfiniteData<LotPage> | undefined, lotId: string, snapshot: LotSnapshot) {
  if (!data?.pages) return data;
  let changed = false;
  const pages = data.pages.map((page) => ({
    ...page,
    items: page.items.map((item) => {
      if (item.id !== lotId) return item;
      const patched = patchLot(item, snapshot);
      changed ||= patched !== item;
      return patched;
    }),
  }));
  return changed ? { ...data, pages } : data;
}

/** Apply one lot event to the cache (the lot's page and the lists showing it). */
export function applyLotEvent(client: QueryClient, event: LiveEvent): void {
  const lotId = event.lot_id;
  if (!lotId) return;
  const snapshot = snapshotOf(event.data);
  const cached = client.getQueryData<Lot>(lotKey(lotId));
  const refetch = changesState(cached, event);
  patchEverywhere(client, lotId, snapshot);
  // Who bought moved the leaderboard (one refetch at a time, however many events come).
  void client.invalidateQueries({ queryKey: ["lot", lotId, "leaderboard"] }, { cancelRefetch: false });
  if (refetch) refetchLot(client, lotId);
}

/** Apply the lot as it stood when its subscription began: the view's figures catch up
 * with what sold since they were fetched (never back: an older snapshot changes
 * nothing), and a lot whose state moved meanwhile is refetched. */
export function applyLotCurrent(client: QueryClient, lotId: string, data: Record<string, unknown>): void {
  const snapshot = snapshotOf(data);
  const cached = client.getQueryData<Lot>(lotKey(lotId));
  // A list's card has no lot page cached: its own copy tells whether the state moved.
  const shown = cached ?? listed(client, lotId);
  const moved = changesState(shown, { type: "lot_current", lot_id: lotId, seq: 0, data });
  patchEverywhere(client, lotId, snapshot);
  const sold = snapshot.tickets_sold;
  if (cached && sold !== undefined && sold > cached.tickets_sold) {
    void client.invalidateQueries({ queryKey: ["lot", lotId, "leaderboard"] }, { cancelRefetch: false });
  }
  if (moved) refetchLot(client, lotId);
}

function listed(client: QueryClient, lotId: string): Lot | undefined {
  for (const [, data] of client.getQueriesData<InfiniteData<LotPage>>({ queryKey: ["lots"] })) {
    for (const page of data?.pages ?? []) {
      const item = page.items.find((candidate) => candidate.id === lotId);
      if (item) return item;
    }
  }
  return undefined;
}

function patchEverywhere(client: QueryClient, lotId: string, snapshot: LotSnapshot): void {
  const cached = client.getQueryData<Lot>(lotKey(lotId));
  if (cached) client.setQueryData<Lot>(lotKey(lotId), patchLot(cached, snapshot));
  client.setQueriesData<InfiniteData<LotPage>>({ queryKey: ["lots"] }, (data) => patchPages(data, lotId, snapshot));
}

/** Refetch everything about the lot: after a state change, a resync or a gap.
 *
 * A fetch already on its way is cancelled and started again: it may have been sent
 * before the change (funded, then drawn a moment later), and its answer would stand. */
export function refetchLot(client: QueryClient, lotId: string): void {
  void client.invalidateQueries({ queryKey: ["lot", lotId] });
  void client.invalidateQueries({ queryKey: ["lots"] });
}
