// Free entry (no purchase necessary) through the browser: a player answers the question,
// enters for free, sees the ticket and their odds next to a paid buyer's; an admin
// records a postal entry on the lot screen.
import type { APIRequestContext } from "@playwright/test";
import {
  adminApi,
  adminCredentials,
  bearerContext,
  createLot,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  newIdentity,
  screenshot,
  test,
} from "./fixtures";

/** Another player buys 3 tickets through the API (answering the question first). */
async function buyThreeElsewhere(lotId: string) {
  const buyer = await createPlayer("buyer");
  const api = await bearerContext(buyer.email, buyer.password);
  const answered = await api.post(`/api/lots/${lotId}/trivia/attempt`, { data: { answer: "blue" } });
  expect((await answered.json()).correct).toBe(true);
  const bought = await api.post(`/api/lots/${lotId}/entries/purchase`, {
    data: { bundle_index: 1 },
    headers: { "Idempotency-Key": crypto.randomUUID() },
  });
  expect(bought.status(), await bought.text()).toBe(201);
  await api.dispose();
}

test.describe("free entry", () => {
  let admin: APIRequestContext;
  test.beforeAll(async () => {
    admin = await adminApi();
  });
  test.afterAll(async () => {
    await admin.dispose();
  });

  test("a player enters for free and sees the ticket and the same odds", async ({ page }) => {
    const tag = newIdentity("free").username;
    const lot = await createLot(admin, { title: `${tag} Free entry lot` });
    await buyThreeElsewhere(lot.id); // tickets 1-3, paid
    const player = await createPlayer();
    await logInBrowser(page, player);

    await page.goto(`/lots/${lot.id}`);
    await expect(page.getByTestId("free-entry-rule")).toHaveText(
      "One free entry per player in this lot (no purchase necessary)",
    );
    await expect(page.getByText("Every ticket, paid or free, has the same chance.")).toBeVisible();
    await page.getByLabel("What colour is a clear daytime sky?").fill("blue");
    await page.getByRole("button", { name: "Submit answer" }).click();
    const panel = page.getByTestId("free-entry");
    await expect(panel.getByRole("heading", { name: "Free entry (no purchase necessary)" })).toBeVisible();
    await expect(panel).toContainText("the same chance to win as a paid ticket");
    await panel.getByRole("button", { name: "Enter for free" }).dblclick();

    await expect(panel.getByRole("status")).toContainText("your ticket is #4");
    await expect(page.getByTestId("my-odds")).toContainText("1 in 4");
    await expect(page.getByTestId("my-odds")).toContainText("1 free ticket included");
    await expect(page.getByText("You hold 1 ticket of the 4 tickets sold")).toBeVisible();
    await expect(page.getByRole("list", { name: "My ticket numbers" })).toContainText("#4 (free entry");
    await expect(panel).toContainText("You have used your free entry in this lot.");
    await expect(panel.getByRole("button", { name: "Enter for free" })).toBeDisabled();

    // The double click entered once.
    const entries = await page.request.get("/api/users/me/entries?limit=100");
    const mine = ((await entries.json()).items as { lot_id: string; method: string }[]).filter((e) => e.lot_id === lot.id);
    expect(mine.map((e) => e.method)).toEqual(["free"]);
    await expectAccessible(page);
    await screenshot(page, "free-entry");
  });

  test("an admin records a postal free entry", async ({ page }) => {
    const tag = newIdentity("postal").username;
    const lot = await createLot(admin, { title: `${tag} Postal entry lot` });
    const player = await createPlayer("postal");
    const playerApi = await bearerContext(player.email, player.password);
    const me = await (await playerApi.get("/api/users/me")).json();

    await logInBrowser(page, adminCredentials());
    await page.goto(`/admin/lots/${lot.id}`);
    const form = page.getByRole("form", { name: "Record a postal free entry" });
    await form.getByLabel("Player's user id").fill(me.id);
    await form.getByLabel("Received on").fill("2026-12-01");
    await form.getByLabel("Reference").fill(`PO-${tag}`);
    await form.getByLabel("Answer on the card").fill("Blue");
    await form.getByRole("button", { name: "Record postal entry" }).click();
    await expect(form.getByRole("status")).toContainText("Recorded: ticket #1");
    await expectAccessible(page);

    // The player sees the ticket as theirs; the same card again is the same entry.
    const entries = await (await playerApi.get("/api/users/me/entries?limit=100")).json();
    const mine = (entries.items as { lot_id: string; method: string; tickets_start: number }[]).filter(
      (e) => e.lot_id === lot.id,
    );
    expect(mine.map((e) => [e.method, e.tickets_start])).toEqual([["free", 1]]);
    const again = await admin.post(`/api/admin/lots/${lot.id}/free-entries`, {
      data: { user_id: me.id, received_on: "2026-12-01", reference: `PO-${tag}`, trivia_answer: "blue" },
    });
    expect(again.status()).toBe(200);
    const odds = await (await playerApi.get(`/api/lots/${lot.id}/my-odds`)).json();
    expect([odds.my_odds, odds.free_entry.available]).toEqual(["1 in 1", false]);
    await playerApi.dispose();
  });
});
