// The tab's one live connection and the hooks views use it through. A view that
// watches a lot stays correct without it: while the lot is not live (no connection
// yet, the socket cannot connect, or the server's subscription limit is reached),
// `useLiveLot(...).live` is false and the view polls as it did before.
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type RefObject } from "react";
import { refreshSession } from "../api/client";
import { applyLotCurrent, applyLotEvent, refetchLot } from "./cache";
import { LiveClient, type LiveMessage } from "./connection";

export type { LiveEvent, LiveMessage, LiveStatus } from "./connection";

let shared: LiveClient | null = null;

function liveUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss" : "ws"}://${host}/api/ws`;
}

/** The tab's live connection (opened on first use, closed a while after the last). */
export function liveClient(): LiveClient {
  shared ??= new LiveClient({
    url: typeof window === "undefined" ? "ws://localhost/api/ws" : liveUrl(),
    createSocket: (url) => new WebSocket(url),
    refreshSession,
  });
  return shared;
}

export type LiveLot = {
  /** Subscribed: events arrive as they happen. */
  live: boolean;
  /** No live events to be had (no connection after retries, or refused): poll. */
  polling: boolean;
  /** The draw started and has not completed yet (as this tab saw it). */
  drawing: boolean;
  /** The winning ticket, once the draw completed while watching. */
  winningTicket: number | null;
};

/** Watch one lot: its cached page (and lists) follow its events. */
export function useLiveLot(lotId: string, enabled = true): LiveLot {
  const queryClient = useQueryClient();
  const client = liveClient();
  const [draw, setDraw] = useState<{ lotId: string; drawing: boolean; winningTicket: number | null }>({
    lotId,
    drawing: false,
    winningTicket: null,
  });
  useEffect(() => {
    if (!enabled || !lotId) return;
    return client.watchLot(lotId, (message: LiveMessage) => {
      if (message.kind === "resync") {
        refetchLot(queryClient, lotId);
        return;
      }
      if (message.kind === "current") {
        applyLotCurrent(queryClient, lotId, message.data);
        return;
      }
      const event = message.event;
      applyLotEvent(queryClient, event);
      if (event.type === "draw_started") setDraw({ lotId, drawing: true, winningTicket: null });
      if (event.type === "draw_completed") {
        const ticket = event.data.winning_ticket;
        setDraw({ lotId, drawing: false, winningTicket: typeof ticket === "number" ? ticket : null });
      }
    });
  }, [client, queryClient, lotId, enabled]);
  const subscribe = useCallback((listener: () => void) => client.onChange(listener), [client]);
  const live = useSyncExternalStore(subscribe, () => enabled && client.isLotLive(lotId));
  const polling = useSyncExternalStore(subscribe, () => !enabled || client.shouldPoll(lotId));
  const mine = draw.lotId === lotId ? draw : { drawing: false, winningTicket: null };
  return { live, polling, drawing: mine.drawing, winningTicket: mine.winningTicket };
}

/** Watch the lots a list shows (at most `limit`, and as many as the server allows; the
 * rest stay as fetched). */
export function useLiveLots(lotIds: readonly string[], limit = 20): void {
  const queryClient = useQueryClient();
  const client = liveClient();
  const key = lotIds.slice(0, limit).join(",");
  useEffect(() => {
    if (!key) return;
    const stops = key.split(",").map((lotId) =>
      client.watchLot(lotId, (message) => {
        if (message.kind === "resync") refetchLot(queryClient, lotId);
        else if (message.kind === "current") applyLotCurrent(queryClient, lotId, message.data);
        else applyLotEvent(queryClient, message.event);
      }),
    );
    return () => stops.forEach((stop) => stop());
  }, [client, queryClient, key]);
}

/** Of `ids`, those whose list item (`data-lot-id`, inside `list`) is on screen or near
 * it now; all of them where the browser cannot tell. A list watches only these. */
export function useOnScreen(list: RefObject<HTMLElement | null>, ids: readonly string[]): string[] {
  const [shown, setShown] = useState<ReadonlySet<string>>(() => new Set());
  const observable = typeof IntersectionObserver !== "undefined";
  const key = ids.join(",");
  useEffect(() => {
    const root = list.current;
    if (!root || !observable) return;
    const observer = new IntersectionObserver(
      (entries) =>
        setShown((current) => {
          const next = new Set(current);
          for (const entry of entries) {
            const id = (entry.target as HTMLElement).dataset.lotId;
            if (!id) continue;
            if (entry.isIntersecting) next.add(id);
            else next.delete(id);
          }
          return next;
        }),
      { rootMargin: "200px 0px" },
    );
    root.querySelectorAll<HTMLElement>("[data-lot-id]").forEach((item) => observer.observe(item));
    return () => observer.disconnect();
  }, [list, key, observable]);
  return observable ? ids.filter((id) => shown.has(id)) : [...ids];
}

/** Hear the logged-in player's own events. `userId`: who is logged in (null: nobody;
 * undefined: not known yet). A change of player reopens the connection. */
export function usePersonalEvents(userId: string | null | undefined, onMessage: (message: LiveMessage) => void) {
  const client = liveClient();
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    if (userId !== undefined) client.setUser(userId);
  }, [client, userId]);
  useEffect(() => {
    if (!userId) return;
    return client.watchPersonal((message) => handler.current(message));
  }, [client, userId]);
}

