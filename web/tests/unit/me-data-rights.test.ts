import { describe, expect, it } from "vitest";
import { canDelete, exportFileName, KEPT } from "../../src/me/dataRights";

describe("data rights", () => {
  it("asks for a password and the word DELETE before deleting", () => {
    expect(canDelete("", "DELETE")).toBe(false);
    expect(canDelete("secret", "delete")).toBe(false);
    expect(canDelete("secret", "DELET")).toBe(false);
    expect(canDelete("secret", " DELETE ")).toBe(true);
  });

  it("names the export file by the day", () => {
    expect(exportFileName(new Date("2026-12-06T18:00:00Z"))).toBe("alot-my-data-2026-12-06.json");
  });

  it("says the ledger is kept", () => {
    expect(KEPT.join(" ")).toContain("ledger");
  });
});
