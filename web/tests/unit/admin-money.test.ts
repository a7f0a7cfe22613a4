import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { centsToDollarsText, MAX_CENTS, parseDollars } from "../../src/admin/money";
import { isoToLocalInput, localInputToIso } from "../../src/admin/datetime";

describe("parseDollars: dollars typed by an admin to exact cents", () => {
  it.each([
    ["1500", 150_000],
    ["1,500", 150_000],
    ["1,234,567.89", 123_456_789],
    ["$12", 1_200],
    ["$ 12.5", 1_250],
    ["  0.07 ", 7],
    [".5", 50],
    ["12.", 1_200],
    ["0.29", 29], // 0.29 * 100 is 28.999999999999996 in floating point
    ["1.00", 100],
    ["4.35", 435], // 4.35 * 100 is 434.99999999999994
    ["10000000000", MAX_CENTS],
    ["9,999,999,999.99", 999_999_999_999],
  ])("%s is %i cents", (text, cents) => {
    expect(parseDollars(text)).toEqual({ ok: true, cents });
  });

  it.each([
    ["", "Enter an amount"],
    ["   ", "Enter an amount"],
    [".", "Enter an amount"],
    ["abc", "Enter an amount"],
    ["-5", "Enter an amount"],
    ["1e3", "Enter an amount"],
    ["1,23", "Enter an amount"],
    ["12,34.00", "Enter an amount"],
    ["0x10", "Enter an amount"],
    ["1.005", "two digits"],
    ["0.001", "two digits"],
    ["0", "more than $0"],
    ["0.00", "more than $0"],
    ["10000000000.01", "largest amount"],
    ["99999999999999999999", "largest amount"],
  ])("%j is refused (%s)", (text, words) => {
    const parsed = parseDollars(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(words);
  });

  it("accepts zero when asked to", () => {
    expect(parseDollars("0", { allowZero: true })).toEqual({ ok: true, cents: 0 });
  });

  it("round-trips through the field's text", () => {
    for (const cents of [1, 7, 99, 100, 150_000, 123_456_789, MAX_CENTS]) {
      expect(parseDollars(centsToDollarsText(cents))).toEqual({ ok: true, cents });
    }
    expect(centsToDollarsText(150_005)).toBe("1500.05");
    expect(() => centsToDollarsText(1.5)).toThrow(RangeError);
  });
});

describe("deadlines: datetime-local to ISO with the zone's offset", () => {
  const saved = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = "Europe/Paris";
  });
  afterAll(() => {
    process.env.TZ = saved;
  });

  it("states the offset in force on that date", () => {
    expect(localInputToIso("2030-07-01T14:30")).toBe("2030-07-01T14:30:00+02:00"); // summer
    expect(localInputToIso("2030-01-15T09:05:07")).toBe("2030-01-15T09:05:07+01:00"); // winter
    expect(new Date(localInputToIso("2030-07-01T14:30")!).toISOString()).toBe("2030-07-01T12:30:00.000Z");
  });

  it("refuses what is not a date and time", () => {
    for (const bad of ["", "2030-07-01", "2030-02-30T10:00", "2030-07-01T25:00", "soon"]) {
      expect(localInputToIso(bad)).toBeNull();
    }
  });

  it("shows a stored deadline in the zone", () => {
    expect(isoToLocalInput("2030-07-01T12:30:00Z")).toBe("2030-07-01T14:30:00");
  });
});
