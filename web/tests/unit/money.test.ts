import { describe, expect, it } from "vitest";
import { formatBps, formatCents, formatCredits } from "../../src/lib/money";

describe("formatCents", () => {
  it.each([
    [0, "$0.00"],
    [5, "$0.05"],
    [200, "$2.00"],
    [123456, "$1,234.56"],
    [-98, "-$0.98"],
    [9_007_199_254_740_991, "$90,071,992,547,409.91"],
  ])("%i cents is %s", (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it("refuses fractions of a cent", () => {
    expect(() => formatCents(1.5)).toThrow(RangeError);
  });
});

describe("formatCredits", () => {
  it("names one credit and many", () => {
    expect(formatCredits(1)).toBe("1 credit");
    expect(formatCredits(1500)).toBe("1,500 credits");
  });
});

describe("formatBps", () => {
  it.each([
    [0, "0%"],
    [4250, "42.5%"],
    [10000, "100%"],
    [3333, "33.33%"],
  ])("%i bps is %s", (bps, text) => {
    expect(formatBps(bps)).toBe(text);
  });
});
