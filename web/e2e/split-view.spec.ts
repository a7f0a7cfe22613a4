// Remembered checkpoints against the real server: the browser remembers the ledger's
// checkpoint; ordinary growth (a purchase, a new checkpoint) is proved consistent and
// shows nothing alarming; a second checkpoint of the same size with another root, signed
// with the server's real ledger key (the operator signing two histories, made by
// e2e/split_view_setup.py), raises the fork banner with both roots until dismissed.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Page } from "@playwright/test";
import { adminApi, bearerContext, createLot, createPlayer, expect, expectAccessible, screenshot, test } from "./fixtures";

const repo = resolve(import.meta.dirname, "..", "..");
const FORK_HEADING = "The ledger has shown this browser two different histories";

/** The operator's periodic jobs once, now (`alot tick`), with a checkpoint due at once. */
function checkpointNow() {
  execFileSync(join(repo, ".venv", "bin", "alot"), ["tick"], {
    cwd: repo,
    env: { ...process.env, ALOT_VAR_DIR: process.env.ALOT_E2E_VAR, ALOT_LEDGER_CHECKPOINT_INTERVAL_SECONDS: "1", ALOT_LOG_LEVEL: "WARNING" },
    stdio: "pipe",
  });
}

function setup(...args: string[]): string {
  return execFileSync(join(repo, ".venv", "bin", "python"), [join(import.meta.dirname, "split_view_setup.py"), ...args], {
    cwd: repo,
    env: { ...process.env, ALOT_VAR_DIR: process.env.ALOT_E2E_VAR ?? "", ALOT_LOG_LEVEL: "CRITICAL" },
    encoding: "utf8",
    stdio: "pipe",
  });
}

/** A checkpoint note of `size` with another root, signed with the server's ledger key. */
function otherHistory(size: number): { note: string; root: string } {
  const root = createHash("sha256").update(`another history of ${size} transactions`).digest("hex");
  return { note: setup(String(size)), root };
}

async function latestSize(page: Page): Promise<number> {
  const response = await page.request.get("/api/ledger/checkpoint");
  return response.ok() ? (await response.json()).size : 0;
}

/** Open /ledger and wait for the first check: the checkpoint the browser now remembers. */
async function rememberFirst(page: Page): Promise<{ size: number; root: string }> {
  await page.goto("/ledger");
  await expect(page.getByRole("heading", { level: 1, name: "Ledger" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: /First visit: this browser now remembers checkpoint \d+/ })).toBeVisible();
  const size = Number((await page.getByTestId("remembered-size").innerText()).split(" ")[0]);
  const root = (await page.getByTestId("remembered-root").innerText()).trim();
  expect(size).toBeGreaterThan(0);
  expect(root).toMatch(/^[0-9a-f]{64}$/);
  return { size, root };
}

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  checkpointNow(); // the demo lots' openings are in the ledger: sign a checkpoint of them
});

test("ordinary growth: a purchase and a new checkpoint, proved consistent, no banner", async ({ page }) => {
  test.setTimeout(90_000);
  const first = await rememberFirst(page);
  const cosigned = await (await page.request.get("/api/ledger/checkpoint/cosigned")).json();
  await expect(page.getByTestId("remembered-witnesses")).toHaveText(
    cosigned.size === first.size && cosigned.cosignatures.length === 0 ? /^not witnessed/ : /.+/,
  );

  // Someone buys a ticket; the operator's jobs sign a newer checkpoint.
  const admin = await adminApi();
  const lot = await createLot(admin, { targetCents: 10_000, bundles: [{ price_cents: 200, tickets: 1 }] });
  await admin.dispose();
  const player = await createPlayer("growth");
  const api = await bearerContext(player.email, player.password);
  expect((await api.post(`/api/lots/${lot.id}/trivia/attempt`, { data: { answer: "blue" } })).ok()).toBeTruthy();
  const bought = await api.post(`/api/lots/${lot.id}/entries/purchase`, {
    data: { bundle_index: 0 },
    headers: { "Idempotency-Key": crypto.randomUUID() },
  });
  expect(bought.ok(), await bought.text()).toBeTruthy();
  await api.dispose();
  checkpointNow();
  await expect.poll(() => latestSize(page), { timeout: 20_000 }).toBeGreaterThan(first.size);

  await page.reload();
  const grew = page.getByRole("status").filter({ hasText: new RegExp(`The ledger grew from ${first.size} to \\d+ transactions`) });
  await expect(grew).toBeVisible();
  const size = Number((await page.getByTestId("remembered-size").innerText()).split(" ")[0]);
  expect(size).toBeGreaterThan(first.size);
  await expect(page.getByTestId("remembered-root")).not.toHaveText(first.root);
  await expect(page.getByTestId("ledger-status")).toHaveText(new RegExp(`^Ledger: checkpoint ${size} checked · (not witnessed|witnessed by \\d+)$`));
  await expect(page.getByRole("heading", { name: FORK_HEADING })).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Two histories seen" })).toHaveCount(0);
  await expect(page.getByText(/\(the ledger's clock\)$/)).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "ledger");

  // Elsewhere in the app too: the check on load passes quietly.
  await page.goto("/");
  await expect(page.getByTestId("ledger-status")).toHaveText(/^Ledger: checkpoint \d+ checked/);
  await expect(page.getByRole("heading", { name: FORK_HEADING })).toHaveCount(0);
});

test("split view: a second validly signed checkpoint of the same size with another root raises the fork banner", async ({ page, browser }) => {
  test.setTimeout(90_000);
  const first = await rememberFirst(page);
  const other = otherHistory(first.size);
  expect(other.root).not.toBe(first.root);

  // The server shows this browser the other history (its real key signed it).
  const origin = (await (await page.request.get("/api/ledger/checkpoint/cosigned")).json()).origin;
  await page.route("**/api/ledger/checkpoint/cosigned", (route) =>
    route.fulfill({ json: { origin, size: first.size, note: other.note, cosignatures: [] } }),
  );
  await page.goto("/");
  const banner = page.getByRole("alert").filter({ has: page.getByRole("heading", { name: FORK_HEADING }) });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(`size ${first.size}, root ${first.root}`);
  await expect(banner).toContainText(`size ${first.size}, root ${other.root}`);
  await expect(banner).toContainText(`two checkpoints of size ${first.size} with different roots`);
  await expect(banner).toContainText("send it to an auditor");
  await expect(page.getByTestId("ledger-status")).toHaveText("Ledger: two histories seen (a fork)");
  await expectAccessible(page);
  await screenshot(page, "ledger-fork");

  // The evidence: both signed notes, as served.
  const downloading = page.waitForEvent("download");
  await banner.getByRole("button", { name: "Download the evidence" }).click();
  const download = await downloading;
  const evidence = JSON.parse(readFileSync((await download.path())!, "utf8"));
  expect(evidence.remembered).toMatchObject({ size: first.size, root: first.root });
  expect(evidence.shown).toEqual({ size: first.size, root: other.root, note: other.note });
  expect(evidence.remembered.note).toContain(`\n${first.size}\n`);
  expect(evidence.verifier_key).toBe((await (await page.request.get("/api/ledger/verifier-key")).json()).verifier_key);

  // The server goes back to the real history: the banner stays until dismissed.
  await page.unroute("**/api/ledger/checkpoint/cosigned");
  await page.reload();
  await expect(banner).toBeVisible();
  await banner.getByRole("button", { name: "Dismiss" }).click();
  await expect(page.getByRole("heading", { name: FORK_HEADING })).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("ledger-status")).toHaveText("Ledger: two histories seen (a fork)");
  await expect(page.getByRole("heading", { name: FORK_HEADING })).toHaveCount(0);

  // The Ledger page keeps the fork and its evidence; the remembered checkpoint is the real one.
  await page.goto("/ledger");
  await expect(page.getByRole("heading", { name: "Two histories seen" })).toBeVisible();
  await expect(page.getByTestId("remembered-root")).not.toHaveText(other.root);

  // Another browser, shown only the real history, sees no fork: the split view was this one's.
  const context = await browser.newContext();
  const elsewhere = await context.newPage();
  await elsewhere.goto("/ledger");
  await expect(elsewhere.getByRole("status").filter({ hasText: /First visit/ })).toBeVisible();
  await expect(elsewhere.getByRole("heading", { name: FORK_HEADING })).toHaveCount(0);
  await context.close();
});

test("a site that swaps its ledger key and name is not taken for a new ledger", async ({ page }) => {
  const first = await rememberFirst(page);
  const swapped = JSON.parse(setup(String(first.size), "--another-key")) as { note: string; verifier_key: string };
  const origin = swapped.verifier_key.split("+")[0];
  // Both the key and the checkpoint are the new ones: on its own, the pair checks out.
  await page.route("**/api/ledger/verifier-key", (route) => route.fulfill({ json: { verifier_key: swapped.verifier_key } }));
  await page.route("**/api/ledger/checkpoint/cosigned", (route) =>
    route.fulfill({ json: { origin, size: first.size, note: swapped.note, cosignatures: [] } }),
  );
  await page.reload();
  await expect(page.getByRole("status").filter({ hasText: "The checkpoint the ledger showed was not accepted" })).toBeVisible();
  await expect(page.getByText("the server now publishes another verifier key than the one this browser first saw")).toBeVisible();
  await expect(page.getByTestId("ledger-status")).toHaveText("Ledger: the latest checkpoint could not be checked");
  // The first checkpoint and key stay remembered; no fork is claimed (the new key proves nothing).
  await expect(page.getByTestId("remembered-root")).toHaveText(first.root);
  await expect(page.getByRole("heading", { name: FORK_HEADING })).toHaveCount(0);
  await expectAccessible(page);
});
