// The lots area's reads: query keys and fetchers shared by the list, the lot page and
// the buy flow (one place, so a purchase can refresh every view of the lot it changed).
import { api, unwrap } from "../api/client";
import type { components, operations } from "../api/schema";

export type Lot = components["schemas"]["LotRead"];
export type LotPage = components["schemas"]["LotPage"];
export type Purchase = components["schemas"]["PurchaseRead"];
export type Entry = components["schemas"]["EntryRead"];
export type TriviaStatus = components["schemas"]["TriviaStatusRead"];
export type Credits = components["schemas"]["CreditsRead"];
export type PaymentConfig = components["schemas"]["PaymentConfigRead"];
export type LeaderboardRow = components["schemas"]["LeaderboardRow"];
export type FreeEntry = components["schemas"]["FreeEntryRead"];
export type MyOdds = components["schemas"]["MyOddsRead"];
export type FreeEntryStanding = components["schemas"]["FreeEntryStandingRead"];
export type LotQuery = NonNullable<operations["list_lots_api_lots_get"]["parameters"]["query"]>;
export type LotSort = NonNullable<LotQuery["sort"]>;

export const lotsKey = (query: LotQuery) => ["lots", query] as const;
export const lotKey = (lotId: string) => ["lot", lotId] as const;
export const leaderboardKey = (lotId: string) => ["lot", lotId, "leaderboard"] as const;
export const triviaKey = (lotId: string) => ["lot", lotId, "trivia"] as const;
export const myLotEntriesKey = (lotId: string) => ["me", "entries", "lot", lotId] as const;
export const myOddsKey = (lotId: string) => ["me", "odds", "lot", lotId] as const;
export const MY_ENTRIES_KEY = ["me", "entries"] as const;
export const CREDITS_KEY = ["me", "credits"] as const;
export const PAYMENT_CONFIG_KEY = ["payments", "config"] as const;

export async function fetchLots(query: LotQuery, cursor: string | null): Promise<LotPage> {
  return unwrap(await api.GET("/api/lots", { params: { query: { ...query, cursor } } }));
}

export async function fetchLot(lotId: string): Promise<Lot> {
  return unwrap(await api.GET("/api/lots/{lot_id}", { params: { path: { lot_id: lotId } } }));
}

export async function fetchLeaderboard(lotId: string) {
  return unwrap(
    await api.GET("/api/lots/{lot_id}/entries", { params: { path: { lot_id: lotId }, query: { limit: 20 } } }),
  );
}

export async function fetchTrivia(lotId: string): Promise<TriviaStatus> {
  return unwrap(await api.GET("/api/lots/{lot_id}/trivia/status", { params: { path: { lot_id: lotId } } }));
}

/** The player's entries in one lot. The API lists entries across lots, newest first,
 * so this walks the pages (at most `maxPages` of 100) and keeps the lot's. */
export async function fetchMyLotEntries(lotId: string, maxPages = 10): Promise<Entry[]> {
  const mine: Entry[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page += 1) {
    const result: components["schemas"]["EntryPage"] = unwrap(
      await api.GET("/api/users/me/entries", { params: { query: { limit: 100, cursor } } }),
    );
    mine.push(...result.items.filter((entry) => entry.lot_id === lotId));
    cursor = result.next_cursor;
    if (!cursor) break;
  }
  return mine;
}

export async function fetchCredits(): Promise<Credits> {
  return unwrap(await api.GET("/api/users/me/credits"));
}

export async function fetchPaymentConfig(): Promise<PaymentConfig> {
  return unwrap(await api.GET("/api/payments/config"));
}

export async function fetchMyOdds(lotId: string): Promise<MyOdds> {
  return unwrap(await api.GET("/api/lots/{lot_id}/my-odds", { params: { path: { lot_id: lotId } } }));
}
