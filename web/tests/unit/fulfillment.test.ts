import { describe, expect, it } from "vitest";
import { disputeReasonLabel, prizeStatusLabel } from "../../src/fulfillment/parts";
import { linkText } from "../../src/notifications/format";

describe("prizeStatusLabel: a won prize's step in words", () => {
  it.each([
    ["won", "Won: to claim"],
    ["claimed", "Claimed: to ship"],
    ["shipped", "Shipped"],
    ["delivered", "Delivered"],
    ["disputed", "Disputed"],
    ["lost_in_space", "lost_in_space"], // a status this client does not know
  ])("%s is %s", (status, label) => {
    expect(prizeStatusLabel(status)).toBe(label);
  });
});

describe("disputeReasonLabel", () => {
  it.each([
    ["not_received", "Not received"],
    ["not_as_described", "Not as described"],
    [null, "—"],
  ])("%s is %s", (reason, label) => {
    expect(disputeReasonLabel(reason)).toBe(label);
  });
});

it("a prize notification links to its prize", () => {
  expect(linkText({ kind: "prize", data: { event: "shipped" } })).toBe("See the prize");
});

describe("toastFor: a prize's live event", () => {
  it("tells the winner their prize shipped and links to it", async () => {
    const { toastFor } = await import("../../src/live/toasts");
    const toast = toastFor({
      type: "prize",
      seq: 3,
      lot_id: "lot-1",
      at: "2026-03-01T12:00:00Z",
      personal: true,
      data: { event: "shipped", audience: "winner", reveal_id: "r-1" },
    } as never);
    expect(toast).toMatchObject({ text: "Your prize is on its way.", link: "/me/reveals/r-1" });
  });
  it("sends a host to its queue", async () => {
    const { toastFor } = await import("../../src/live/toasts");
    const toast = toastFor({ type: "prize", seq: 1, lot_id: null, data: { event: "claimed", audience: "host" } } as never);
    expect(toast?.link).toBe("/host/fulfillment");
  });
});
