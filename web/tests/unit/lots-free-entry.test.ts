import { describe, expect, it } from "vitest";
import { freeEntryRule, freeEntryWait } from "../../src/lots/format";

describe("free entry words", () => {
  it("states the lot's rule", () => {
    expect(freeEntryRule(null)).toBe("One free entry per player in this lot");
    expect(freeEntryRule(1)).toBe("One free entry per player every day");
    expect(freeEntryRule(7)).toBe("One free entry per player every 7 days");
  });

  it("says when the next free entry opens", () => {
    const now = Date.parse("2026-12-06T12:00:00Z");
    expect(freeEntryWait({ available: true, next_at: null }, now)).toBeNull();
    expect(freeEntryWait({ available: false, next_at: null }, now)).toBe("You have used your free entry in this lot.");
    expect(freeEntryWait({ available: false, next_at: "2026-12-08T15:00:00Z" }, now)).toBe(
      "You have used your free entry for now: the next one opens in 2 days 3 hours.",
    );
    expect(freeEntryWait({ available: false, next_at: "2026-12-06T12:00:30Z" }, now)).toBe(
      "You have used your free entry for now: the next one opens in 1 minute.",
    );
    // The period ran out since the standing was read: it may enter.
    expect(freeEntryWait({ available: false, next_at: "2026-12-06T11:00:00Z" }, now)).toBeNull();
  });
});
