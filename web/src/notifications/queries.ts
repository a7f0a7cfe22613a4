// Notifications and email preferences from the API. The bell polls the unread count
// (each minute, and when the window regains focus); marking read refreshes everything
// under the NOTIFICATIONS prefix.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import type { PreferencesUpdate } from "./format";

export const NOTIFICATIONS = ["notifications"] as const;
const UNREAD = [...NOTIFICATIONS, "unread"] as const;
const PREFERENCES = ["preferences"] as const;
const PAGE = 25;
const POLL_MS = 60_000;

export function useUnreadCount(enabled: boolean) {
  return useQuery({
    queryKey: UNREAD,
    queryFn: async () =>
      unwrap(await api.GET("/api/users/me/notifications", { params: { query: { limit: 1 } } })).unread_count,
    enabled,
    refetchInterval: POLL_MS,
    refetchOnWindowFocus: true,
  });
}

export function useNotifications() {
  return useInfiniteQuery({
    queryKey: [...NOTIFICATIONS, "list"],
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/users/me/notifications", {
          params: { query: { limit: PAGE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** Marks some notifications (`ids`), or all up to one (`up_to`), read. */
export function useMarkRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: { ids: string[] } | { up_to: string }) =>
      unwrap(await api.POST("/api/users/me/notifications/read", { body })),
    onSuccess: (marked) => {
      client.setQueryData(UNREAD, marked.unread_count);
      return client.invalidateQueries({ queryKey: NOTIFICATIONS });
    },
  });
}

export function usePreferences() {
  return useQuery({
    queryKey: PREFERENCES,
    queryFn: async () => unwrap(await api.GET("/api/users/me/preferences")),
  });
}

export function useUpdatePreferences() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: PreferencesUpdate) => unwrap(await api.PATCH("/api/users/me/preferences", { body })),
    onSuccess: (saved) => client.setQueryData(PREFERENCES, saved),
  });
}
