import { describe, expect, it } from "vitest";
import {
  byLot,
  creditReason,
  formatUtcMinute,
  refundState,
  signedCredits,
  ticketRanges,
  timeLeft,
  type EntryRead,
} from "../../src/me/format";

describe("ticketRanges", () => {
  it("merges touching ranges and keeps gaps", () => {
    expect(
      ticketRanges([
        { tickets_start: 40, tickets_end: 40 },
        { tickets_start: 12, tickets_end: 14 },
        { tickets_start: 15, tickets_end: 16 },
      ]),
    ).toBe("#12–#16, #40");
  });
  it("writes one ticket as one number", () => {
    expect(ticketRanges([{ tickets_start: 7, tickets_end: 7 }])).toBe("#7");
  });
  it("is empty for no tickets", () => {
    expect(ticketRanges([])).toBe("");
  });
});

describe("timeLeft", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  it.each([
    ["2026-03-08T11:00:00Z", "6 days 23 hours"],
    ["2026-03-02T12:00:00Z", "1 day"],
    ["2026-03-01T13:05:00Z", "1 hour 5 minutes"],
    ["2026-03-01T12:05:30Z", "5 minutes"],
    ["2026-03-01T12:00:30Z", "less than a minute"],
  ])("until %s: %s", (deadline, words) => {
    expect(timeLeft(deadline, now)).toBe(words);
  });
  it("is null once passed", () => {
    expect(timeLeft("2026-03-01T11:59:59Z", now)).toBeNull();
    expect(timeLeft("2026-03-01T12:00:00Z", now)).toBeNull();
  });
});

describe("credits words", () => {
  it("signs amounts with a real minus", () => {
    expect(signedCredits(675)).toBe("+675");
    expect(signedCredits(-1200)).toBe("−1,200");
    expect(signedCredits(0)).toBe("0");
  });
  it("names each movement", () => {
    expect(creditReason("expired_conversion")).toMatch(/refund in credits/i);
    expect(creditReason("something_new")).toBe("something_new");
  });
});

function entry(overrides: Partial<EntryRead>): EntryRead {
  return {
    id: "e1",
    lot_id: "lot1",
    lot_title: "A watch",
    lot_status: "refunding",
    purchase_id: "p1",
    purchase_status: "succeeded",
    method: "cash",
    tickets_start: 1,
    tickets_end: 3,
    ticket_count: 3,
    amount_paid_cents: 500,
    amount_paid: "5.00",
    spent_credits: 0,
    is_winner: false,
    holder: null,
    awarded_credits: 0,
    refund_choice: null,
    refunded_cents: null,
    refunded_credits: null,
    refund_choice_deadline: "2026-03-08T12:00:00Z",
    ledger_seq: 4,
    created_at: "2026-03-01T10:00:00Z",
    ...overrides,
  };
}

describe("refundState", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  it("asks for a choice while the lot refunds and the date has not passed", () => {
    expect(refundState(entry({}), now)).toEqual({ kind: "choose", deadline: "2026-03-08T12:00:00Z" });
  });
  it("says the choice closed after the date", () => {
    expect(refundState(entry({}), Date.parse("2026-03-09T00:00:00Z"))).toEqual({ kind: "closed" });
  });
  it("shows a choice made, done or on its way", () => {
    expect(refundState(entry({ refund_choice: "cash" }), now)).toEqual({ kind: "chosen", choice: "cash", done: false });
    expect(
      refundState(entry({ refund_choice: "credits", purchase_status: "refunded", lot_status: "closed" }), now),
    ).toEqual({ kind: "chosen", choice: "credits", done: true });
  });
  it("has nothing to ask of a credit purchase, which comes back by itself", () => {
    expect(refundState(entry({ method: "credits" }), now)).toBeNull();
    expect(refundState(entry({ method: "credits", purchase_status: "refunded" }), now)).toEqual({ kind: "automatic" });
  });
  it("has nothing to say for a lot that is not refunding", () => {
    expect(refundState(entry({ lot_status: "open", refund_choice_deadline: null }), now)).toBeNull();
    expect(refundState(entry({ lot_status: "settled", refund_choice_deadline: null }), now)).toBeNull();
  });
});

describe("byLot", () => {
  it("groups entries by lot in the order lots first appear", () => {
    const groups = byLot([entry({ id: "a", lot_id: "x" }), entry({ id: "b", lot_id: "y" }), entry({ id: "c", lot_id: "x" })]);
    expect(groups.map((g) => [g.lotId, g.entries.map((e) => e.id)])).toEqual([
      ["x", ["a", "c"]],
      ["y", ["b"]],
    ]);
  });
});

describe("formatUtcMinute", () => {
  it("writes the moment in UTC to the minute, as the emails do", () => {
    expect(formatUtcMinute("2026-03-08T14:00:59Z")).toBe("2026-03-08 14:00 UTC");
    expect(formatUtcMinute("2026-03-08T23:30:00-05:00")).toBe("2026-03-09 04:30 UTC");
  });
});
