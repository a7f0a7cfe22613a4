import { describe, expect, it } from "vitest";
import { badgeText, bellLabel, changedPreferences, linkText, safeLink } from "../../src/notifications/format";

describe("the bell", () => {
  it("shows no badge at zero and caps it at 9+", () => {
    expect(badgeText(0)).toBeNull();
    expect(badgeText(3)).toBe("3");
    expect(badgeText(9)).toBe("9");
    expect(badgeText(10)).toBe("9+");
  });
  it("says how many are unread in its name", () => {
    expect(bellLabel(0)).toBe("Notifications");
    expect(bellLabel(1)).toBe("Notifications, 1 unread");
    expect(bellLabel(12)).toBe("Notifications, 12 unread");
  });
});

describe("linkText", () => {
  it("names the page each kind leads to", () => {
    expect(linkText({ kind: "won", data: {} })).toBe("See the draw");
    expect(linkText({ kind: "credits_awarded", data: {} })).toBe("See the draw");
    expect(linkText({ kind: "refund_done", data: {} })).toBe("See the refund");
    expect(linkText({ kind: "lot_closing", data: {} })).toBe("See the lot");
  });
  it("sends a buyer with several purchases to choose them in My entries", () => {
    expect(linkText({ kind: "refund_available", data: { purchase_ids: ["a"] } })).toBe("Choose your refund");
    expect(linkText({ kind: "refund_available", data: { purchase_ids: ["a", "b"] } })).toBe(
      "Choose your refunds in My entries",
    );
  });
});

describe("safeLink", () => {
  it("follows this client's paths only", () => {
    expect(safeLink("/lots/1/draw")).toBe("/lots/1/draw");
    expect(safeLink("//evil.example/x")).toBe("/me/notifications");
    expect(safeLink("https://evil.example/")).toBe("/me/notifications");
  });
});

describe("changedPreferences", () => {
  const saved = {
    reminder_emails: true,
    credits_emails: true,
    marketing_emails: false,
    transactional_emails: true as const,
    updated_at: null,
  };
  it("sends only what differs", () => {
    expect(changedPreferences(saved, { reminder_emails: false, credits_emails: true })).toEqual({
      reminder_emails: false,
    });
    expect(changedPreferences(saved, { ...saved })).toEqual({});
  });
});
