import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { describe, expect, it, vi } from "vitest";
import { applyLotCurrent, applyLotEvent, changesState, patchLot } from "../../src/live/cache";
import { toastFor } from "../../src/live/toasts";
import type { Lot } from "../../src/lots/api";

const LOT_ID = "11111111-1111-4111-8111-111111111111";

function lot(tickets: number, funded: number, status: Lot["status"] = "open"): Lot {
  return {
    id: LOT_ID,
    status,
    deadline: "2026-12-13T12:00:00Z",
    tickets_sold: tickets,
    odds_per_ticket: tickets ? `1 in ${tickets}` : null,
    funding: {
      target_cents: 1000,
      target: "10.00",
      funded_cents: funded,
      funded: "0.00",
      cash_cents: funded,
      spent_credits: 0,
      progress_bps: funded * 10,
      progress_percent: "0.00",
    },
  } as unknown as Lot;
}

const update = (seq: number, tickets: number, funded: number, status = "open", type = "lot_update") => ({
  type,
  lot_id: LOT_ID,
  seq,
  data: { status, tickets_sold: tickets, funded_cents: funded, funding_target_cents: 1000, progress_basis_points: funded * 10 },
});

describe("patchLot", () => {
  it("applies a newer snapshot's funding", () => {
    const patched = patchLot(lot(1, 200), update(2, 4, 700).data);
    expect(patched.tickets_sold).toBe(4);
    expect(patched.odds_per_ticket).toBe("1 in 4");
    expect(patched.funding).toMatchObject({ funded_cents: 700, funded: "7.00", progress_bps: 7000, progress_percent: "70.00" });
  });
  it("keeps the larger tickets_sold: an older snapshot changes nothing", () => {
    const current = lot(5, 900);
    expect(patchLot(current, update(2, 4, 700).data)).toBe(current);
  });
});

describe("changesState", () => {
  it("is true for state events and a changed status, false for funding only", () => {
    expect(changesState(lot(1, 200), update(2, 2, 400))).toBe(false);
    expect(changesState(lot(1, 200), update(2, 5, 1000, "funded", "lot_funded"))).toBe(true);
    expect(changesState(lot(1, 200), update(2, 5, 1000, "expired"))).toBe(true);
    expect(changesState(lot(1, 200), { type: "draw_started", lot_id: LOT_ID, seq: 3, data: {} })).toBe(true);
  });
  it("is true when an extension moved the deadline, whatever its spelling", () => {
    const same = { ...update(2, 1, 200), data: { ...update(2, 1, 200).data, deadline: "2026-12-13T12:00:00.000000Z" } };
    const later = { ...update(2, 1, 200), data: { ...update(2, 1, 200).data, deadline: "2026-12-20T12:00:00Z" } };
    expect(changesState(lot(1, 200), same)).toBe(false);
    expect(changesState(lot(1, 200), later)).toBe(true);
  });
});

describe("applyLotEvent", () => {
  it("patches the lot's page and every list showing it", () => {
    const client = new QueryClient();
    client.setQueryData(["lot", LOT_ID], lot(1, 200));
    client.setQueryData(["lots", { sort: "newest" }], { pages: [{ items: [lot(1, 200)], next_cursor: null }], pageParams: [null] });
    applyLotEvent(client, update(2, 3, 600));
    expect(client.getQueryData<Lot>(["lot", LOT_ID])?.tickets_sold).toBe(3);
    const list = client.getQueryData<{ pages: { items: Lot[] }[] }>(["lots", { sort: "newest" }]);
    expect(list?.pages[0]?.items[0]?.funding.funded_cents).toBe(600);
  });
});

describe("applyLotCurrent (the lot as it stood when its subscription began)", () => {
  const list = (client: QueryClient) => client.getQueryData<{ pages: { items: Lot[] }[] }>(["lots", { sort: "newest" }]);
  const listing = (item: Lot) => ({ pages: [{ items: [item], next_cursor: null }], pageParams: [null] });

  it("catches a list's card up with what sold between its fetch and the subscription", () => {
    const client = new QueryClient();
    client.setQueryData(["lots", { sort: "newest" }], listing(lot(4, 700)));
    applyLotCurrent(client, LOT_ID, update(5, 7, 1200).data);
    expect(list(client)?.pages[0]?.items[0]?.tickets_sold).toBe(7);
    expect(list(client)?.pages[0]?.items[0]?.funding.progress_bps).toBe(12000);
  });

  it("never moves a view back, and refetches only when the state moved", async () => {
    const client = new QueryClient();
    client.setQueryData(["lot", LOT_ID], lot(5, 900));
    client.setQueryData(["lots", { sort: "newest" }], listing(lot(5, 900)));
    let fetches = 0;
    const page = new QueryObserver<Lot>(client, {
      queryKey: ["lot", LOT_ID],
      queryFn: () => {
        fetches += 1;
        return lot(6, 1000, "funded");
      },
      staleTime: Infinity,
    });
    const stop = page.subscribe(() => undefined);
    applyLotCurrent(client, LOT_ID, update(3, 4, 700).data); // older than the page
    expect(client.getQueryData<Lot>(["lot", LOT_ID])?.tickets_sold).toBe(5);
    expect(list(client)?.pages[0]?.items[0]?.tickets_sold).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fetches).toBe(0);
    applyLotCurrent(client, LOT_ID, update(6, 6, 1000, "funded").data); // funded meanwhile
    await vi.waitFor(() => expect(client.getQueryData<Lot>(["lot", LOT_ID])?.status).toBe("funded"));
    expect(fetches).toBe(1);
    stop();
  });
});

describe("a state change while the lot is being fetched", () => {
  it("fetches again: the answer already on its way predates the event", async () => {
    // lot_funded started a refetch; draw_completed arrives before it answers. That
    // answer says funded; only a fetch started after the event can say drawn.
    const client = new QueryClient();
    client.setQueryData(["lot", LOT_ID], lot(3, 500)); // the page shows the open lot
    const answers: ((value: Lot) => void)[] = [];
    const page = new QueryObserver<Lot>(client, {
      queryKey: ["lot", LOT_ID],
      queryFn: () => new Promise<Lot>((resolve) => answers.push(resolve)),
      staleTime: Infinity,
    });
    const stop = page.subscribe(() => undefined);
    applyLotEvent(client, update(8, 6, 1000, "funded", "lot_funded"));
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    applyLotEvent(client, { type: "draw_completed", lot_id: LOT_ID, seq: 9, data: { status: "drawing" } });
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    answers[1]!(lot(6, 1000, "drawing"));
    answers[0]!(lot(6, 1000, "funded")); // the older answer, last, changes nothing
    await vi.waitFor(() => expect(client.getQueryData<Lot>(["lot", LOT_ID])?.status).toBe("drawing"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(client.getQueryData<Lot>(["lot", LOT_ID])?.status).toBe("drawing");
    stop();
  });
});

describe("toastFor", () => {
  it("words each personal event, and ignores unknown ones", () => {
    const base = { lot_id: LOT_ID, seq: 1, personal: true };
    expect(toastFor({ ...base, type: "won", data: { winning_ticket: 7 } })?.text).toBe("You won! Winning ticket #7.");
    expect(toastFor({ ...base, type: "credits_awarded", data: { credits: 250 } })?.text).toBe(
      "You didn't win this time: 250 credits added to your balance.",
    );
    expect(toastFor({ ...base, type: "purchase_confirmed", data: { tickets: 3 } })?.text).toBe("Purchase confirmed: 3 tickets.");
    expect(toastFor({ ...base, type: "refund_available", data: {} })?.link).toBe("/me/entries");
    expect(toastFor({ ...base, type: "refund_done", data: {} })?.text).toBe("Your refund is done.");
    expect(toastFor({ ...base, type: "something_new", data: {} })).toBeNull();
  });
});
