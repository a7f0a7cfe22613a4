// The admin desk in a real browser: scenario 3 of the issue (an admin creates, opens and
// extends a lot's deadline while it sells, with a reason; a player cannot reach the
// desk), refunds that start by themselves and their progress, and the reconciliation, role changes behind confirmation dialogs, and the desk at 375 px.
import {
  adminApi,
  adminCredentials,
  baseURL,
  bearerContext,
  createLot,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  mailbox,
  newIdentity,
  screenshot,
  test,
} from "./fixtures";
import { request } from "@playwright/test";
import { findProductClass, localText, lotState, wholeSecond, ZONE } from "./admin-helpers";

test.use({ timezoneId: ZONE });

test("an admin creates a product class and a lot, opens it and extends it; a player can't reach the desk", async ({
  page,
  browser,
}) => {
  test.setTimeout(150_000);
  const admin = await adminApi();
  const tag = newIdentity("desk").username;
  await logInBrowser(page, adminCredentials());

  await page.goto("/admin");
  await expect(page.getByRole("heading", { name: "Admin desk", level: 1 })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Lots by status" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Open", exact: true })).toBeVisible();
  await expectAccessible(page);

  // The catalogue: a product class with a retail value in dollars, a spec and an image.
  await page.getByRole("link", { name: "Product classes" }).click();
  await expect(page.getByRole("heading", { name: "Product classes", level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "Add a product class" }).click();
  const productName = `Diver ${tag}`;
  await page.getByLabel("Name *").fill(productName);
  await page.getByLabel("Brand").fill("Acme");
  await page.getByLabel("Category *").fill("watch");
  await page.getByLabel("Tier *").selectOption("GRAIL");
  await page.getByLabel("Retail value in dollars *").fill("1,250.5");
  await page.getByRole("button", { name: "Add a specification" }).click();
  await page.getByLabel("Specification 1 name").fill("case_mm");
  await page.getByLabel("Specification 1 value").fill("40");
  await page.getByRole("button", { name: "Add an image" }).click();
  await page.getByLabel("Image 1 address").fill("http://img.example.com/diver.jpg");
  await page.getByRole("button", { name: "Add product class" }).click();
  await expect(page.getByText("An image is an https:// address.")).toBeVisible(); // nothing sent yet
  await page.getByLabel("Image 1 address").fill("https://img.example.com/diver.jpg");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Add product class" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Added “${productName}”` })).toBeVisible();
  const product = await findProductClass(admin, productName);
  expect(product).toMatchObject({
    brand: "Acme",
    category: "watch",
    tier: "GRAIL",
    retail_value_cents: 125_050,
    specifications: { case_mm: 40 },
    images: ["https://img.example.com/diver.jpg"],
  });

  // A lot on it, with a deadline an hour away typed in the browser's zone (+05:30).
  await page.goto("/admin/lots");
  await page.getByRole("link", { name: "Create a lot" }).click();
  await expect(page.getByRole("heading", { name: "Create a lot" })).toBeVisible();
  const title = `Desk lot ${tag}`;
  const deadline = wholeSecond(Date.now() + 3600_000);
  await page.getByLabel("Prize (product class) *").selectOption({ label: `Acme ${productName} ($1,250.50)` });
  await page.getByLabel("Title *").fill(title);
  await page.getByLabel("Funding target in dollars *").fill("1,000");
  await page.getByLabel("Bundle 1 price in dollars").fill("2");
  await page.getByLabel("Bundle 1 tickets").fill("1");
  await page.getByRole("button", { name: "Add a bundle" }).click();
  await page.getByLabel("Bundle 2 price in dollars").fill("5.00");
  await page.getByLabel("Bundle 2 tickets").fill("3");
  await page.getByLabel("Non-winner credit rate (%)").fill("15");
  await page.getByLabel("Trivia question *").fill("How many sides has a hexagon?");
  await page.getByLabel("Trivia answer *").fill("6");
  await page.getByLabel("Deadline *").fill(localText(deadline));
  await page.getByLabel("Draw algorithm").selectOption("alot-v1");
  await page.getByRole("button", { name: "Create lot" }).click();

  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  const lotId = page.url().split("/admin/lots/")[1]!;
  let lot = await lotState(admin, lotId);
  expect(lot).toMatchObject({ status: "created", title });
  expect(new Date(lot.deadline).getTime()).toBe(deadline.getTime());
  const created = await (await admin.get(`/api/lots/${lotId}`)).json();
  expect(created.funding.target_cents).toBe(100_000);
  expect(created.entry_bundles.map((b: { price_cents: number; tickets: number }) => [b.price_cents, b.tickets])).toEqual([
    [200, 1],
    [500, 3],
  ]);
  expect(created.non_winner_credit_rate_percent).toBe(15);
  expect(created.draw.algorithm).toBe("alot-v1");
  await expect(page.getByRole("heading", { name: "Edit" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "admin-lot-edit");

  // Open it: the dialog says what happens; confirming opens the lot.
  await page.getByRole("button", { name: "Open lot…" }).click();
  const openDialog = page.getByRole("dialog", { name: "Open this lot?" });
  await expect(openDialog).toBeVisible();
  await expect(openDialog).toContainText("committed in the public ledger");
  await expect(openDialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await expectAccessible(page);
  await openDialog.getByRole("button", { name: "Open lot" }).click();
  await expect(openDialog).toBeHidden();
  await expect(page.getByRole("status").filter({ hasText: "The lot is open" })).toBeVisible();
  expect((await lotState(admin, lotId)).status).toBe("open");

  // While it sells, the admin moves its deadline later, with a reason. Bad input first:
  // an earlier deadline and no reason are refused on the spot, and nothing is sent.
  await expect(page.getByRole("heading", { name: "Extend the deadline" })).toBeVisible();
  await page.getByLabel("New deadline").fill(localText(new Date(deadline.getTime() - 60_000)));
  await page.getByRole("button", { name: "Extend…" }).click();
  await expect(page.getByText("The new deadline must be later than the current one")).toBeVisible();
  await expect(page.getByText("Say why the deadline moves")).toBeVisible();
  await expect(page.getByRole("dialog", { name: "Extend this lot's deadline?" })).toBeHidden();
  await expectAccessible(page);
  const later = wholeSecond(Date.now() + 2 * 24 * 3600_000);
  const ledgerSize = (await (await admin.get("/api/ledger/transactions", { params: { limit: 1 } })).json()).size;
  await page.getByLabel("New deadline").fill(localText(later));
  await page.getByLabel("Reason").fill("The prize ships a week late");
  await page.getByRole("button", { name: "Extend…" }).click();
  const extendDialog = page.getByRole("dialog", { name: "Extend this lot's deadline?" });
  await expect(extendDialog).toContainText("keeps selling until");
  await expect(extendDialog).toContainText("“The prize ships a week late”");
  await expectAccessible(page);
  await extendDialog.getByRole("button", { name: "Extend deadline" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The deadline is now" })).toBeVisible();
  lot = await lotState(admin, lotId);
  expect(lot.status).toBe("open");
  expect(new Date(lot.deadline).getTime()).toBe(later.getTime());
  // Recorded in the ledger: both deadlines, the reason and who.
  const recorded = await (
    await admin.get("/api/ledger/transactions", { params: { after_seq: ledgerSize, limit: 10 } })
  ).json();
  const memo = recorded.items.find((t: { kind: string }) => t.kind === "lot_extended");
  expect(memo.refs.lot_id).toBe(lotId);
  expect(memo.metadata.reason).toBe("The prize ships a week late");
  expect(memo.metadata.deadline.slice(0, 19)).toBe(later.toISOString().slice(0, 19));
  expect(memo.metadata.previous_deadline.slice(0, 19)).toBe(deadline.toISOString().slice(0, 19));
  await expectAccessible(page);

  // On the public list, as open, for anyone.
  const anonymous = await request.newContext({ baseURL });
  const listed = await (await anonymous.get("/api/lots", { params: { state: "open", limit: 100 } })).json();
  expect(listed.items.find((l: { id: string }) => l.id === lotId)?.status).toBe("open");
  await anonymous.dispose();
  // And on the lot list a player sees, found by its title.
  await page.goto("/");
  await page.getByRole("searchbox", { name: "Search lots" }).fill(title);
  await expect(page.getByRole("list", { name: "Lots" }).getByRole("link", { name: title })).toBeVisible();

  // A plain player sees "Admins only", and the API refuses them.
  const player = await createPlayer();
  const playerContext = await browser.newContext({ timezoneId: ZONE });
  const playerPage = await playerContext.newPage();
  await logInBrowser(playerPage, player);
  await playerPage.goto("/admin");
  await expect(playerPage.getByRole("heading", { name: "Admins only" })).toBeVisible();
  await expect(playerPage.getByRole("link", { name: "Admin", exact: true })).toHaveCount(0);
  await expectAccessible(playerPage);
  await playerPage.goto("/admin/lots");
  await expect(playerPage.getByRole("heading", { name: "Admins only" })).toBeVisible();
  const refusedRead = await playerPage.request.get("/api/admin/overview");
  expect(refusedRead.status()).toBe(403);
  expect((await refusedRead.json()).code).toBe("missing_role");
  const bearer = await bearerContext(player.email, player.password);
  const refusedWrite = await bearer.post(`/api/admin/lots/${lotId}/extend`, {
    data: { deadline: new Date(Date.now() + 5 * 24 * 3600_000).toISOString(), reason: "mine" },
  });
  expect(refusedWrite.status()).toBe(403);
  expect((await refusedWrite.json()).code).toBe("missing_role");
  expect(new Date((await lotState(admin, lotId)).deadline).getTime()).toBe(later.getTime());
  await bearer.dispose();
  await playerContext.close();
  await admin.dispose();
});

test("an expired lot's refunds start by themselves, the desk shows their progress, and the reconciliation shows OK", async ({
  page,
}) => {
  test.setTimeout(90_000);
  const admin = await adminApi();
  const deadline = wholeSecond(Date.now() + 12_000);
  const lot = await createLot(admin, {
    title: `Refund desk ${newIdentity("r").username}`,
    deadlineInHours: (deadline.getTime() - Date.now()) / 3600_000,
    targetCents: 100_000,
  });
  // A player buys one bundle with cash (sandbox) before the deadline.
  const buyer = await createPlayer("buyer");
  const buyerApi = await bearerContext(buyer.email, buyer.password);
  const trivia = await buyerApi.post(`/api/lots/${lot.id}/trivia/attempt`, { data: { answer: "blue" } });
  expect(trivia.ok(), await trivia.text()).toBeTruthy();
  const bought = await buyerApi.post(`/api/lots/${lot.id}/entries/purchase`, {
    data: { bundle_index: 1 },
    headers: { "Idempotency-Key": crypto.randomUUID() },
  });
  expect(bought.status(), await bought.text()).toBe(201);
  await buyerApi.dispose();
  // No admin step: past the deadline the server's scheduler expires the lot and starts
  // its refunds, and the buyer is emailed the choice.
  await new Promise((done) => setTimeout(done, Math.max(0, deadline.getTime() - Date.now() + 500)));
  await expect
    .poll(async () => (await lotState(admin, lot.id)).status, { timeout: 30_000, intervals: [1_000] })
    .toBe("refunding");
  await expect
    .poll(async () => (await mailbox(buyer.email)).some((m) => m.subject.startsWith(`Choose your refund for ${lot.title}`)))
    .toBe(true);
  await logInBrowser(page, adminCredentials());

  // The desk shows a refunding lot's progress.
  await page.goto(`/admin/lots/${lot.id}`);
  await expect(page.getByRole("heading", { name: lot.title, level: 1 })).toBeVisible();
  await expect(page.getByText("Refunding", { exact: true })).toBeVisible();
  const refundCard = page.getByRole("region", { name: "Refund progress", exact: true });
  await expect(refundCard).toContainText("Choice closes");
  await expect(refundCard).toContainText("Purchases succeeded");
  await expect(page.getByRole("button", { name: /Start refunds|Extend/ })).toHaveCount(0);
  await expectAccessible(page);

  await page.goto("/admin/lots");
  await expect(page.getByRole("table")).toHaveAttribute("aria-busy", "false");
  await screenshot(page, "admin-lots");
  await page.getByLabel("Status").selectOption({ label: "Refunding" });
  await expect(page).toHaveURL(/state=refunding/);
  await expect(page.getByRole("link", { name: lot.title })).toBeVisible();
  const shown = await page.getByRole("row").filter({ has: page.getByRole("link") }).allInnerTexts();
  expect(shown.length).toBeGreaterThan(0);
  for (const row of shown) expect(row).toContain("Refunding");
  await expectAccessible(page);

  await page.goto("/admin/ledger");
  await expect(page.getByRole("heading", { name: "Ledger", level: 1 })).toBeVisible();
  await expect(page.getByText("OK: every credit balance agrees with the ledger")).toBeVisible();
  const report = await (await admin.get("/api/admin/reconciliation")).json();
  expect(report).toMatchObject({ ok: true, differences: [] });
  await expect(page.getByRole("heading", { name: "Latest signed checkpoint" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "admin-ledger");
  await admin.dispose();
});

test("an admin makes a player an admin and back; cancelling a confirmation changes nothing", async ({ page }) => {
  const admin = await adminApi();
  const player = await createPlayer("promote");
  const { id } = await (await admin.get("/api/admin/users", { params: { q: player.username } })).json().then(
    (body) => body.items[0] as { id: string },
  );
  const roles = async () => ((await (await admin.get(`/api/admin/users/${id}`)).json()).roles as string[]).sort();

  await logInBrowser(page, adminCredentials());
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
  await page.getByLabel("Search by email or username").fill(player.username);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("heading", { name: `Accounts matching “${player.username}”` })).toBeVisible();
  await expect(page.getByRole("row")).toHaveCount(2); // the header and the one account
  await expectAccessible(page);
  await page.getByRole("link", { name: player.username }).click();
  const detail = page.getByRole("region", { name: player.username, exact: true });
  await expect(detail).toContainText(player.email);

  // Cancel changes nothing.
  await detail.getByRole("checkbox", { name: "Admin" }).check();
  await detail.getByRole("button", { name: "Save roles…" }).click();
  const dialog = page.getByRole("dialog", { name: `Change ${player.username}'s roles?` });
  await expect(dialog).toContainText("Adds admin");
  await expectAccessible(page);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  expect(await roles()).toEqual(["player"]);

  // Confirm: the player is an admin.
  await detail.getByRole("button", { name: "Save roles…" }).click();
  await dialog.getByRole("button", { name: "Save roles" }).click();
  await expect(detail.getByRole("status")).toHaveText("Roles saved: admin, player.");
  expect(await roles()).toEqual(["admin", "player"]);

  // And back.
  await detail.getByRole("checkbox", { name: "Admin" }).uncheck();
  await detail.getByRole("button", { name: "Save roles…" }).click();
  await expect(dialog).toContainText("Removes admin");
  await dialog.getByRole("button", { name: "Save roles" }).click();
  await expect(detail.getByRole("status")).toHaveText("Roles saved: player.");
  expect(await roles()).toEqual(["player"]);

  // Suspending asks first; Escape leaves the account active.
  await detail.getByRole("button", { name: "Suspend account…" }).click();
  const suspend = page.getByRole("dialog", { name: `Suspend ${player.username}?` });
  await expect(suspend).toContainText("logged out on every device");
  await page.keyboard.press("Escape");
  await expect(suspend).toBeHidden();
  expect((await (await admin.get(`/api/admin/users/${id}`)).json()).status).toBe("active");
  await admin.dispose();
});

test("a created lot is edited; a product class a lot uses can't be deleted, an unused one can; payment events are explained", async ({ page }) => {
  const admin = await adminApi();
  const lot = await createLot(admin, { open: false });
  const used = (await (await admin.get(`/api/lots/${lot.id}`)).json()).product.name as string;
  const spare = `Spare ${newIdentity("pc").username}`;
  const made = await admin.post("/api/admin/product-classes", {
    data: { name: spare, category: "bag", tier: "ICON", retail_value_cents: 9_900 },
  });
  expect(made.status()).toBe(201);

  await logInBrowser(page, adminCredentials());
  await page.goto("/admin/product-classes");
  // The catalogue is oldest first: walk its pages to a class.
  const showClass = async (name: string) => {
    await page.goto("/admin/product-classes");
    const button = page.getByRole("button", { name: `Delete ${name}`, exact: true });
    const table = page.getByRole("table");
    await expect(table).toHaveAttribute("aria-busy", "false");
    while (!(await button.isVisible())) {
      await page.getByRole("button", { name: "Next page" }).click();
      await expect(table).toHaveAttribute("aria-busy", "false");
    }
  };
  await showClass(used);
  await page.getByRole("button", { name: `Delete ${used}`, exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this product class?" });
  await dialog.getByRole("button", { name: "Delete product class" }).click();
  await expect(dialog.getByRole("alert")).toContainText("A lot uses this product class");
  await expectAccessible(page);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  expect(await findProductClass(admin, used)).toBeTruthy();

  await showClass(spare);
  await page.getByRole("button", { name: `Delete ${spare}`, exact: true }).click();
  await dialog.getByRole("button", { name: "Delete product class" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Deleted “${spare}”` })).toBeVisible();
  expect(await findProductClass(admin, spare)).toBeUndefined();

  // The lot is still `created`: its edit form changes it (PATCH), keeping the trivia answer.
  await page.goto(`/admin/lots/${lot.id}`);
  await expect(page.getByRole("heading", { name: "Edit" })).toBeVisible();
  await page.getByLabel("Title *").fill(`${lot.title} (edited)`);
  await page.getByLabel("Funding target in dollars *").fill("25.75");
  await page.getByLabel("Bundle 1 price in dollars").fill("1.5");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Changes saved." })).toBeVisible();
  await expect(page.getByRole("heading", { name: `${lot.title} (edited)`, level: 1 })).toBeVisible();
  const edited = await (await admin.get(`/api/lots/${lot.id}`)).json();
  expect(edited).toMatchObject({ title: `${lot.title} (edited)`, status: "created" });
  expect(edited.funding.target_cents).toBe(2_575);
  expect(edited.entry_bundles[0].price_cents).toBe(150);

  await page.goto("/admin/payments");
  await expect(page.getByRole("heading", { name: "Payment events needing attention" })).toBeVisible();
  await expect(page.getByText("Nothing needs attention")).toBeVisible();
  await page.getByText("What each kind means").click();
  await expect(page.getByText("The buyer disputed the charge with their bank")).toBeVisible();
  await expectAccessible(page);
  await admin.dispose();
});

test("the desk works at 375 px wide", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await logInBrowser(page, adminCredentials());
  for (const [path, heading] of [
    ["/admin", "Admin desk"],
    ["/admin/lots/new", "Create a lot"],
    ["/admin/users", "Users"],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "Loading" })).toHaveCount(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    await expectAccessible(page);
  }
});
