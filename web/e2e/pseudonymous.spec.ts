// Pseudonymous holders (#19) end to end: a lot created now names its holders in the public
// draw proof by a per-lot pseudonym. Two players fund it; the draw page's ticket map shows
// pseudonyms (no user id), marks the player's own row "you" and shows what it paid and
// its ledger transaction, the in-browser verification passes (entries.amounts included),
// the player's purchase in the ledger carries the holder their receipt gives, and
// My entries and the lot page tell the player the pseudonym the proof uses for them.
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import type { APIRequestContext } from "@playwright/test";
import { adminApi, bearerContext, createLot, createPlayer, expect, expectAccessible, logInBrowser, test, type Player } from "./fixtures";

const repo = resolve(import.meta.dirname, "..", "..");
const HOLDER = /^[0-9a-f]{64}$/;

type Drawn = { lotId: string; title: string; buyer: Player; buyerId: string; buyerHolder: string; otherId: string; seq: number };
let drawn: Drawn | null = null;

test.describe.configure({ mode: "serial" });

async function buyOneBundle(api: APIRequestContext, lotId: string): Promise<{ ledger_seq: number }> {
  const trivia = await api.post(`/api/lots/${lotId}/trivia/attempt`, { data: { answer: "blue" } });
  expect(trivia.ok(), await trivia.text()).toBeTruthy();
  const bought = await api.post(`/api/lots/${lotId}/entries/purchase`, {
    data: { bundle_index: 0 },
    headers: { "Idempotency-Key": crypto.randomUUID() },
  });
  expect(bought.ok(), await bought.text()).toBeTruthy();
  return bought.json();
}

/** The player's pseudonym in the lot, as their entries (their receipt) give it. */
async function holderOf(api: APIRequestContext, lotId: string): Promise<string> {
  const entries = await (await api.get("/api/users/me/entries?limit=100")).json();
  const mine = entries.items.filter((e: { lot_id: string }) => e.lot_id === lotId);
  expect(mine.length).toBeGreaterThan(0);
  const holders = new Set(mine.map((e: { holder: string | null }) => e.holder));
  expect(holders.size).toBe(1);
  return [...holders][0] as string;
}

function checkpointNow() {
  execFileSync(join(repo, ".venv", "bin", "alot"), ["tick"], {
    cwd: repo,
    env: { ...process.env, ALOT_VAR_DIR: process.env.ALOT_E2E_VAR, ALOT_LEDGER_CHECKPOINT_INTERVAL_SECONDS: "1", ALOT_LOG_LEVEL: "WARNING" },
    stdio: "pipe",
  });
}

async function drawnLot(): Promise<Drawn> {
  if (drawn) return drawn;
  const admin = await adminApi();
  const lot = await createLot(admin, { algorithm: "alot-v1", targetCents: 1_000, bundles: [{ price_cents: 500, tickets: 5 }] });
  const served = await (await admin.get(`/api/lots/${lot.id}`)).json();
  expect(served.pseudonymous_holders).toBe(true);
  const buyer = await createPlayer("holderbuyer");
  const other = await createPlayer("holderother");
  const ids: string[] = [];
  const holders: string[] = [];
  let seq = 0;
  for (const player of [buyer, other]) {
    const api = await bearerContext(player.email, player.password);
    const purchase = await buyOneBundle(api, lot.id);
    if (player === buyer) seq = purchase.ledger_seq;
    ids.push((await (await api.get("/api/users/me")).json()).id);
    holders.push(await holderOf(api, lot.id));
    await api.dispose();
  }
  expect(holders[0]).toMatch(HOLDER);
  expect(holders[1]).toMatch(HOLDER);
  expect(holders[0]).not.toBe(holders[1]);
  const isDrawn = async () => (await (await admin.get(`/api/lots/${lot.id}/draw`)).json()).proof !== null;
  await expect.poll(isDrawn, { timeout: 15_000 }).toBe(true).catch(async () => {
    const forced = await admin.post(`/api/admin/lots/${lot.id}/draw`);
    expect(forced.ok(), await forced.text()).toBeTruthy();
  });
  expect(await isDrawn()).toBe(true);
  checkpointNow();
  await expect.poll(async () => (await (await admin.get("/api/ledger/checkpoint")).json()).size, { timeout: 20_000 }).toBeGreaterThanOrEqual(seq);
  await admin.dispose();
  drawn = { lotId: lot.id, title: lot.title, buyer, buyerId: ids[0]!, buyerHolder: holders[0]!, otherId: ids[1]!, seq };
  return drawn;
}

test("the public proof names holders by pseudonym only", async ({ request }) => {
  test.setTimeout(120_000);
  const lot = await drawnLot();
  const text = await (await request.get(`/api/lots/${lot.lotId}/draw/proof`)).text();
  const proof = JSON.parse(text);
  expect(proof.entries).toHaveLength(2);
  for (const entry of proof.entries) {
    expect(entry.holder).toMatch(HOLDER);
    expect(entry).not.toHaveProperty("user_id");
  }
  expect(proof.winner_holder).toMatch(HOLDER);
  expect(proof).not.toHaveProperty("winner_user_id");
  expect(text).not.toContain(lot.buyerId);
  expect(text).not.toContain(lot.otherId);
  expect(proof.entries.map((e: { holder: string }) => e.holder)).toContain(lot.buyerHolder);
});

test("the draw page shows pseudonyms, marks the player's row, and verifies", async ({ page }) => {
  test.setTimeout(120_000);
  const lot = await drawnLot();
  await logInBrowser(page, lot.buyer);
  await page.goto(`/lots/${lot.lotId}/draw`);
  await expect(page.getByRole("heading", { name: "The result" })).toBeVisible();
  const proof = await (await page.request.get(`/api/lots/${lot.lotId}/draw/proof`)).json();
  // The winner line still names the winner (winners are announced).
  await expect(page.getByText(`Winning ticket ${proof.winning_ticket} of 10`)).toBeVisible();

  const map = page.getByRole("region", { name: "Ticket map" });
  await expect(map.getByRole("columnheader", { name: "Holder (pseudonym)" })).toBeVisible();
  const rows = map.getByRole("row");
  await expect(rows).toHaveCount(3);
  const mine = rows.filter({ hasText: lot.buyerHolder.slice(0, 12) });
  await expect(mine).toHaveCount(1);
  await expect(mine).toContainText("(you)");
  await expect(mine.locator(`abbr[title="${lot.buyerHolder}"]`)).toHaveCount(1);
  await expect(rows.filter({ hasText: "(you)" })).toHaveCount(1);
  // Tickets tied to money: the player's row says what their purchase put in escrow (the
  // $5.00 bundle) and which ledger transaction it is, as their receipt does.
  await expect(map.getByRole("columnheader", { name: "Paid" })).toBeVisible();
  await expect(map.getByRole("columnheader", { name: "Ledger tx" })).toBeVisible();
  const myEntry = proof.entries.find((e: { holder: string }) => e.holder === lot.buyerHolder);
  expect(myEntry).toMatchObject({ amount_cents: 500, purchase_seq: lot.seq });
  await expect(mine.getByRole("cell").nth(2)).toHaveText("$5.00");
  await expect(mine.getByRole("cell").nth(3)).toHaveText(String(lot.seq));
  // No user id in the ticket map: not the player's, not the other player's.
  await expect(map).not.toContainText(lot.buyerId);
  await expect(map).not.toContainText(lot.otherId);
  await expect(page.getByTestId("you-appear-as")).toContainText(`In this lot's draw proof you appear as ${lot.buyerHolder}`);
  await expect(page.getByTestId("pseudonym-note")).toBeVisible();
  await expectAccessible(page);

  await page.getByRole("button", { name: "Verify in your browser" }).click();
  await expect(page.getByTestId("verdict")).toContainText(`Verified: your browser recomputed the draw and got the same result, winning ticket ${proof.winning_ticket}.`);
  const steps = page.getByRole("list", { name: "Draw recomputation steps" }).getByRole("listitem");
  await expect(steps.filter({ hasText: `The winner is the player holding ticket ${proof.winning_ticket}` })).toContainText("Passed");
  await expect(steps.filter({ hasText: "The entries' amounts add up to the escrow frozen at the draw" })).toContainText(/^✓Passed:/);
  await expect(page.getByText("Failed:")).toHaveCount(0);

  await page.getByRole("button", { name: "Check my purchase is in the ledger" }).click();
  await expect(page.getByRole("status").filter({ hasText: "1 of 1 purchase checked in the signed ledger." })).toBeVisible();
  const ledgerSteps = page.getByRole("list", { name: `Ledger checks for transaction ${lot.seq}` }).getByRole("listitem");
  await expect(ledgerSteps.filter({ hasText: "The transaction is your purchase in this lot" })).toContainText(/^✓Passed:/);
  for (const step of await ledgerSteps.all()) await expect(step).toContainText(/^✓Passed:/);
  await expectAccessible(page);
});

test("My entries and the lot page tell the player their pseudonym", async ({ page }) => {
  test.setTimeout(120_000);
  const lot = await drawnLot();
  await logInBrowser(page, lot.buyer);
  await page.goto("/me/entries");
  const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: lot.title }) });
  await expect(card.getByTestId("you-appear-as")).toContainText(`In this lot's draw proof you appear as ${lot.buyerHolder}`);
  await expectAccessible(page);
  await page.goto(`/lots/${lot.lotId}`);
  await expect(page.getByTestId("pseudonym-note")).toContainText("names players by a pseudonym for this lot only");
  await expect(page.getByTestId("you-appear-as")).toContainText(lot.buyerHolder);
  await expectAccessible(page);
});
