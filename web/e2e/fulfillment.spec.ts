// Prize fulfillment in the browser: a platform lot won by a player, who claims it with a
// shipping address on their prize page; an admin ships it from the fulfillment screen;
// the winner sees the tracking and confirms delivery. Then a second prize: shipped, a
// dispute opened by its winner, and the admin compensates them. Every screen passes axe.
import type { APIRequestContext, Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import {
  adminApi,
  adminCredentials,
  bearerContext,
  createLot,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  test,
  type Player,
} from "./fixtures";

test.describe.configure({ mode: "serial" });

type Won = { player: Player; lot: { id: string; title: string }; revealId: string; api: APIRequestContext };

/** A platform lot bought out by one player (two $5 bundles against a $10 target), drawn. */
async function wonLot(admin: APIRequestContext, prefix: string): Promise<Won> {
  const lot = await createLot(admin, { title: `Prize ${prefix} ${Date.now().toString(36)}` });
  const player = await createPlayer(prefix);
  const api = await bearerContext(player.email, player.password);
  const answered = await api.post(`/api/lots/${lot.id}/trivia/attempt`, { data: { answer: "blue" } });
  expect((await answered.json()).correct).toBe(true);
  for (let i = 0; i < 2; i++) {
    const bought = await api.post(`/api/lots/${lot.id}/entries/purchase`, {
      headers: { "Idempotency-Key": randomUUID() },
      data: { bundle_index: 1 },
    });
    expect(bought.status(), await bought.text()).toBe(201);
  }
  // The funding purchase starts the draw in the background; the admin's trigger is the
  // fallback if it has not happened within a reasonable wait.
  const reveal = async () => {
    const page = await (await api.get("/api/users/me/reveals")).json();
    return page.items.find((r: { lot_id: string }) => r.lot_id === lot.id) as { id: string; status: string };
  };
  await expect
    .poll(async () => (await reveal()).status, { timeout: 15_000 })
    .toBe("won")
    .catch(async () => {
      await admin.post(`/api/admin/lots/${lot.id}/draw`);
      await admin.post(`/api/admin/lots/${lot.id}/settle`);
      await expect.poll(async () => (await reveal()).status, { timeout: 15_000 }).toBe("won");
    });
  return { player, lot, revealId: (await reveal()).id, api };
}

async function fillAddress(page: Page) {
  await page.getByLabel("Full name").fill("Ada Lovelace");
  await page.getByLabel("Address line 1").fill("12 St James's Square");
  await page.getByLabel("City").fill("London");
  await page.getByLabel("Postal code").fill("SW1Y 4JH");
  await page.getByLabel("Country code").fill("gb");
  await page.getByLabel("Phone").fill("+44 20 7946 0958");
}

const ADDRESS = {
  name: "Grace Hopper",
  line1: "1 Navy Way",
  city: "Arlington",
  region: "VA",
  postal_code: "22202",
  country: "US",
  phone: "+1 703 555 0100",
};

test("a winner claims a platform prize, an admin ships it, the winner confirms", async ({ browser }) => {
  const admin = await adminApi();
  const won = await wonLot(admin, "claimer");

  const winner = await (await browser.newContext()).newPage();
  await logInBrowser(winner, won.player);
  await winner.goto("/me/reveals");
  await winner.getByRole("link", { name: "Claim your prize" }).click();
  await expect(winner.getByRole("heading", { level: 1, name: /Your prize/ })).toBeVisible();
  await expect(winner.getByText("Give us a shipping address by")).toBeVisible();
  await expectAccessible(winner);
  // A bad country code is refused, with the reason by the field.
  await fillAddress(winner);
  await winner.getByLabel("Country code").fill("XX");
  await winner.getByRole("button", { name: "Claim my prize" }).click();
  await expect(winner.getByRole("alert").first()).toBeVisible();
  await winner.getByLabel("Country code").fill("GB");
  await winner.getByRole("button", { name: "Claim my prize" }).click();
  await expect(winner.getByRole("status").filter({ hasText: "Claimed" })).toBeVisible();
  await expect(winner.getByText("SW1Y 4JH")).toBeVisible();
  await expectAccessible(winner);

  const desk = await (await browser.newContext()).newPage();
  await logInBrowser(desk, adminCredentials());
  await desk.goto("/admin");
  await desk.getByRole("link", { name: "Prize fulfillment" }).click();
  const card = desk.getByRole("listitem", { name: won.lot.title });
  await expect(card.getByText("SW1Y 4JH")).toBeVisible();
  await expect(card.getByText(won.player.username)).toBeVisible();
  await expectAccessible(desk);
  await card.getByLabel("Carrier").fill("Royal Mail");
  await card.getByLabel("Tracking number").fill("RM123456789GB");
  await card.getByRole("button", { name: "Mark shipped" }).click();
  await desk.getByLabel("Show").selectOption("shipped");
  await expect(desk.getByRole("listitem", { name: won.lot.title }).getByText("RM123456789GB")).toBeVisible();

  await winner.reload();
  await expect(winner.getByText("RM123456789GB")).toBeVisible();
  await expect(winner.getByText("Royal Mail")).toBeVisible();
  await expectAccessible(winner);
  await winner.getByRole("button", { name: "Confirm delivery" }).click();
  await expect(winner.getByRole("status").filter({ hasText: "delivery confirmed" })).toBeVisible();
  await expect(winner.getByText("Delivered", { exact: true }).first()).toBeVisible();
  await won.api.dispose();
  await admin.dispose();
});

test("a winner disputes a shipped prize and the admin compensates them", async ({ browser }) => {
  const admin = await adminApi();
  const won = await wonLot(admin, "disputer");
  const claimed = await won.api.post(`/api/reveals/${won.revealId}/claim`, { data: { shipping_address: ADDRESS } });
  expect(claimed.ok(), await claimed.text()).toBeTruthy();
  const shipped = await admin.post(`/api/admin/reveals/${won.revealId}/ship`, {
    data: { carrier: "UPS", tracking_number: "1Z999AA10123456784" },
  });
  expect(shipped.ok(), await shipped.text()).toBeTruthy();

  const winner = await (await browser.newContext()).newPage();
  await logInBrowser(winner, won.player);
  await winner.goto(`/me/reveals/${won.revealId}`);
  await winner.getByLabel("It is not as described").check();
  await winner.getByLabel("Details").fill("A different watch came, without its papers.");
  await winner.getByRole("button", { name: "Open a dispute" }).click();
  await expect(winner.getByRole("status").filter({ hasText: "Dispute opened" })).toBeVisible();
  await expect(winner.getByText("Your dispute is open")).toBeVisible();
  await expectAccessible(winner);

  const desk = await (await browser.newContext()).newPage();
  await logInBrowser(desk, adminCredentials());
  await desk.goto("/admin/fulfillment");
  await desk.getByLabel("Show").selectOption("disputed");
  const card = desk.getByRole("listitem", { name: won.lot.title });
  await expect(card.getByText("A different watch came")).toBeVisible();
  await expectAccessible(desk);
  await card.getByLabel("Resolution note").fill("The host sent the wrong reference.");
  await card.getByRole("button", { name: "Compensate the winner" }).click();
  await expect(card.getByText("Paid in cash instead")).toBeVisible();

  await winner.reload();
  await expect(winner.getByText("This prize is paid to you in cash instead: $1,500.00")).toBeVisible();
  await expectAccessible(winner);
  await won.api.dispose();
  await admin.dispose();
});
