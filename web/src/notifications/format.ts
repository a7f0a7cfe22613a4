// Words for notifications: the bell's count, where each one leads. Pure functions
// (unit-tested); the title and body themselves are written by the platform.
import type { components } from "../api/schema";

export type NotificationRead = components["schemas"]["NotificationRead"];
export type NotificationKind = components["schemas"]["NotificationKind"];
export type Preferences = components["schemas"]["PreferencesRead"];
export type PreferencesUpdate = components["schemas"]["PreferencesUpdate"];

/** The badge on the bell: nothing at 0, "9+" above nine. */
export function badgeText(unread: number): string | null {
  if (!(unread > 0)) return null;
  return unread > 9 ? "9+" : String(unread);
}

/** The bell's accessible name: "Notifications, 3 unread". */
export function bellLabel(unread: number): string {
  if (!(unread > 0)) return "Notifications";
  return `Notifications, ${unread} unread`;
}

const LINK_TEXT: Record<NotificationKind, string> = {
  won: "See the draw",
  credits_awarded: "See the draw",
  refund_available: "Choose your refund",
  refund_done: "See the refund",
  lot_closing: "See the lot",
  prize: "See the prize",
};

/** What the notification's link says (its page: the draw, the refund, the lot). */
export function linkText(notification: Pick<NotificationRead, "kind" | "data">): string {
  const ids = notification.data?.purchase_ids;
  if (notification.kind === "refund_available" && Array.isArray(ids) && ids.length > 1) {
    return "Choose your refunds in My entries";
  }
  return LINK_TEXT[notification.kind] ?? "Open";
}

/** Only a path of this client is followed (the API writes them; never another site). */
export function safeLink(link: string): string {
  return link.startsWith("/") && !link.startsWith("//") ? link : "/me/notifications";
}

/** The preferences that differ from `saved`: the body of a PATCH (empty: nothing to save). */
export function changedPreferences(saved: Preferences, wanted: PreferencesUpdate): PreferencesUpdate {
  const changes: PreferencesUpdate = {};
  for (const name of ["reminder_emails", "credits_emails", "marketing_emails"] as const) {
    const value = wanted[name];
    if (typeof value === "boolean" && value !== saved[name]) changes[name] = value;
  }
  return changes;
}
