import { describe, expect, it } from "vitest";
import { acceptanceStatement, countryOptions, needsAcceptance } from "../../src/compliance/terms";

const status = (current: boolean) => ({
  terms_version: "2027-01-01",
  privacy_version: "2026-12-01",
  accepted_terms_version: current ? "2027-01-01" : "2026-12-01",
  accepted_privacy_version: "2026-12-01",
  accepted_at: "2026-12-01T10:00:00Z",
  current,
});

describe("needsAcceptance", () => {
  it("asks only when the account says the acceptance is not current", () => {
    expect(needsAcceptance(status(false))).toBe(true);
    expect(needsAcceptance(status(true))).toBe(false);
    expect(needsAcceptance(null)).toBe(false);
    expect(needsAcceptance(undefined)).toBe(false);
  });
});

describe("acceptanceStatement", () => {
  it("names both versions", () => {
    const terms = { terms: { version: "2027-01-01", url: "/terms" }, privacy: { version: "2026-12-01", url: "/privacy" } };
    expect(acceptanceStatement(terms)).toBe(
      "By creating an account you accept the Terms (version 2027-01-01) and the Privacy notice (version 2026-12-01).",
    );
  });
});

describe("countryOptions", () => {
  it("offers only the allowed countries, by name", () => {
    const options = countryOptions(["IE", "GB"], "en");
    expect(options.map((o) => o.code)).toEqual(["IE", "GB"]);
    expect(options.map((o) => o.name)).toEqual(["Ireland", "United Kingdom"]);
  });

  it("names each code the server offers and sorts them by name", () => {
    const options = countryOptions(["US", "FR", "DE"], "en");
    expect(options.map((o) => o.code)).toEqual(["FR", "DE", "US"]);
    expect(options.find((o) => o.code === "FR")?.name).toBe("France");
  });
});
