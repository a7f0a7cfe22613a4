// Scenario 1 of the web client: a newcomer's whole journey in the browser, from
// registration to a draw they verify themselves. Set-up that happens "elsewhere" (the
// admin's lots, a second player completing the funding, the operator's periodic jobs)
// goes through the API and `alot tick`; everything the player does is in the browser.
import type { Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import {
  adminApi,
  bearerContext,
  createLot,
  createPlayer,
  expect,
  expectAccessible,
  linkFromEmail,
  newIdentity,
  screenshot,
  test,
} from "./fixtures";
import { buy, tick } from "./me-helpers";

const repo = resolve(import.meta.dirname, "..", "..");

async function passTrivia(page: Page) {
  const answer = page.getByLabel("What colour is a clear daytime sky?");
  await answer.fill("Blue");
  await page.getByRole("button", { name: "Submit answer" }).click();
  await expect(page.getByText("You answered the question correctly")).toBeVisible();
}

async function balance(page: Page): Promise<number> {
  return (await (await page.request.get("/api/users/me/credits")).json()).balance_credits;
}

test("a newcomer registers, plays with cash and credits, and verifies the draw in the browser", async ({ page }) => {
  test.setTimeout(240_000);
  const admin = await adminApi();
  const player = newIdentity("journey");

  // 1. Register, confirm by the emailed link, log in.
  await page.goto("/");
  await page.getByRole("link", { name: "Sign up" }).click();
  await page.getByLabel("Email", { exact: true }).fill(player.email);
  await page.getByLabel("Username", { exact: true }).fill(player.username);
  await page.getByLabel("Password", { exact: true }).fill(player.password);
  await page.getByLabel("Date of birth").fill("1992-07-14");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await page.goto(await linkFromEmail(player.email, "/verify"));
  await expect(page.getByRole("heading", { name: "Your email is confirmed" })).toBeVisible();
  await page.getByRole("link", { name: "Log in" }).last().click();
  await page.getByLabel("Email", { exact: true }).fill(player.email);
  await page.getByLabel("Password", { exact: true }).fill(player.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("link", { name: `Account (${player.username})` })).toBeVisible();

  // 2. A first lot misses its deadline: the player's $2 ticket comes back as 300 credits.
  const expiring = await createLot(admin, { title: `Journey expiring ${player.username}`, targetCents: 100_000, deadlineInHours: 30 / 3600 });
  const deadline = Date.now() + 30_000;
  await page.goto(`/lots/${expiring.id}`);
  await passTrivia(page);
  await page.getByRole("radio", { name: /1 ticket for \$2\.00/ }).check();
  await page.getByRole("button", { name: "Buy 1 ticket for $2.00" }).click();
  await expect(page.getByRole("heading", { name: "You're in!" })).toBeVisible();
  await expect(page.getByText("Test mode — no real money moves.").first()).toBeVisible();
  await page.waitForTimeout(Math.max(0, deadline - Date.now() + 500));
  await expect
    .poll(async () => {
      tick();
      return (await (await admin.get(`/api/lots/${expiring.id}`)).json()).status;
    }, { timeout: 30_000, intervals: [1_000] })
    .toBe("refunding"); // expired, and its refunds started by themselves
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My entries" }).click();
  const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: expiring.title }) });
  await card.getByRole("link", { name: "Choose your refund for tickets #1" }).click();
  await expect(page.getByText("300 credits").first()).toBeVisible();
  await page.getByRole("button", { name: "Choose credits" }).click();
  await page.getByRole("dialog", { name: "Refund in credits?" }).getByRole("button", { name: "Confirm credits" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Done: 300 credits were added to your balance." })).toBeVisible();
  expect(await balance(page)).toBe(300);

  // 3. The lot they came for: trivia, then cash, then credits.
  const lot = await createLot(admin, { title: `Journey lot ${player.username}`, targetCents: 1_000, algorithm: "alot-v1" });
  await page.goto("/");
  await page.getByRole("searchbox", { name: "Search lots" }).fill(lot.title);
  await page.getByRole("link", { name: lot.title }).click();
  await expect(page.getByRole("heading", { level: 1, name: lot.title })).toBeVisible();
  await passTrivia(page);
  await page.getByRole("radio", { name: /3 tickets for \$5\.00/ }).check();
  await page.getByRole("button", { name: "Buy 3 tickets for $5.00" }).click();
  await expect(page.getByRole("status").filter({ hasText: "You're in!" })).toContainText("#1–#3");
  await page.getByRole("spinbutton", { name: "Number of tickets" }).fill("2");
  await expect(page.getByText("Costs 200 credits.")).toBeVisible();
  await page.getByRole("button", { name: "Buy 2 tickets with credits" }).click();
  await expect(page.getByRole("status").filter({ hasText: "You're in!" }).last()).toContainText("#4–#5");
  expect(await balance(page)).toBe(100);
  await expectAccessible(page);

  // 4. A second player completes the funding elsewhere; the lot is drawn.
  const other = await createPlayer("journey2");
  const api = await bearerContext(other.email, other.password);
  expect((await (await api.post(`/api/lots/${lot.id}/trivia/attempt`, { data: { answer: "blue" } })).json()).correct).toBe(true);
  await buy(api, lot.id, 0);
  await buy(api, lot.id, 0);
  await api.dispose();
  const drawn = async () => (await (await admin.get(`/api/lots/${lot.id}/draw`)).json()).proof !== null;
  await expect.poll(drawn, { timeout: 15_000 }).toBe(true).catch(async () => {
    expect((await admin.post(`/api/admin/lots/${lot.id}/draw`)).ok()).toBeTruthy();
  });
  expect(await drawn()).toBe(true);
  // The operator's jobs: settle (credits for non-winners) and a fresh signed checkpoint.
  execFileSync(join(repo, ".venv", "bin", "alot"), ["tick"], {
    cwd: repo,
    env: { ...process.env, ALOT_VAR_DIR: process.env.ALOT_E2E_VAR, ALOT_LEDGER_CHECKPOINT_INTERVAL_SECONDS: "1" },
    stdio: "pipe",
  });

  // 5. The player sees the draw and verifies it in their own browser.
  await page.goto(`/lots/${lot.id}`);
  await page.getByRole("link", { name: /draw/i }).first().click();
  await expect(page).toHaveURL(new RegExp(`/lots/${lot.id}/draw$`));
  await expect(page.getByRole("heading", { name: "The result" })).toBeVisible();
  await page.getByRole("button", { name: "Verify in your browser" }).click();
  await expect(page.getByTestId("verdict")).toContainText("Verified: your browser recomputed the draw");
  await expect(page.getByText("Failed:")).toHaveCount(0);
  await page.getByRole("button", { name: "Check my purchase is in the ledger" }).click();
  await expect(page.getByRole("status").filter({ hasText: "2 of 2 purchases checked in the signed ledger." })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "journey-verified");

  // 6. Their credits: the 100 left, plus what losing earned them (the winner earns none).
  const proof = await (await page.request.get(`/api/lots/${lot.id}/draw/proof`)).json();
  const won = proof.winning_ticket >= 1 && proof.winning_ticket <= 5;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Credits" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Credits" })).toBeVisible();
  const credits = await balance(page);
  if (won) expect(credits).toBe(100);
  else expect(credits).toBeGreaterThan(100);
  await expect(page.getByText(new RegExp(`${credits.toLocaleString("en-US")} credits`)).first()).toBeVisible();
  await expectAccessible(page);
  await admin.dispose();
});
