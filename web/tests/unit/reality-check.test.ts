import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/api/problem";
import { centsFromInput, inputFromCents } from "../../src/play/api";
import {
  msUntilReminder,
  nextReminderAt,
  SESSION_START_KEY,
  sessionLength,
  sessionStart,
} from "../../src/play/realityCheck";

const MIN = 60_000;

function memory(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    items,
  };
}

describe("reality check timer", () => {
  it("is first due one interval after the session began", () => {
    expect(nextReminderAt(1_000, 15, null)).toBe(1_000 + 15 * MIN);
    expect(msUntilReminder(1_000, 15, null, 1_000 + 5 * MIN)).toBe(10 * MIN);
  });

  it("comes every interval after the last one shown, on the session's beat", () => {
    const start = 0;
    expect(nextReminderAt(start, 15, 15 * MIN)).toBe(30 * MIN);
    // Shown late (the tab slept): the next stays on the beat, not 15 minutes later.
    expect(nextReminderAt(start, 15, 22 * MIN)).toBe(30 * MIN);
    expect(msUntilReminder(start, 15, 15 * MIN, 40 * MIN)).toBe(0);
  });

  it("keeps the session's start across reloads of the tab", () => {
    const storage = memory();
    expect(sessionStart(storage, 5_000)).toBe(5_000);
    expect(storage.items.get(SESSION_START_KEY)).toBe("5000");
    expect(sessionStart(storage, 99_000)).toBe(5_000);
    expect(sessionStart(memory({ [SESSION_START_KEY]: "junk" }), 7)).toBe(7);
    expect(sessionStart(memory({ [SESSION_START_KEY]: "500" }), 7)).toBe(7); // from the future
    expect(sessionStart(null, 3)).toBe(3);
  });

  it("says how long the session lasted", () => {
    expect(sessionLength(0, 30_000)).toBe("less than a minute");
    expect(sessionLength(0, 15 * MIN)).toBe("15 minutes");
    expect(sessionLength(0, 61 * MIN)).toBe("1 hour 1 minute");
    expect(sessionLength(0, 120 * MIN)).toBe("2 hours");
  });
});

describe("limits in dollars", () => {
  it("reads dollars as whole cents", () => {
    expect(centsFromInput("")).toBeNull();
    expect(centsFromInput("12")).toBe(1200);
    expect(centsFromInput("$12.5")).toBe(1250);
    expect(centsFromInput("0.07")).toBe(7);
    expect(centsFromInput("12.345")).toBeNaN();
    expect(centsFromInput("-3")).toBeNaN();
    expect(inputFromCents(1250)).toBe("12.50");
    expect(inputFromCents(1200)).toBe("12");
    expect(inputFromCents(null)).toBe("");
  });
});

describe("play problems", () => {
  it("say what is left and when it resets", () => {
    const error = new ApiError(409, {
      code: "spend_limit_exceeded",
      detail: "raw",
      period: "daily",
      remaining_cents: 100,
      resets_at: "2026-12-10T00:00:00+00:00",
    } as never);
    expect(error.message).toMatch(/^That would pass your daily spend limit: you have \$1\.00 left until it resets on /);
  });

  it("say when a break ends", () => {
    const error = new ApiError(403, {
      code: "play_excluded",
      kind: "time_out",
      ends_at: "2026-12-10T00:00:00+00:00",
    } as never);
    expect(error.message).toMatch(/^You are on a time-out until .*: no purchases until then\.$/);
  });
});
