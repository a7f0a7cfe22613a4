// The host portal's reads, shared by its screens.
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import type { components } from "../api/schema";

export type Host = components["schemas"]["HostRead"];
export type HostLot = components["schemas"]["HostLotRead"];
export type HostLotSales = components["schemas"]["HostLotSales"];

export const HOST_KEY = ["host", "me"] as const;
export const hostLotKey = (lotId: string) => ["host", "lots", lotId] as const;

/** My host profile, or null when I have not applied. */
export async function fetchMyHost(): Promise<Host | null> {
  try {
    return unwrap(await api.GET("/api/hosts/me"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export const REVIEW_WORDS: Record<string, string> = {
  draft: "Draft: submit it for review",
  pending: "Pending review",
  rejected: "Rejected: edit it and submit again",
  approved: "Approved",
};

export const HOST_STATUS_WORDS: Record<string, string> = {
  pending: "Your application is waiting for review.",
  approved: "You are an approved host: create lots and submit them for review.",
  rejected: "Your application was not approved. Edit it below to apply again.",
  suspended:
    "Your host account is suspended: your open lots do not sell (they expire and are refunded at their deadline) and you cannot create lots.",
};
