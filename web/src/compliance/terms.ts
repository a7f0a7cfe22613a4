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

// ISO 3166-1 alpha-2, officially assigned codes (as the server validates them).
export const COUNTRY_CODES: readonly string[] = `
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`
  .trim()
  .split(/\s+/);

export type CountryOption = { code: string; name: string };

/** The countries a player may pick: the allow-list when there is one, else all of
 * them; named in the player's language and sorted by name. */
export function countryOptions(allowed: readonly string[], locale?: string): CountryOption[] {
  const codes = allowed.length ? allowed : COUNTRY_CODES;
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
