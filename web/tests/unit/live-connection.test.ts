// The live connection's reconnect, resume and gap logic, against a fake WebSocket (the
// browser's API at the network boundary) and vitest's fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, LiveClient, type LiveMessage, type SocketLike } from "../../src/live/connection";

const LOT = "11111111-1111-4111-8111-111111111111";
const OTHER = "22222222-2222-4222-8222-222222222222";

class FakeSocket {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.closedWith = code;
    this.readyState = 3;
  }
  // -- what the test's "server" does
  open(welcome: Record<string, unknown> = {}) {
    this.readyState = 1;
    this.message({ type: "welcome", user_id: null, heartbeat_seconds: 20, idle_timeout_seconds: 60, max_subscriptions: 50, ...welcome });
  }
  message(payload: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(payload) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  ofType(type: string) {
    return this.sent.filter((message) => message.type === type);
  }
}

function lotEvent(seq: number, tickets: number, lotId = LOT, type = "lot_update") {
  return { type, lot_id: lotId, seq, at: "2026-12-06T07:00:00Z", data: { status: "open", tickets_sold: tickets } };
}

let sockets: FakeSocket[];
let refreshes: number;
let refreshAnswer: boolean;

function makeClient(options: Partial<ConstructorParameters<typeof LiveClient>[0]> = {}) {
  return new LiveClient({
    url: "ws://platform.test/api/ws",
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket as unknown as SocketLike;
    },
    refreshSession: async () => {
      refreshes += 1;
      return refreshAnswer;
    },
    random: () => 0, // no jitter: the full backoff
    ...options,
  });
}

const last = () => sockets[sockets.length - 1]!;

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  refreshes = 0;
  refreshAnswer = true;
});
afterEach(() => {
  vi.useRealTimers();
});

describe("backoffDelay", () => {
  it("doubles from 0.5 s to 30 s, less up to half at random", () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 6, 7, 20].map((n) => backoffDelay(n, none))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
    expect(backoffDelay(1, () => 0.999999)).toBeGreaterThan(500);
    expect(backoffDelay(1, () => 0.5)).toBe(750);
  });
});

describe("LiveClient", () => {
  it("subscribes once welcomed, hears events in order and drops duplicates", () => {
    const client = makeClient();
    const heard: LiveMessage[] = [];
    client.watchLot(LOT, (message) => heard.push(message));
    expect(sockets).toHaveLength(1);
    expect(last().sent).toEqual([]); // nothing before the welcome
    last().open();
    expect(last().ofType("subscribe")).toEqual([{ type: "subscribe", lot_id: LOT }]);
    expect(client.isLotLive(LOT)).toBe(false);
    last().message({ type: "subscribed", lot_id: LOT, seq: 4, data: { tickets_sold: 8 } });
    expect(client.isLotLive(LOT)).toBe(true);
    last().message(lotEvent(5, 10));
    last().message(lotEvent(5, 10)); // a duplicate
    last().message(lotEvent(6, 12));
    last().message(lotEvent(1, 3, OTHER)); // not watched here
    expect(heard).toEqual([
      // What sold before the subscription (the view's fetch may predate it), then events.
      { kind: "current", lotId: LOT, data: { tickets_sold: 8 } },
      { kind: "event", event: lotEvent(5, 10) },
      { kind: "event", event: lotEvent(6, 12) },
    ]);
  });

  it("reconnects with backoff after a drop and resumes from the last seq", () => {
    const client = makeClient();
    const heard: LiveMessage[] = [];
    client.watchLot(LOT, (message) => heard.push(message));
    last().open();
    last().message({ type: "subscribed", lot_id: LOT, seq: 0 });
    last().message(lotEvent(1, 1));
    last().message(lotEvent(2, 3));

    last().drop();
    expect(client.status).toBe("connecting");
    expect(client.isLotLive(LOT)).toBe(false);
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);

    // The second attempt fails too: the next wait is twice as long.
    last().drop();
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);

    last().open();
    expect(last().ofType("subscribe")).toEqual([{ type: "subscribe", lot_id: LOT, after_seq: 2 }]);
    last().message({ type: "subscribed", lot_id: LOT, seq: 4 });
    last().message(lotEvent(3, 4)); // the missed ones, replayed first
    last().message(lotEvent(4, 6));
    last().message(lotEvent(5, 7));
    expect(heard.map((m) => (m.kind === "event" ? m.event.seq : m.kind))).toEqual([1, 2, 3, 4, 5]);
    expect(client.status).toBe("live");

    // It worked: the next drop waits the first delay again.
    last().drop();
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(4);
  });

  it("passes on a gap as a resync, then the event after it", () => {
    const client = makeClient();
    const heard: LiveMessage[] = [];
    client.watchLot(LOT, (message) => heard.push(message));
    last().open();
    last().message({ type: "subscribed", lot_id: LOT, seq: 2 });
    last().message(lotEvent(3, 5));
    last().message(lotEvent(6, 9));
    expect(heard).toEqual([
      { kind: "event", event: lotEvent(3, 5) },
      { kind: "resync", lotId: LOT, reason: "gap" },
      { kind: "event", event: lotEvent(6, 9) },
    ]);
  });

  it("passes on the server's resync and continues from its seq", () => {
    const client = makeClient();
    const heard: LiveMessage[] = [];
    client.watchLot(LOT, (message) => heard.push(message));
    last().open();
    last().message({ type: "subscribed", lot_id: LOT, seq: 2 });
    last().drop();
    vi.advanceTimersByTime(500);
    last().open();
    last().message({ type: "subscribed", lot_id: LOT, seq: 900 });
    last().message({ type: "resync", lot_id: LOT, seq: 900 });
    last().message(lotEvent(901, 2000));
    expect(heard).toEqual([
      { kind: "resync", lotId: LOT, reason: "expired" },
      { kind: "event", event: lotEvent(901, 2000) },
    ]);
  });

  it("sees a restarted server's numbering go back as a resync", () => {
    const client = makeClient();
    const heard: LiveMessage[] = [];
    client.watchLot(LOT, (message) => heard.push(message));
    last().open();
    last().message({ type: "subscribed", lot_id: LOT, seq: 7 });
    last().drop();
    vi.advanceTimersByTime(500);
    last().open();
    last().message({ type: "subscribed", lot_id: LOT, seq: 0 });
    last().message({ type: "resync", lot_id: LOT, seq: 0 }); // the server's word for the same
    last().message(lotEvent(1, 3));
    expect(heard).toEqual([
      { kind: "resync", lotId: LOT, reason: "reset" },
      { kind: "event", event: lotEvent(1, 3) },
    ]);
  });

  it("refreshes the session on 4401 before reconnecting", async () => {
    const client = makeClient();
    client.watchLot(LOT, () => undefined);
    last().open();
    last().drop(4401);
    expect(refreshes).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(sockets).toHaveLength(2);
  });

  it("backs off longer when refused for its origin or for too many connections", () => {
    const client = makeClient();
    client.watchLot(LOT, () => undefined);
    last().drop(4029);
    vi.advanceTimersByTime(7_999);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
  });

  it("falls back (offline) after failing to connect, and is live again when it connects", () => {
    const client = makeClient();
    client.watchLot(LOT, () => undefined);
    last().drop();
    expect(client.shouldPoll(LOT)).toBe(false); // a blip: the resume will catch up
    vi.advanceTimersByTime(30_000);
    for (let attempt = 1; attempt < 3; attempt += 1) {
      last().drop();
      vi.advanceTimersByTime(30_000);
    }
    expect(client.status).toBe("offline");
    expect(client.isLotLive(LOT)).toBe(false);
    expect(client.shouldPoll(LOT)).toBe(true);
    last().open();
    last().message({ type: "subscribed", lot_id: LOT, seq: 0 });
    expect(client.status).toBe("live");
    expect(client.isLotLive(LOT)).toBe(true);
    expect(client.shouldPoll(LOT)).toBe(false);
  });

  it("pings every heartbeat", () => {
    const client = makeClient();
    client.watchLot(LOT, () => undefined);
    last().open({ heartbeat_seconds: 15 });
    vi.advanceTimersByTime(45_000);
    expect(last().ofType("ping")).toHaveLength(3);
  });

  it("shares one socket, unsubscribes with the last watcher and closes when unused", () => {
    const client = makeClient({ lingerMs: 1000 });
    const stopA = client.watchLot(LOT, () => undefined);
    const stopB = client.watchLot(LOT, () => undefined);
    const stopOther = client.watchLot(OTHER, () => undefined);
    expect(sockets).toHaveLength(1);
    last().open();
    expect(last().ofType("subscribe").map((m) => m.lot_id)).toEqual([LOT, OTHER]);
    last().message({ type: "subscribed", lot_id: LOT, seq: 0 });
    last().message({ type: "subscribed", lot_id: OTHER, seq: 0 });
    stopA();
    expect(last().ofType("unsubscribe")).toEqual([]);
    stopB();
    expect(last().ofType("unsubscribe")).toEqual([{ type: "unsubscribe", lot_id: LOT }]);
    const stopLate = client.watchLot("33333333-3333-4333-8333-333333333333", () => undefined);
    stopLate(); // before its acknowledgement: still unsubscribed
    expect(last().ofType("unsubscribe").map((m) => m.lot_id)).toEqual([LOT, "33333333-3333-4333-8333-333333333333"]);
    stopOther();
    vi.advanceTimersByTime(1000);
    expect(last().closedWith).toBe(1000);
    expect(client.status).toBe("idle");
  });

  it("marks a refused lot not live (its view polls), and respects max_subscriptions", () => {
    const client = makeClient();
    client.watchLot(LOT, () => undefined);
    client.watchLot(OTHER, () => undefined);
    last().open({ max_subscriptions: 1 });
    expect(last().ofType("subscribe").map((m) => m.lot_id)).toEqual([LOT]);
    expect(client.isLotLive(OTHER)).toBe(false);
    expect(client.shouldPoll(OTHER)).toBe(true);
    last().message({ type: "error", code: "lot_not_found", message: "no such lot", lot_id: LOT });
    expect(client.isLotLive(LOT)).toBe(false);
    expect(client.shouldPoll(LOT)).toBe(true);
  });

  it("reopens a connection welcomed as someone else when the player logs in or out", () => {
    const client = makeClient();
    client.watchLot(LOT, () => undefined);
    client.setUser(null);
    last().open({ user_id: null });
    client.setUser("u1"); // logged in: the open connection is anonymous
    expect(last().closedWith).toBe(1000);
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
    client.setUser(null); // logged out before its welcome: checked when it comes
    last().open({ user_id: "u1" });
    expect(last().closedWith).toBe(1000);
    vi.advanceTimersByTime(500);
    last().open({ user_id: null });
    expect(last().closedWith).toBeNull();
    expect(sockets).toHaveLength(3);
  });

  it("resumes the player's own stream by its seq, and dedupes it", () => {
    const client = makeClient();
    const heard: LiveMessage[] = [];
    client.watchPersonal((message) => heard.push(message));
    last().open({ user_id: "u1" });
    const won = { type: "won", lot_id: LOT, seq: 3, at: "2026-12-06T07:00:00Z", data: { winning_ticket: 7 }, personal: true };
    last().message(won);
    last().drop();
    vi.advanceTimersByTime(500);
    last().open({ user_id: "u1" });
    expect(last().ofType("resume_personal")).toEqual([{ type: "resume_personal", after_seq: 3 }]);
    last().message(won);
    expect(heard).toEqual([{ kind: "event", event: won }]);
  });
});
