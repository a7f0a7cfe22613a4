import { describe, expect, it } from "vitest";
import { retryOutcome, taskLabel } from "../../src/admin/tasks";

describe("taskLabel: what a background task does, in the admin's words", () => {
  it.each([
    [{ task: "draw", subject: null }, "Draw and settle a lot"],
    [{ task: "payment_event", subject: null }, "Apply a payment event"],
    [{ task: "email", subject: "Your draw result" }, "Email: Your draw result"],
    [{ task: "email", subject: "" }, "Email"], // an account email is written when sent
    [{ task: "reindex", subject: null }, "reindex"], // a handler this client does not know
  ])("%j is %s", (task, label) => {
    expect(taskLabel(task)).toBe(label);
  });
});

describe("retryOutcome: what a retry left the task as", () => {
  it.each([
    ["pending", "draw:1 is pending again and runs now. If it fails on every attempt again, it comes back to this list."],
    ["done", "draw:1 is done."],
    ["dead", "draw:1 failed again on every attempt."],
    ["dropped", "draw:1 is now dropped."],
  ])("%s", (status, words) => {
    expect(retryOutcome({ key: "draw:1", status })).toBe(words);
  });
});
