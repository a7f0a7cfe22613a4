// Helpers of the admin desk's end-to-end tests: the scheduler's tick on demand (as cron
// runs `alot tick` beside a server), wall-clock text for a datetime-local field in the
// browser's time zone, and reads of the API's state.
import { expect, type APIRequestContext } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "..", "..");

/** The browser's time zone in these tests: +05:30 all year, so a deadline sent without
 * its offset (or read as UTC) would be five and a half hours off. */
export const ZONE = "Asia/Kolkata";

/** Run the periodic jobs once against the test server's database (expiry, draws...). */
export function tick(): string {
  return execFileSync(join(repo, ".venv", "bin", "alot"), ["tick"], {
    cwd: repo,
    env: { ...process.env, ALOT_VAR_DIR: process.env.ALOT_E2E_VAR ?? "", ALOT_LOG_LEVEL: "WARNING" },
    encoding: "utf8",
    timeout: 60_000,
  });
}

/** `date` as a datetime-local field's text in `timeZone`, to the second. */
export function localText(date: Date, timeZone = ZONE): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part("year")}-${part("month")}-${part("day")}T${part("hour")}:${part("minute")}:${part("second")}`;
}

/** A whole second (the fields hold seconds, not milliseconds). */
export function wholeSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

export async function lotState(api: APIRequestContext, lotId: string) {
  const response = await api.get(`/api/lots/${lotId}`);
  expect(response.ok(), await response.text()).toBeTruthy();
  return (await response.json()) as { id: string; status: string; deadline: string; title: string };
}

/** Waits for the deadline, then ticks until the lot is `status`. */
export async function tickUntil(api: APIRequestContext, lotId: string, status: string, deadline: Date) {
  const wait = deadline.getTime() - Date.now() + 500;
  if (wait > 0) await new Promise((done) => setTimeout(done, wait));
  await expect
    .poll(
      async () => {
        tick();
        return (await lotState(api, lotId)).status;
      },
      { timeout: 30_000, message: `lot ${lotId} to be ${status}` },
    )
    .toBe(status);
}

/** A product class by name, walking the catalogue's pages. */
export async function findProductClass(api: APIRequestContext, name: string) {
  let cursor: string | undefined;
  for (let page = 0; page < 50; page += 1) {
    const response = await api.get("/api/admin/product-classes", { params: { limit: 100, ...(cursor ? { cursor } : {}) } });
    expect(response.ok(), await response.text()).toBeTruthy();
    const body = await response.json();
    const found = body.items.find((p: { name: string }) => p.name === name);
    if (found) return found;
    if (!body.next_cursor) return undefined;
    cursor = body.next_cursor;
  }
  return undefined;
}
