// The player's own records from the API, cached under one "me" prefix so a refund
// choice can refresh all of them at once. Paged lists follow the API's cursor.
import { useInfiniteQuery, useQuery, type QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";

export const ME_RECORDS = ["me-records"] as const;
const PAGE = 25;

export function useEntries() {
  return useInfiniteQuery({
    queryKey: [...ME_RECORDS, "entries"],
    queryFn: async ({ pageParam }) =>
      unwrap(await api.GET("/api/users/me/entries", { params: { query: { limit: PAGE, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useReveals() {
  return useInfiniteQuery({
    queryKey: [...ME_RECORDS, "reveals"],
    queryFn: async ({ pageParam }) =>
      unwrap(await api.GET("/api/users/me/reveals", { params: { query: { limit: PAGE, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useCredits() {
  return useQuery({
    queryKey: [...ME_RECORDS, "credits"],
    queryFn: async () => unwrap(await api.GET("/api/users/me/credits")),
  });
}

export function useCreditTransactions() {
  return useInfiniteQuery({
    queryKey: [...ME_RECORDS, "credit-transactions"],
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/users/me/credits/transactions", {
          params: { query: { limit: PAGE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function refundKey(purchaseId: string) {
  return [...ME_RECORDS, "refund", purchaseId] as const;
}

/** While a cash refund waits for the payment provider, how often to ask again. */
export const REFUND_POLL_MS = 2_000;

export function useRefund(purchaseId: string) {
  return useQuery({
    queryKey: refundKey(purchaseId),
    queryFn: async () =>
      unwrap(await api.GET("/api/purchases/{purchase_id}/refund", { params: { path: { purchase_id: purchaseId } } })),
    // A cash refund is recorded at once and sent to the provider right after: the page
    // follows it until the provider has answered.
    refetchInterval: (query) => {
      const status = query.state.data?.refund_status;
      return status === "requested" || status === "pending" ? REFUND_POLL_MS : false;
    },
  });
}

/** After money moved: every record of the player is stale (entries, results, credits). */
export function refreshRecords(client: QueryClient) {
  return client.invalidateQueries({ queryKey: ME_RECORDS });
}
