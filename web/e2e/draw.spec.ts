// The draw page end to end: two players fund an alot-v1 lot through the API, it is drawn
// (its freeze cosigned by the local witness first), and one of them opens /lots/:id/draw,
// verifies the draw in the browser (every step of the recomputation passes, the freeze's
// witnessed timing too) and checks that their purchase is in the signed ledger.
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import type { APIRequestContext } from "@playwright/test";
import {
  adminApi,
  bearerContext,
  createLot,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  screenshot,
  test,
  type Player,
} from "./fixtures";

const repo = resolve(import.meta.dirname, "..", "..");

type Funded = { lotId: string; title: string; buyer: Player; seqs: number[] };
let funded: Funded | null = null;

test.describe.configure({ mode: "serial" });

async function buyOneBundle(api: APIRequestContext, lotId: string): Promise<{ ledger_seq: number; lot_status: string }> {
  const trivia = await api.post(`/api/lots/${lotId}/trivia/attempt`, { data: { answer: "blue" } });
  expect(trivia.ok(), await trivia.text()).toBeTruthy();
  expect((await trivia.json()).correct).toBe(true);
  const bought = await api.post(`/api/lots/${lotId}/entries/purchase`, {
    data: { bundle_index: 0 },
    headers: { "Idempotency-Key": crypto.randomUUID() },
  });
  expect(bought.ok(), await bought.text()).toBeTruthy();
  return bought.json();
}

/** The operator's periodic jobs once, now (`alot tick`), so a checkpoint covers the purchases. */
function checkpointNow() {
  execFileSync(join(repo, ".venv", "bin", "alot"), ["tick"], {
    cwd: repo,
    env: {
      ...process.env,
      ALOT_VAR_DIR: process.env.ALOT_E2E_VAR,
      ALOT_LEDGER_CHECKPOINT_INTERVAL_SECONDS: "1",
      ALOT_LOG_LEVEL: "WARNING",
    },
    stdio: "pipe",
  });
}

/** A two-player alot-v1 lot, funded and drawn, with a checkpoint covering its purchases. */
async function fundedLot(): Promise<Funded> {
  if (funded) return funded;
  const admin = await adminApi();
  const lot = await createLot(admin, {
    algorithm: "alot-v1",
    targetCents: 1_000,
    bundles: [{ price_cents: 500, tickets: 5 }],
  });
  const buyer = await createPlayer("drawbuyer");
  const other = await createPlayer("drawother");
  const seqs: number[] = [];
  for (const player of [buyer, other]) {
    const api = await bearerContext(player.email, player.password);
    const purchase = await buyOneBundle(api, lot.id);
    if (player === buyer) seqs.push(purchase.ledger_seq);
    await api.dispose();
  }
  // The funding purchase starts the draw in the background; the admin trigger is the
  // fallback if it has not happened within a reasonable wait.
  const drawn = async () => {
    const response = await admin.get(`/api/lots/${lot.id}/draw`);
    return (await response.json()).proof !== null;
  };
  await expect.poll(drawn, { timeout: 15_000 }).toBe(true).catch(async () => {
    const forced = await admin.post(`/api/admin/lots/${lot.id}/draw`);
    expect(forced.ok(), await forced.text()).toBeTruthy();
  });
  expect(await drawn()).toBe(true);
  checkpointNow();
  await expect
    .poll(async () => (await (await admin.get("/api/ledger/checkpoint")).json()).size, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(Math.max(...seqs));
  await admin.dispose();
  funded = { lotId: lot.id, title: lot.title, buyer, seqs };
  return funded;
}

test("before the draw: an open lot's page says what will happen and shows the commitment", async ({ page }) => {
  const admin = await adminApi();
  const lot = await createLot(admin, { algorithm: "alot-v2" });
  const record = await (await admin.get(`/api/lots/${lot.id}/draw`)).json();
  await admin.dispose();
  await page.goto(`/lots/${lot.id}/draw`);
  await expect(page.getByRole("heading", { level: 1, name: `Draw: ${lot.title}` })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Before the draw" })).toBeVisible();
  await expect(page.getByText(/The lot is open until/)).toBeVisible();
  await expect(page.getByText(record.server_seed_commitment)).toBeVisible();
  await expect(page.getByRole("button", { name: "Verify in your browser" })).toHaveCount(0);
  await expect(page.getByText(`alot-verify draw http://127.0.0.1:${process.env.ALOT_E2E_PORT}/api/lots/${lot.id}/draw/proof`)).toBeVisible();
  await expectAccessible(page);
});

test("a lot declared without a public beacon says so on its page and its draw page", async ({ page }) => {
  // The e2e server has no drand configured: an alot-v2 lot is declared beacon-less when
  // it opens, and players are told the operator could predict its draw.
  const admin = await adminApi();
  const lot = await createLot(admin, { algorithm: "alot-v2" });
  const served = await (await admin.get(`/api/lots/${lot.id}`)).json();
  expect(served.beacon_less).toBe(true);
  expect(served.draw_beacon).toBeNull();
  const memo = await (await admin.get(`/api/ledger/transactions/${served.draw.commitment_ledger_seq}`)).json();
  expect(memo.kind).toBe("draw_commitment");
  expect(memo.metadata.beacon).toBeNull();
  await admin.dispose();

  const notice = "Declared at opening without a public beacon: the operator could predict this draw";
  await page.goto(`/lots/${lot.id}`);
  await expect(page.getByRole("heading", { level: 1, name: lot.title })).toBeVisible();
  await expect(page.getByTestId("draw-randomness")).toContainText(notice);
  await expect(page.getByText(/Randomness: drand/)).toHaveCount(0);
  await page.goto(`/lots/${lot.id}/draw`);
  await expect(page.getByRole("heading", { name: "Before the draw" })).toBeVisible();
  await expect(page.getByTestId("draw-randomness")).toContainText(notice);
  await expect(page.getByText("none (declared at opening)")).toBeVisible();
  await expectAccessible(page);
});

test("a player verifies the draw in the browser and finds their purchase in the signed ledger", async ({ page }) => {
  test.setTimeout(120_000);
  const lot = await fundedLot();
  await logInBrowser(page, lot.buyer);
  await page.goto(`/lots/${lot.lotId}/draw`);
  await expect(page.getByRole("heading", { level: 1, name: `Draw: ${lot.title}` })).toBeVisible();
  await expect(page.getByRole("heading", { name: "The result" })).toBeVisible();

  const proof = await (await page.request.get(`/api/lots/${lot.lotId}/draw/proof`)).json();
  await expect(page.getByText(`Winning ticket ${proof.winning_ticket} of 10`)).toBeVisible();
  await expect(page.getByText(proof.server_seed, { exact: true })).toBeVisible();
  await expect(page.getByRole("region", { name: "Ticket map" }).getByRole("row")).toHaveCount(3);
  await expect(page.getByText(`alot-verify draw http://127.0.0.1:${process.env.ALOT_E2E_PORT}/api/lots/${lot.lotId}/draw/proof`)).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "draw");

  await page.getByRole("button", { name: "Verify in your browser" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Verification finished: the draw is verified." })).toBeVisible();
  const verdict = page.getByTestId("verdict");
  await expect(verdict).toContainText(`Verified: your browser recomputed the draw and got the same result, winning ticket ${proof.winning_ticket}.`);
  const steps = page.getByRole("list", { name: "Draw recomputation steps" }).getByRole("listitem");
  // Nine steps, plus entries.amounts: the lot names its holders by pseudonym, so its
  // entries carry their amounts and the browser checks they add up to the escrow.
  await expect(steps).toHaveCount(10);
  // The local witness (started by `alot run`) cosigned a checkpoint holding the freeze
  // before the draw: beacon.witnessed passes. The lot is alot-v1 (no drand round), so
  // beacon.witnessed_before_round does not apply; every other step passes.
  const witnessed = steps.filter({ hasText: "Independent witnesses saw the frozen draw inputs in the signed ledger" });
  await expect(witnessed).toContainText(/^✓Passed:/);
  await witnessed.getByText("How it was checked").click();
  await expect(witnessed.getByText(/^\d+ valid cosignature\(s\); T = /)).toBeVisible();
  await expect(witnessed).toContainText("Witnesses outside the operator cosigned");
  const beforeRound = steps.filter({ hasText: "The witnesses saw the frozen inputs before the drand round existed" });
  await expect(beforeRound).toContainText(/^–Not checked:/);
  await expect(beforeRound).toContainText("does not apply");
  for (const step of await steps.all()) {
    if ((await step.textContent())?.includes("before the drand round existed")) continue;
    await expect(step).toContainText(/^✓Passed:/);
  }
  for (const title of [
    "The revealed server seed matches the commitment published when the lot opened",
    "The client seed follows from the lot's public data",
    "The combined seed mixes the server seed, the client seed and the nonce",
    "The winning ticket follows from the combined seed",
    "The entries cover tickets 1 to 10 exactly",
    "The entries' amounts add up to the escrow frozen at the draw",
    `The winner is the player holding ticket ${proof.winning_ticket}`,
  ]) {
    await expect(steps.filter({ hasText: title })).toContainText("Passed");
  }
  const published = page.getByRole("list", { name: "Commitment publication checks" }).getByRole("listitem");
  await expect(published.filter({ hasText: "the lot page" })).toContainText("Passed");
  await expect(published.filter({ hasText: "the draw record" })).toContainText("Passed");
  // The ledger's draw_commitment record is public: checked in the signed ledger.
  await expect(published.filter({ hasText: "The ledger's record from the lot's opening" })).toContainText("Passed");
  await expect(page.getByText("Failed:")).toHaveCount(0);
  await steps.first().getByText("How it was checked").click();
  await expect(steps.first().getByText(proof.server_seed_commitment)).toHaveCount(2);
  await expectAccessible(page);
  await screenshot(page, "draw-verified");

  await page.getByRole("button", { name: "Check my purchase is in the ledger" }).click();
  await expect(page.getByRole("status").filter({ hasText: "1 of 1 purchase checked in the signed ledger." })).toBeVisible();
  const seq = lot.seqs[0]!;
  await expect(page.getByRole("heading", { name: `Your purchase of tickets 1–5 (ledger transaction ${seq})` })).toBeVisible();
  await expect(page.getByText(new RegExp(`In the ledger: transaction ${seq} is in the signed checkpoint of \\d+ transactions`))).toBeVisible();
  const ledgerSteps = page.getByRole("list", { name: `Ledger checks for transaction ${seq}` }).getByRole("listitem");
  await expect(ledgerSteps).toHaveCount(6);
  for (const step of await ledgerSteps.all()) await expect(step).toContainText(/^✓Passed:/);
  await expect(ledgerSteps.filter({ hasText: "signed by the ledger's key" })).toBeVisible();
  await expectAccessible(page);
});

test("at 375 px wide the draw page and its verification work too", async ({ page }) => {
  const lot = await fundedLot();
  await page.setViewportSize({ width: 375, height: 800 });
  // A spectator, so the winner is always shown by username (a long unbroken word), never as "you".
  await logInBrowser(page, await createPlayer("drawspectator"));
  await page.goto(`/lots/${lot.lotId}/draw`);
  await expect(page.getByRole("heading", { name: "The result" })).toBeVisible();
  await page.getByRole("button", { name: "Verify in your browser" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("verdict")).toContainText("Verified:");
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth).toBeLessThanOrEqual(375);
  await expectAccessible(page);
});
