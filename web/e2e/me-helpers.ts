// Set-up for the player's records: a lot that expires unfunded with two purchases of one
// player, made through the API as the player would elsewhere. The expiry and the start
// of its refunds are the platform's own, with no admin step and no operator: a short
// deadline, then the server's scheduler (every 2 s in these tests). `tick()` runs the
// same jobs by hand, as an operator would with `alot tick`.
import type { APIRequestContext, Locator, Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join, resolve } from "node:path";
import { adminApi, bearerContext, createLot, createPlayer, expect, type Player } from "./fixtures";

const repo = resolve(import.meta.dirname, "..", "..");

export type Purchase = { id: string; tickets_start: number; tickets_end: number; amount_cents: number };

/** One periodic run of the platform's jobs (expiry, refunds, draws) on the e2e server's data. */
export function tick() {
  execFileSync(join(repo, ".venv", "bin", "alot"), ["tick"], {
    cwd: repo,
    env: { ...process.env, ALOT_VAR_DIR: process.env.ALOT_E2E_VAR },
    stdio: "pipe",
    timeout: 60_000,
  });
}

export async function buy(buyer: APIRequestContext, lotId: string, bundleIndex: number): Promise<Purchase> {
  const bought = await buyer.post(`/api/lots/${lotId}/entries/purchase`, {
    headers: { "Idempotency-Key": randomUUID() },
    data: { bundle_index: bundleIndex },
  });
  expect(bought.status(), await bought.text()).toBe(201);
  return bought.json();
}

/** A player with two cash purchases in a lot that expired unfunded and is refunding: its
 * refunds started by themselves at the deadline (no admin step). */
export async function refundingLot(): Promise<{
  player: Player;
  lot: { id: string; title: string };
  purchases: [Purchase, Purchase];
  admin: APIRequestContext;
}> {
  const admin = await adminApi();
  const player = await createPlayer("refund");
  const deadlineSeconds = 15;
  const lot = await createLot(admin, {
    title: `Expiring watch ${Date.now().toString(36)}`,
    targetCents: 100_000, // never funded by two small purchases
    deadlineInHours: deadlineSeconds / 3600,
  });
  const deadline = Date.now() + deadlineSeconds * 1000;
  const buyer = await bearerContext(player.email, player.password);
  const answered = await buyer.post(`/api/lots/${lot.id}/trivia/attempt`, { data: { answer: "blue" } });
  expect(answered.ok(), await answered.text()).toBeTruthy();
  expect((await answered.json()).correct).toBe(true);
  const first = await buy(buyer, lot.id, 0); // $2.00, 1 ticket
  const second = await buy(buyer, lot.id, 1); // $5.00, 3 tickets
  await buyer.dispose();

  // Past the deadline the server's scheduler expires the lot and starts its refunds.
  await new Promise((done) => setTimeout(done, Math.max(0, deadline - Date.now() + 500)));
  await expect
    .poll(async () => (await (await admin.get(`/api/lots/${lot.id}`)).json()).status, {
      message: "the lot's refunds start by themselves after its deadline",
      timeout: 30_000,
      intervals: [1_000],
    })
    .toBe("refunding");
  return { player, lot, purchases: [first, second], admin };
}

/** Presses Tab until `target` has the focus (keyboard only, as a player would). */
export async function tabTo(page: Page, target: Locator, most = 60) {
  for (let i = 0; i < most; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}
