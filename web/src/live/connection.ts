// One WebSocket per tab to the platform's live endpoint (GET /api/ws, same origin: the
// session cookie authenticates it), shared by every view that watches a lot or the
// player's own events. It outlives any one connection: a lost connection is reopened
// after an exponential backoff with jitter (0.5 s doubling to 30 s), every watched lot
// is resubscribed with the last seq seen (the server sends what was missed first), and
// the player's stream resumes the same way. A hole in the seqs, or the server's
// `resync`, is passed on as a resync: the watcher refetches over HTTP. On a 4401 close
// (expired access token) the session is refreshed before reconnecting.
//
// Nothing here touches the DOM or React: the socket and the timers come in, so the
// unit tests drive it with a fake WebSocket (the browser's API at the network boundary).
// See docs/web.md#live-updates for the protocol.

export type LiveEvent = {
  type: string;
  lot_id: string | null;
  seq: number;
  at?: string;
  data: Record<string, unknown>;
  personal?: boolean;
};

/** What a watcher hears: an event in seq order, "refetch: you may have missed some", or
 * the lot as it stood when the server answered a subscription ("current": the same fields
 * as a lot event's data; what the view fetched before subscribing may be older). */
export type LiveMessage =
  | { kind: "event"; event: LiveEvent }
  | { kind: "resync"; lotId: string | null; reason: "expired" | "gap" | "reset" }
  | { kind: "current"; lotId: string; data: Record<string, unknown> };

export type LiveStatus = "idle" | "connecting" | "live" | "offline";

/** The part of the browser's WebSocket this module uses. */
export type SocketLike = Pick<WebSocket, "readyState" | "onmessage" | "onclose" | "onerror" | "send" | "close">;

export type LiveOptions = {
  url: string;
  createSocket: (url: string) => SocketLike;
  /** Renew the session after a 4401 (true: it worked). */
  refreshSession: () => Promise<boolean>;
  random?: () => number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Failed connections in a row after which watchers fall back to polling. */
  fallbackAfter?: number;
  /** How long an unused connection stays open (navigating between lots reuses it). */
  lingerMs?: number;
};

const OPEN = 1;
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_ORIGIN_REFUSED = 4403;
export const CLOSE_TOO_MANY = 4029;

type Listener = (message: LiveMessage) => void;
type LotWatch = {
  listeners: Set<Listener>;
  lastSeq: number | undefined;
  state: "pending" | "sent" | "subscribed" | "refused";
  /** The seq a `subscribed` went back to: the server's resync for it is the same news. */
  resetTo?: number | undefined;
};

/** Milliseconds before reconnect number `attempt + 1`: doubling, capped, less up to half at random. */
export function backoffDelay(attempt: number, random: () => number, initialMs = 500, maxMs = 30_000): number {
  const backoff = Math.min(initialMs * 2 ** attempt, maxMs);
  return backoff * (1 - 0.5 * random());
}

export class LiveClient {
  private readonly options: Required<LiveOptions>;
  private socket: SocketLike | null = null;
  private readonly lots = new Map<string, LotWatch>();
  private readonly personal = { listeners: new Set<Listener>(), lastSeq: undefined as number | undefined };
  private readonly statusListeners = new Set<() => void>();
  private failures = 0;
  private welcomed = false;
  private maxSubscriptions = Number.POSITIVE_INFINITY;
  private userId: string | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshing = false;
  private welcomedBefore = false;
  private expectedUser: string | null | undefined = undefined;
  private checkUser = false;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  status: LiveStatus = "idle";

  constructor(options: LiveOptions) {
    this.options = {
      random: Math.random,
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      fallbackAfter: 3,
      lingerMs: 5_000,
      ...options,
    };
  }

  /** Hear `lotId`'s events; the returned function stops (the last one unsubscribes). */
  watchLot(lotId: string, listener: Listener): () => void {
    let watch = this.lots.get(lotId);
    if (!watch) {
      watch = { listeners: new Set(), lastSeq: undefined, state: "pending" };
      this.lots.set(lotId, watch);
      this.subscribe(lotId, watch);
    }
    watch.listeners.add(listener);
    this.ensureOpen();
    return () => {
      const current = this.lots.get(lotId);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size > 0) return;
      this.lots.delete(lotId);
      if (this.welcomed && (current.state === "sent" || current.state === "subscribed")) {
        this.send({ type: "unsubscribe", lot_id: lotId });
      }
      this.notify();
      this.releaseIfUnused();
    };
  }

  /** Hear the logged-in player's own events (purchase confirmed, won, ...). */
  watchPersonal(listener: Listener): () => void {
    this.personal.listeners.add(listener);
    this.ensureOpen();
    return () => {
      this.personal.listeners.delete(listener);
      this.releaseIfUnused();
    };
  }

  /** Is `lotId` receiving live events now? (false: its watcher should poll instead) */
  isLotLive(lotId: string): boolean {
    return this.status === "live" && this.lots.get(lotId)?.state === "subscribed";
  }

  /** Should `lotId`'s watcher poll instead? (the socket cannot connect, or the server
   * refused the lot: over its subscription limit). Not while a dropped connection is
   * being reopened: the resume brings what was missed. */
  shouldPoll(lotId: string): boolean {
    return this.status === "offline" || this.lots.get(lotId)?.state === "refused";
  }

  onChange(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Who the page says is logged in (null: nobody). A connection that the server
   * welcomed as someone else is reopened, so the new session's cookie is the one it
   * carries: a player who logs in gets their own events, one who logs out no longer. */
  setUser(userId: string | null): void {
    if (this.expectedUser === userId) return;
    this.expectedUser = userId;
    this.personal.lastSeq = undefined;
    this.welcomedBefore = false;
    if (this.welcomed) {
      if (this.userId !== userId) this.drop();
      return;
    }
    this.checkUser = this.socket !== null; // opened before the change: check its welcome
  }

  /** Close the current connection as if the network dropped it (it reconnects). */
  private drop(): void {
    const socket = this.socket;
    if (!socket) return;
    this.detach();
    socket.close(1000, "reconnecting");
    this.lost(1006);
  }

  // -- the connection ---------------------------------------------------------------

  private ensureOpen(): void {
    if (this.lingerTimer !== null) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (this.socket || this.retryTimer !== null || this.refreshing) return;
    this.connect();
  }

  private connect(): void {
    this.retryTimer = null;
    this.welcomed = false;
    this.setStatus(this.failures >= this.options.fallbackAfter ? "offline" : "connecting");
    let socket: SocketLike;
    try {
      socket = this.options.createSocket(this.options.url);
    } catch {
      this.lost(1006);
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (typeof event.data === "string") this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.detach();
      this.lost(event.code);
    };
    socket.onerror = () => {
      // A close event follows; it decides what to do.
    };
  }

  private detach(): void {
    const socket = this.socket;
    if (socket) socket.onmessage = socket.onclose = socket.onerror = null;
    this.socket = null;
    this.welcomed = false;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    for (const watch of this.lots.values()) watch.state = "pending";
  }

  private lost(code: number): void {
    if (!this.inUse()) {
      this.setStatus("idle");
      return;
    }
    // Refused for who or where we are (another origin, too many connections from this
    // address): asking again soon cannot help, so the wait starts at 8 s.
    if (code === CLOSE_ORIGIN_REFUSED || code === CLOSE_TOO_MANY) this.failures = Math.max(this.failures, 4);
    const delay = backoffDelay(this.failures, this.options.random, this.options.initialDelayMs, this.options.maxDelayMs);
    this.failures += 1;
    this.setStatus(this.failures >= this.options.fallbackAfter ? "offline" : "connecting");
    const retry = () => {
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
    if (code === CLOSE_UNAUTHENTICATED) {
      // Reconnect either way: with a renewed session, or anonymously for public lots.
      this.refreshing = true;
      void this.options
        .refreshSession()
        .catch(() => false)
        .then(() => {
          this.refreshing = false;
          if (this.inUse()) retry();
        });
      return;
    }
    retry();
  }

  private inUse(): boolean {
    return this.lots.size > 0 || this.personal.listeners.size > 0;
  }

  private releaseIfUnused(): void {
    if (this.inUse() || this.lingerTimer !== null) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      if (this.inUse()) return;
      if (this.retryTimer !== null) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      const socket = this.socket;
      this.detach();
      socket?.close(1000, "done");
      this.failures = 0;
      this.setStatus("idle");
    }, this.options.lingerMs);
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private subscribe(lotId: string, watch: LotWatch): void {
    if (!this.welcomed) return; // sent once the server says welcome
    const active = [...this.lots.values()].filter((w) => w.state === "sent" || w.state === "subscribed").length;
    if (active >= this.maxSubscriptions) {
      watch.state = "refused"; // beyond the server's limit: that view polls
      return;
    }
    const message: Record<string, unknown> = { type: "subscribe", lot_id: lotId };
    if (watch.lastSeq !== undefined) message.after_seq = watch.lastSeq;
    watch.state = "sent";
    this.send(message);
  }

  // -- what the server says ---------------------------------------------------------

  private receive(raw: string): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== "object" || parsed === null) return;
      message = parsed as Record<string, unknown>;
    } catch {
      return;
    }
    switch (message.type) {
      case "welcome":
        return this.welcome(message);
      case "subscribed":
        return this.subscribed(message);
      case "error":
        return this.refused(message);
      case "resync":
        return this.resync(message);
      case "pong":
      case "heartbeat":
      case "unsubscribed":
        return;
      default:
        if (typeof message.seq === "number" && typeof message.type === "string") this.event(message as LiveEvent);
    }
  }

  private welcome(message: Record<string, unknown>): void {
    this.welcomed = true;
    this.failures = 0;
    this.userId = typeof message.user_id === "string" ? message.user_id : null;
    if (this.checkUser) {
      this.checkUser = false;
      if (this.expectedUser !== undefined && this.userId !== this.expectedUser) {
        this.drop(); // welcomed as whoever was logged in when it opened
        return;
      }
    }
    if (typeof message.max_subscriptions === "number") this.maxSubscriptions = message.max_subscriptions;
    const heartbeat = typeof message.heartbeat_seconds === "number" ? message.heartbeat_seconds : 0;
    if (heartbeat > 0) this.pingTimer = setInterval(() => this.send({ type: "ping" }), heartbeat * 1000);
    this.setStatus("live");
    for (const [lotId, watch] of this.lots) this.subscribe(lotId, watch);
    if (this.userId !== null && this.personal.lastSeq !== undefined) {
      this.send({ type: "resume_personal", after_seq: this.personal.lastSeq });
    } else if (this.userId !== null && this.welcomedBefore) {
      // Reconnected with no seq of the player's own to resume from: what happened
      // meanwhile is unknown, so their views refetch.
      this.tell(this.personal.listeners, { kind: "resync", lotId: null, reason: "reset" });
    }
    this.welcomedBefore = true;
  }

  private subscribed(message: Record<string, unknown>): void {
    const watch = typeof message.lot_id === "string" ? this.lots.get(message.lot_id) : undefined;
    if (!watch || typeof message.seq !== "number") return;
    watch.state = "subscribed";
    if (watch.lastSeq === undefined) {
      watch.lastSeq = message.seq;
    } else if (message.seq < watch.lastSeq) {
      // The server's numbering went back (it restarted without its streams).
      watch.lastSeq = watch.resetTo = message.seq;
      this.tell(watch.listeners, { kind: "resync", lotId: message.lot_id as string, reason: "reset" });
    }
    // A view fetches its lot before it subscribes: whatever sold in between comes here,
    // not as an event (the subscription's seq already counts it).
    const data = message.data;
    if (typeof data === "object" && data !== null && !Array.isArray(data)) {
      this.tell(watch.listeners, { kind: "current", lotId: message.lot_id as string, data: data as Record<string, unknown> });
    }
    this.notify();
  }

  private refused(message: Record<string, unknown>): void {
    const watch = typeof message.lot_id === "string" ? this.lots.get(message.lot_id) : undefined;
    if (!watch) return;
    watch.state = "refused"; // not found, or over the limit: its watcher polls
    this.notify();
  }

  private resync(message: Record<string, unknown>): void {
    if (typeof message.seq !== "number") return;
    if (message.personal === true) {
      this.personal.lastSeq = message.seq;
      this.tell(this.personal.listeners, { kind: "resync", lotId: null, reason: "expired" });
      return;
    }
    const lotId = typeof message.lot_id === "string" ? message.lot_id : null;
    const watch = lotId ? this.lots.get(lotId) : undefined;
    if (!watch) return;
    const resetTo = watch.resetTo;
    watch.resetTo = undefined;
    if (resetTo === message.seq && watch.lastSeq === message.seq) return; // told already
    watch.lastSeq = message.seq;
    this.tell(watch.listeners, { kind: "resync", lotId, reason: "expired" });
  }

  private event(event: LiveEvent): void {
    const stream = event.personal ? this.personal : event.lot_id ? this.lots.get(event.lot_id) : undefined;
    if (!stream) return;
    const last = stream.lastSeq;
    if (last !== undefined && event.seq <= last) return; // a replay already seen
    stream.lastSeq = event.seq;
    if ("resetTo" in stream) stream.resetTo = undefined;
    if (last !== undefined && event.seq > last + 1) {
      this.tell(stream.listeners, { kind: "resync", lotId: event.personal ? null : event.lot_id, reason: "gap" });
    }
    this.tell(stream.listeners, { kind: "event", event });
  }

  private tell(listeners: Set<Listener>, message: LiveMessage): void {
    for (const listener of [...listeners]) listener(message);
  }

  private setStatus(status: LiveStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.statusListeners]) listener();
  }
}
