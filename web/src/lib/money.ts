// Money is integers in minor units end to end; these only format it for people.
const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const whole = new Intl.NumberFormat("en-US");

/** 123456 -> "$1,234.56" (cents never pass through floating point arithmetic). */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not a whole number of cents: ${cents}`);
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const dollars = Math.trunc(abs / 100);
  const rest = abs % 100;
  // Format the dollars as an integer, then append the exact cents.
  const text = usd.format(dollars).replace(/\.00$/, "");
  return `${sign}${text}.${String(rest).padStart(2, "0")}`;
}

/** 1500 -> "1,500 credits" (100 credits buy one ticket's worth, a dollar). */
export function formatCredits(credits: number): string {
  if (!Number.isSafeInteger(credits)) throw new RangeError(`not a whole number of credits: ${credits}`);
  return `${whole.format(credits)} ${Math.abs(credits) === 1 ? "credit" : "credits"}`;
}

/** Basis points to a percent for people: 4250 -> "42.5%". */
export function formatBps(bps: number): string {
  const text = (bps / 100).toFixed(2).replace(/\.?0+$/, "");
  return `${text}%`;
}
