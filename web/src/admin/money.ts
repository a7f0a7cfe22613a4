// Dollars typed by an admin, to integer cents, exactly: the text is split at the decimal
// point and each part read as an integer, so no amount ever passes through a float.

export const MAX_CENTS = 10 ** 12; // the API's ceiling (ten billion dollars)

export type Parsed = { ok: true; cents: number } | { ok: false; message: string };

const DOLLARS = /^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d{0,2}))?$/;

/** "1,234.5" -> 123450; "$12" -> 1200; "0.07" -> 7. Refuses a third decimal, a sign,
 * letters, zero (unless `allowZero`) and anything above MAX_CENTS. */
export function parseDollars(text: string, { allowZero = false } = {}): Parsed {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, message: "Enter an amount in dollars, e.g. 1500 or 1,500.00." };
  if (/\.\d{3,}$/.test(trimmed)) return { ok: false, message: "Use at most two digits after the decimal point (cents)." };
  const match = DOLLARS.exec(trimmed);
  if (!match || (match[1] === undefined && !match[2])) {
    return { ok: false, message: "Enter an amount in dollars, e.g. 1500 or 1,500.00." };
  }
  const whole = (match[1] ?? "0").replaceAll(",", "");
  const fraction = (match[2] ?? "").padEnd(2, "0");
  // Compare as digit strings first: a huge amount must not round on its way to a number.
  const digits = (whole.replace(/^0+(?=\d)/, "") + fraction).replace(/^0+(?=\d)/, "");
  if (digits.length > String(MAX_CENTS).length || Number(digits) > MAX_CENTS) {
    return { ok: false, message: "That is more than the largest amount allowed ($10,000,000,000.00)." };
  }
  const cents = Number(whole) * 100 + Number(fraction);
  if (!Number.isSafeInteger(cents)) return { ok: false, message: "Enter an amount in dollars." };
  if (cents === 0 && !allowZero) return { ok: false, message: "The amount must be more than $0." };
  return { ok: true, cents };
}

/** Cents back to the text the field shows: 123450 -> "1234.50" (integer arithmetic). */
export function centsToDollarsText(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`not a whole number of cents: ${cents}`);
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}
