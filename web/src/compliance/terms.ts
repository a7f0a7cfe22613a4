// Terms, privacy notice and country rules as the server states them (GET /api/terms),
// and the small rules the screens apply to them.
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";

export type Terms = components["schemas"]["TermsRead"];
export type TermsStatus = components["schemas"]["TermsStatus"];
export const TERMS_KEY = ["terms"] as const;

export async function fetchTerms(): Promise<Terms> {
  return unwrap(await api.GET("/api/terms"));
}

/** Whether the player must accept the current versions before their next purchase. */
export function needsAcceptance(status: TermsStatus | null | undefined): boolean {
  return status != null && !status.current;
}

/** What registering means, in the form's words. */
export function acceptanceStatement(terms: Pick<Terms, "terms" | "privacy">): string {
  return `By creating an account you accept the Terms (version ${terms.terms.version}) and the Privacy notice (version ${terms.privacy.version}).`;
}

export type CountryOption = { code: string; name: string };

/** The countries a player may pick, as the server states them (`selectable_countries`:
 * the allow-list when there is one, else every code it accepts), named in the player's
 * language and sorted by name. */
export function countryOptions(codes: readonly string[], locale?: string): CountryOption[] {
  let names: Intl.DisplayNames | null = null;
  try {
    names = new Intl.DisplayNames(locale ? [locale] : undefined, { type: "region" });
  } catch {
    names = null;
  }
  return codes
    .map((code) => ({ code, name: names?.of(code) ?? code }))
    .sort((a, b) => a.name.localeCompare(b.name, locale));
}
