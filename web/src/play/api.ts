// The player's responsible-play settings from the API: limits, breaks, reminders.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";

export type PlayStatus = components["schemas"]["PlayStatus"];
export type LimitsUpdate = components["schemas"]["LimitsUpdate"];
export type Period = components["schemas"]["Period"];

export const PLAY = ["play"] as const;

export function usePlay(enabled = true) {
  return useQuery({
    queryKey: PLAY,
    queryFn: async () => unwrap(await api.GET("/api/users/me/play")),
    enabled,
  });
}

function useSettingsChange<T>(send: (body: T) => Promise<PlayStatus>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: send,
    onSuccess: (status) => client.setQueryData(PLAY, status),
  });
}

export function useSetLimits() {
  return useSettingsChange(async (body: LimitsUpdate) =>
    unwrap(await api.PUT("/api/users/me/play/limits", { body })),
  );
}

export function useTimeOut() {
  return useSettingsChange(async (hours: number) =>
    unwrap(await api.POST("/api/users/me/play/time-out", { body: { hours, confirm: true } })),
  );
}

export function useSelfExclude() {
  return useSettingsChange(async (months: number) =>
    unwrap(await api.POST("/api/users/me/play/self-exclusion", { body: { months, confirm: true } })),
  );
}

export function useSetRealityCheck() {
  return useSettingsChange(async (minutes: number | null) =>
    unwrap(await api.PUT("/api/users/me/play/reality-check", { body: { minutes } })),
  );
}

export const PERIOD_WORDS: Record<Period, string> = { daily: "Daily", weekly: "Weekly", monthly: "Monthly" };

/** Dollars typed by the player -> whole cents; "" -> null (no limit); NaN when not money. */
export function centsFromInput(text: string): number | null {
  const trimmed = text.trim().replace(/^\$/, "");
  if (trimmed === "") return null;
  if (!/^\d+(\.\d{1,2})?$/.test(trimmed)) return Number.NaN;
  const [whole, part = ""] = trimmed.split(".");
  return Number(whole) * 100 + Number(part.padEnd(2, "0"));
}

/** Cents -> the input's text ("" for no limit). */
export function inputFromCents(cents: number | null | undefined): string {
  if (cents === null || cents === undefined) return "";
  return cents % 100 === 0 ? String(cents / 100) : (cents / 100).toFixed(2);
}
