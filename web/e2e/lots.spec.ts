// Discovering lots, the lot page, the trivia gate and buying (cash in the sandbox, and
// credits), against the real platform. Set-up "elsewhere" goes through the API.
import type { APIRequestContext, Locator, Page } from "@playwright/test";
import {
  adminApi,
  baseURL,
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

/** A tag no other lot's title holds, so a search for it finds only this test's lots. */
const uniqueTag = () => newIdentity("t").username.replace(/_/g, "").slice(0, 14);

/** Another player buys a bundle through the API (answering the question first). */
async function buyElsewhere(lotId: string, bundleIndex: number) {
  const buyer = await createPlayer("buyer");
  const api = await bearerContext(buyer.email, buyer.password);
  const answered = await api.post(`/api/lots/${lotId}/trivia/attempt`, { data: { answer: "blue" } });
  expect((await answered.json()).correct).toBe(true);
  const bought = await api.post(`/api/lots/${lotId}/entries/purchase`, {
    data: { bundle_index: bundleIndex },
    headers: { "Idempotency-Key": crypto.randomUUID() },
  });
  expect(bought.status(), await bought.text()).toBe(201);
  await api.dispose();
}

async function myEntries(page: Page, lotId: string) {
  const response = await page.request.get("/api/users/me/entries?limit=100");
  expect(response.ok()).toBeTruthy();
  const body = await response.json();
  return (body.items as { lot_id: string; tickets_start: number; tickets_end: number }[]).filter(
    (entry) => entry.lot_id === lotId,
  );
}

/** Presses Tab until `target` has the focus (keyboard only); fails if it never does. */
async function tabTo(page: Page, target: Locator, limit = 80) {
  for (let i = 0; i < limit; i += 1) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error("Tab never reached the element");
}

const cards = (page: Page) => page.getByRole("list", { name: "Lots" }).getByRole("article");

test.describe("discovering lots", () => {
  let admin: APIRequestContext;
  test.beforeAll(async () => {
    admin = await adminApi();
  });
  test.afterAll(async () => {
    await admin.dispose();
  });

  test("search, filters, sort and Show more", async ({ page }) => {
    const tag = uniqueTag();
    const alpha = await createLot(admin, { title: `${tag} Alpha chronograph` });
    const soon = await createLot(admin, { title: `${tag} Bravo tourbillon`, deadlineInHours: 3 });
    const funded = await createLot(admin, { title: `${tag} Charlie diver` });
    await buyElsewhere(funded.id, 1); // $5 of $10: the most funded of the three

    await page.goto("/?limit=2");
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    const search = page.getByRole("searchbox", { name: "Search lots" });
    await search.fill(tag);
    await expect(page).toHaveURL(new RegExp(`[?&]q=${tag}`)); // shareable
    await expect(cards(page)).toHaveCount(2);
    await page.getByRole("button", { name: "Show more" }).click();
    await expect(cards(page)).toHaveCount(3);
    await expect(page.getByRole("button", { name: "Show more" })).toHaveCount(0);
    await expectAccessible(page);
    await screenshot(page, "lots");

    // A card shows the prize's facts.
    const charlie = cards(page).filter({ hasText: "Charlie diver" });
    await expect(charlie.getByRole("progressbar", { name: /Funding of/ })).toHaveAttribute("aria-valuenow", "50");
    await expect(charlie).toContainText("3 tickets for $5.00");
    await expect(charlie).toContainText("1 in 3 per ticket now");
    await expect(charlie).toContainText("about 3 at the lowest price");
    await expect(charlie).toContainText(/\d+ d \d+ h left/);

    // Sort: most funded first.
    await page.getByLabel("Sort by").selectOption("most_funded");
    await expect(cards(page).first()).toContainText("Charlie diver");
    await expect(page).toHaveURL(/sort=most_funded/);

    // Filter: ending within 24 hours leaves the one lot that does.
    await page.getByLabel("Ending within 24 hours").check();
    await expect(cards(page)).toHaveCount(1);
    await expect(cards(page).first()).toContainText("Bravo tourbillon");
    await page.getByLabel("Ending within 24 hours").uncheck();
    await expect(cards(page)).toHaveCount(2);

    // Search one lot by its title, case-insensitively; Back restores the wider search.
    await search.fill(`${tag} ALPHA`);
    await expect(cards(page)).toHaveCount(1);
    await expect(cards(page).first().getByRole("link")).toHaveText(`${tag} Alpha chronograph`);
    await page.goBack();
    await expect(search).toHaveValue(tag);
    await expect(cards(page)).toHaveCount(2);

    // Nothing found: a plain empty state.
    await search.fill(`${tag} nothing-like-this`);
    await expect(page.getByRole("heading", { name: "No lots found" })).toBeVisible();
    await expectAccessible(page);

    // A visitor opens a lot, sees everything, and is sent to log in to play. Its
    // gallery (three pictures, served by the platform itself) works by keyboard.
    const read = await (await admin.get(`/api/lots/${alpha.id}`)).json();
    const pictures = [1, 2, 3].map((n) => `${baseURL}/favicon.svg?picture=${n}`);
    const patched = await admin.patch(`/api/admin/product-classes/${read.product.product_class_id}`, {
      data: { images: pictures },
    });
    expect(patched.ok(), await patched.text()).toBeTruthy();
    await page.goto(`/lots/${alpha.id}`);
    const gallery = page.getByRole("group", { name: /Pictures of/ });
    const main = gallery.getByRole("img", { name: /picture 1 of 3/ });
    await expect(main).toHaveAttribute("src", pictures[0]!);
    const firstThumb = gallery.getByRole("button", { name: "Show picture 1 of 3" });
    await tabTo(page, firstThumb);
    await page.keyboard.press("ArrowRight");
    await expect(gallery.getByRole("img", { name: /picture 2 of 3/ })).toHaveAttribute("src", pictures[1]!);
    await expect(gallery.getByRole("button", { name: "Show picture 2 of 3" })).toBeFocused();
    await page.keyboard.press("End");
    await expect(gallery.getByRole("img", { name: /picture 3 of 3/ })).toBeVisible();
    await page.keyboard.press("ArrowRight"); // wraps round
    await expect(gallery.getByRole("img", { name: /picture 1 of 3/ })).toBeVisible();
    await expect(page.getByRole("heading", { level: 1, name: alpha.title })).toBeVisible();
    await expect(page.getByText("What colour is a clear daytime sky?")).toBeVisible();
    const login = page.getByRole("link", { name: "Log in to answer and buy" });
    await expect(login).toHaveAttribute("href", `/login?next=${encodeURIComponent(`/lots/${alpha.id}`)}`);
    await expectAccessible(page);
    expect(soon.id).toBeTruthy();
  });
});

test.describe("the trivia gate and buying", () => {
  let admin: APIRequestContext;
  test.beforeAll(async () => {
    admin = await adminApi();
  });
  test.afterAll(async () => {
    await admin.dispose();
  });

  test("three wrong answers start the cooldown; a double click on Buy buys once", async ({ page }) => {
    const player = await createPlayer();
    await logInBrowser(page, player);
    const gated = await createLot(admin, { title: `${uniqueTag()} Cooldown lot` });

    await page.goto(`/lots/${gated.id}`);
    const answer = page.getByLabel("What colour is a clear daytime sky?");
    await expect(page.getByText("Attempts left: 3 of 3.")).toBeVisible();
    for (const wrong of ["red", "green", "purple"]) {
      await answer.fill(wrong);
      await page.getByRole("button", { name: "Submit answer" }).click();
      await expect(answer).toHaveValue("");
    }
    const timer = page.getByRole("timer", { name: "Time until you can answer again" });
    await expect(timer).toHaveText(/^(2[34]:[0-5]\d:[0-5]\d)$/); // a day's cooldown
    const first = await timer.textContent();
    await expect(timer).not.toHaveText(first!, { timeout: 3000 }); // it counts down
    await expect(answer).toBeDisabled();
    await expect(page.getByRole("button", { name: "Submit answer" })).toBeDisabled();
    const status = await (await page.request.get(`/api/lots/${gated.id}/trivia/status`)).json();
    expect(status.cooldown_until).not.toBeNull();
    expect(status.attempts_left).toBe(0);
    await expectAccessible(page);
    await screenshot(page, "trivia-cooldown");

    // Another lot: pass the question, then double-click Buy.
    const lot = await createLot(admin, { title: `${uniqueTag()} Double click lot` });
    await page.goto(`/lots/${lot.id}`);
    await expect(page.getByRole("heading", { name: "Leaderboard" })).toBeVisible();
    await expect(page.getByText("Live: updates as they happen")).toBeVisible();
    await expectAccessible(page);
    await screenshot(page, "lot");
    await page.getByLabel("What colour is a clear daytime sky?").fill("Blue");
    await page.getByRole("button", { name: "Submit answer" }).click();
    await expect(page.getByText("You answered the question correctly")).toBeVisible();
    await expect(page.getByText("Test mode — no real money moves.").first()).toBeVisible();
    await page.getByRole("radio", { name: /3 tickets for \$5\.00/ }).check();
    const buy = page.getByRole("button", { name: "Buy 3 tickets for $5.00" });
    await buy.dblclick();
    await expect(page.getByRole("heading", { name: "You're in!" })).toHaveCount(1);
    await expect(page.getByRole("status").filter({ hasText: "You're in!" })).toContainText("#1–#3");
    await expect(page.getByRole("list", { name: "My ticket numbers" }).getByRole("listitem")).toHaveCount(1);
    await expect(page.getByText("You hold 3 tickets of the 3 tickets sold")).toBeVisible();
    // A third click, after the purchase, is a new purchase on purpose: not tested here.
    const entries = await myEntries(page, lot.id);
    expect(entries).toHaveLength(1);
    expect([entries[0]!.tickets_start, entries[0]!.tickets_end]).toEqual([1, 3]);
    const board = page.getByRole("table");
    await expect(board.getByRole("row")).toHaveCount(2);
    await expect(board).toContainText(player.username);
    await expectAccessible(page);
    await screenshot(page, "purchase");
  });

  test("credits: the balance is shown and too few credits are refused in words", async ({ page }) => {
    const player = await createPlayer();
    await logInBrowser(page, player);
    const lot = await createLot(admin, { title: `${uniqueTag()} Credits lot` });
    // No live connection to be had here (each one is closed at once): after a few
    // attempts the page falls back to polling the lot, and says so.
    await page.routeWebSocket(/\/api\/ws$/, (ws) => ws.close({ code: 1011, reason: "no live updates here" }));
    await page.goto(`/lots/${lot.id}`);
    await expect(page.getByText(/Live: updates every 5 s · last updated \d+ s ago/)).toBeVisible();
    await page.getByLabel("What colour is a clear daytime sky?").fill("blue");
    await page.getByRole("button", { name: "Submit answer" }).click();
    await expect(page.getByText("Your balance: 0 credits (100 credits buy one ticket).")).toBeVisible();

    // Polled progress is honest: when refreshing fails (the network drops the lot's
    // requests here), a warning says the figures may be out of date, until it recovers.
    const lotUrl = new RegExp(`/api/lots/${lot.id}$`);
    await page.route(lotUrl, (route) => route.abort("internetdisconnected"));
    const stale = page.getByRole("alert").filter({ hasText: "We couldn't refresh this lot" });
    await expect(stale).toBeVisible({ timeout: 20_000 });
    await expect(stale).toContainText(/last updated \d+ s ago/);
    await page.unroute(lotUrl);
    await expect(stale).toHaveCount(0, { timeout: 10_000 });

    await page.getByRole("spinbutton", { name: "Number of tickets" }).fill("2");
    await expect(page.getByText("Costs 200 credits.")).toBeVisible();
    await page.getByRole("button", { name: "Buy 2 tickets with credits" }).click();
    await expect(page.getByRole("alert")).toHaveText("You don't have enough credits for that.");
    expect(await myEntries(page, lot.id)).toHaveLength(0);
    await expectAccessible(page);
  });

  test("at 375 px wide, the buy flow by keyboard alone", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 800 });
    const player = await createPlayer();
    await logInBrowser(page, player);
    const lot = await createLot(admin, { title: `${uniqueTag()} Keyboard lot` });
    await page.goto(`/lots/${lot.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAccessible(page);

    const answer = page.getByLabel("What colour is a clear daytime sky?");
    await tabTo(page, answer);
    await page.keyboard.type("blue");
    await page.keyboard.press("Enter");
    const oneTicket = page.getByRole("radio", { name: /1 ticket for \$2\.00/ });
    await tabTo(page, oneTicket);
    await page.keyboard.press("Space");
    await expect(oneTicket).toBeChecked();
    const buy = page.getByRole("button", { name: "Buy 1 ticket for $2.00" });
    await tabTo(page, buy);
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { name: "You're in!" })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "You're in!" })).toContainText("#1");
    expect(await myEntries(page, lot.id)).toHaveLength(1);
    const after = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(after).toBeLessThanOrEqual(0);
    await expectAccessible(page);
  });
});

test("the checkout pages: cancel charges nothing; success waits for the payment", async ({ page }) => {
  await page.goto("/checkout/cancel?purchase=00000000-0000-0000-0000-000000000000");
  await expect(page.getByRole("heading", { name: "Payment cancelled" })).toBeVisible();
  await expect(page.getByText("Nothing was charged.")).toBeVisible();
  await expectAccessible(page);

  const player = await createPlayer();
  await logInBrowser(page, player);
  await page.goto("/checkout/success?purchase=00000000-0000-0000-0000-000000000000&session_id=cs_test");
  await expect(page.getByRole("status").filter({ hasText: "Confirming your payment" })).toBeVisible();
  await expectAccessible(page);
});
