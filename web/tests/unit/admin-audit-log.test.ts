import { describe, expect, it } from "vitest";
import { actionLabel, detailsText } from "../../src/admin/auditLog";

describe("audit log words", () => {
  it("names known actions and spells out new ones", () => {
    expect(actionLabel("roles_changed")).toBe("Roles changed");
    expect(actionLabel("limits_viewed")).toBe("limits viewed");
  });

  it("writes details on one line", () => {
    expect(detailsText({ before: ["player"], after: ["auditor", "player"] })).toBe(
      "before: player; after: auditor, player",
    );
    expect(detailsText({ host_id: null, roles: [] })).toBe("host_id: —; roles: none");
  });
});
