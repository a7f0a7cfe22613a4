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
