import { describe, expect, it } from "vitest";
import { addDays, formatDuration, niceMax, scale, slots, tickCount, ticks } from "../../src/admin/charts";

describe("niceMax: an axis top that reads well", () => {
  it.each([
    [0, 1],
    [-5, 1],
    [1, 1],
    [3, 5],
    [7, 10],
    [10, 10],
    [11, 20],
    [23, 25],
    [101, 200],
    [2450, 2500],
    [0.3, 0.5],
  ])("%s -> %s", (max, top) => {
    expect(niceMax(max)).toBeCloseTo(top, 9);
  });
  it("is never below the data", () => {
    for (let max = 1; max < 5000; max += 7) expect(niceMax(max)).toBeGreaterThanOrEqual(max);
  });
});

describe("tickCount: whole-number steps for whole-number data", () => {
  it.each([
    [1, 1],
    [2, 2],
    [5, 5],
    [10, 5],
    [20, 5],
    [25, 5],
    [200, 5],
    [2500, 5],
    [0.5, 5],
  ])("%s -> %s steps", (top, n) => {
    expect(tickCount(top)).toBe(n);
  });
  it("gives integer ticks for every integer top niceMax makes", () => {
    for (let max = 1; max < 3000; max += 3) {
      const top = niceMax(max);
      expect(ticks(top, tickCount(top)).every(Number.isInteger)).toBe(true);
    }
  });
});

describe("ticks, scale, slots", () => {
  it("spaces ticks from zero to the top", () => {
    expect(ticks(10, 4)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(ticks(5, 0)).toEqual([0, 5]);
  });
  it("maps values to pixels and clamps", () => {
    expect(scale(5, 10, 200)).toBe(100);
    expect(scale(0, 10, 200)).toBe(0);
    expect(scale(15, 10, 200)).toBe(200);
    expect(scale(-3, 10, 200)).toBe(0);
    expect(scale(3, 0, 200)).toBe(0);
  });
  it("divides the width into equal slots with gaps", () => {
    expect(slots(0, 100)).toEqual([]);
    const four = slots(4, 100, 0.2);
    expect(four.map((s) => s.x)).toEqual([2.5, 27.5, 52.5, 77.5]);
    expect(four.every((s) => s.width === 20)).toBe(true);
    const last = four[3]!;
    expect(last.x + last.width).toBeLessThanOrEqual(100);
  });
});

describe("formatDuration and addDays", () => {
  it.each([
    [null, "—"],
    [12, "12 s"],
    [250, "4 min 10 s"],
    [3_600, "1 h 00 min"],
    [3_900, "1 h 05 min"],
    [90_000, "1 d 1 h"],
  ])("%s -> %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
  it("adds UTC days across months and leap days", () => {
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-03-01", -30)).toBe("2026-01-30");
  });
});
