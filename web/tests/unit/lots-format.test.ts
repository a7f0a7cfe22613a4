import { describe, expect, it } from "vitest";
import { ago, clock, shareBps, ticketRange, ticketsToFund, timeLeft } from "../../src/lots/format";

describe("lots formatting", () => {
  it("says how long is left", () => {
    expect(timeLeft(0)).toBe("Closed");
    expect(timeLeft(-5)).toBe("Closed");
    expect(timeLeft(59)).toBe("0 min 59 s left");
    expect(timeLeft(3 * 3600 + 120)).toBe("3 h 2 min left");
    expect(timeLeft(93784)).toBe("1 d 2 h left");
  });

  it("counts down the cooldown", () => {
    expect(clock(0)).toBe("0:00");
    expect(clock(0.2)).toBe("0:01");
    expect(clock(65)).toBe("1:05");
    expect(clock(86400)).toBe("24:00:00");
  });

  it("says how long ago the data was fetched", () => {
    expect(ago(12_400)).toBe("12 s ago");
    expect(ago(125_000)).toBe("2 min ago");
    expect(ago(3 * 3600_000)).toBe("3 h ago");
  });

  it("estimates the tickets left at the lowest price, never on a funded lot", () => {
    const lot = (target: number, funded: number, price: number) => ({
      funding: { target_cents: target, funded_cents: funded },
      price_per_ticket_cents: price,
    });
    expect(ticketsToFund(lot(1000, 0, 167))).toBe(6);
    expect(ticketsToFund(lot(1000, 900, 200))).toBe(1);
    expect(ticketsToFund(lot(1000, 1000, 200))).toBeNull();
    expect(ticketsToFund(lot(1000, 1200, 200))).toBeNull();
  });

  it("computes a share of the tickets in whole basis points", () => {
    expect(shareBps(1, 3)).toBe(3333);
    expect(shareBps(3, 3)).toBe(10000);
    expect(shareBps(0, 3)).toBe(0);
    expect(shareBps(2, 0)).toBe(0);
  });

  it("writes ticket ranges", () => {
    expect(ticketRange(4, 4)).toBe("#4");
    expect(ticketRange(4, 6)).toBe("#4–#6");
  });
});
