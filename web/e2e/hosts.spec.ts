// The marketplace in a real browser: a player applies to host, an admin approves the
// application, the host creates a lot and submits it, the admin approves it (it opens),
// and a player finds it on the lots page and the host's public page. Then a private lot
// is reached by its link and entered with its invite code. Every screen passes axe.
import {
  adminApi,
  adminCredentials,
  bearerContext,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  newIdentity,
  test,
} from "./fixtures";

test("apply, approve, create, submit, approve the lot, and players find it", async ({ page, browser }) => {
  const host = await createPlayer("host");
  const shop = `Shop ${newIdentity("s").username}`;
  await logInBrowser(page, host);
  await page.goto("/");
  await page.getByRole("link", { name: "Become a host" }).click();
  await expect(page).toHaveURL(/\/host\/apply$/);
  await expect(page.getByRole("heading", { name: "Become a host", level: 1 })).toBeVisible();
  await page.getByLabel("Display name").fill(shop);
  await page.getByLabel("Description").fill("Deadstock sneakers, checked by hand.");
  await page.getByLabel("Website").fill("https://shop.example.com");
  await page.getByLabel("Country").fill("gb");
  await page.getByLabel("Legal name").fill(`${shop} Ltd`);
  await page.getByLabel("Registration number").fill("12345678");
  await page.getByLabel("Business address (one line per row)").fill("1 High Street\nLondon");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/\/host$/);
  await expect(page.getByRole("heading", { name: "Status: pending" })).toBeVisible();
  await expectAccessible(page);

  // The admin approves the application on the hosts page (linked from the desk).
  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await logInBrowser(adminPage, adminCredentials());
  await adminPage.goto("/admin");
  await adminPage.getByRole("link", { name: "Hosts" }).first().click();
  await expect(adminPage.getByRole("heading", { name: "Hosts", level: 1 })).toBeVisible();
  await expectAccessible(adminPage);
  await adminPage.getByRole("button", { name: `Approve ${shop}` }).click();
  const dialog = adminPage.getByRole("dialog");
  await dialog.getByLabel("Reason (emailed to the host)").fill("Documents checked");
  await dialog.getByLabel("Commission (%)").fill("20");
  await expectAccessible(adminPage);
  await dialog.getByRole("button", { name: "Approve" }).click();
  await expect(adminPage.getByText(`${shop} is now approved.`)).toBeVisible();

  // The host creates a lot, sees the commission and its share, and submits it.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Status: approved" })).toBeVisible();
  await expect(page.getByText("Reason given: Documents checked")).toBeVisible();
  await page.getByRole("navigation", { name: "Host portal" }).getByRole("link", { name: "New lot" }).click();
  const title = `Panda dunks ${newIdentity("l").username}`;
  await page.getByLabel("Product name").fill("Dunk Low Panda");
  await page.getByLabel("Brand").fill("Nike");
  await page.getByLabel("Category").fill("sneakers");
  await page.getByLabel("Retail value (USD)").fill("300.00");
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Funding target (USD)").fill("50.00");
  await page.getByLabel("Deadline").fill("2030-01-01T12:00");
  await page.getByLabel("Bundle price (USD)").fill("1.00");
  await page.getByLabel("Trivia question").fill("Which brand makes the Dunk?");
  await page.getByLabel("Trivia answer").fill("Nike");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Create draft" }).click();
  await expect(page).toHaveURL(/\/host\/lots\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "Draft: submit it for review" })).toBeVisible();
  const economics = page.getByRole("region", { name: "Commission and your share" });
  await expect(economics).toContainText("20%");
  await expect(economics).toContainText("$40.00"); // the share of $50.00 at 20%
  await page.getByRole("button", { name: "Submit for review" }).click();
  await expect(page.getByRole("heading", { name: "Pending review" })).toBeVisible();
  await expectAccessible(page);

  // The admin approves the lot: it opens.
  await adminPage.reload();
  await adminPage.getByRole("button", { name: `Approve lot ${title}` }).click();
  await adminPage.getByRole("dialog").getByRole("button", { name: "Approve and open" }).click();
  await expect(adminPage.getByText(`${title} is approved and open.`)).toBeVisible();
  // A new commission for the host's lots not yet open (this one keeps its 20%).
  await adminPage.getByLabel("Status").selectOption("approved");
  await adminPage.getByRole("button", { name: `Change commission ${shop}` }).click();
  const change = adminPage.getByRole("dialog");
  await change.getByLabel("Reason (emailed to the host)").fill("New terms");
  await change.getByLabel("Commission (%)").fill("25");
  await change.getByRole("button", { name: "Change commission" }).click();
  await expect(adminPage.getByText(`${shop}'s commission is now 25% (lots not yet open).`)).toBeVisible();
  await expectAccessible(adminPage);
  await adminContext.close();

  // A player (anyone) finds it on the lots page and on the host's public page.
  const visitor = await browser.newContext();
  const player = await visitor.newPage();
  await player.goto("/");
  await expect(player.getByRole("link", { name: new RegExp(title) }).first()).toBeVisible();
  await page.reload();
  await page.getByRole("navigation", { name: "Host portal" }).getByRole("link", { name: "Dashboard" }).click();
  const publicHref = await page.getByRole("link", { name: "Your public page" }).getAttribute("href");
  await player.goto(publicHref!);
  await expect(player.getByRole("heading", { name: shop, level: 1 })).toBeVisible();
  await expect(player.getByRole("link", { name: new RegExp(title) }).first()).toBeVisible();
  await expect(player.getByText("12345678")).toHaveCount(0); // no business details
  await expectAccessible(player);
  await visitor.close();
});

test("a private lot is reached by its link and entered with its invite code", async ({ page }) => {
  const hostAccount = await createPlayer("phost");
  const host = await bearerContext(hostAccount.email, hostAccount.password);
  const admin = await adminApi();
  const applied = await host.post("/api/hosts/apply", {
    data: {
      display_name: `Private ${newIdentity("p").username}`,
      country: "FR",
      business_details: { legal_name: "Privé SARL", registration_number: "RCS 1", address_lines: ["1 rue X"] },
    },
  });
  expect(applied.ok(), await applied.text()).toBeTruthy();
  const hostId = (await applied.json()).id;
  expect((await admin.post(`/api/admin/hosts/${hostId}/approve`, { data: { reason: "ok" } })).ok()).toBeTruthy();
  const created = await host.post("/api/hosts/me/lots", {
    data: {
      product: { name: "Signed jersey", category: "memorabilia", tier: "RARE", retail_value_cents: 20_000 },
      title: `Members only ${newIdentity("m").username}`,
      funding_target_cents: 5_000,
      deadline: new Date(Date.now() + 72 * 3600_000).toISOString(),
      entry_bundles: [{ price_cents: 100, tickets: 1 }],
      trivia_question: "What colour is a clear daytime sky?",
      trivia_answer: "blue",
      visibility: "private",
      invite_code: "FRIENDS-2026",
    },
  });
  expect(created.ok(), await created.text()).toBeTruthy();
  const mine = await created.json();
  expect((await host.post(`/api/hosts/me/lots/${mine.lot.id}/submit`)).ok()).toBeTruthy();
  expect((await admin.post(`/api/admin/lots/${mine.lot.id}/approve`, { data: {} })).ok()).toBeTruthy();

  const player = await createPlayer("guest");
  await logInBrowser(page, player);
  await page.goto("/");
  await expect(page.getByText(mine.lot.title)).toHaveCount(0); // never listed
  await page.goto(`/l/${mine.access_token}`);
  await expect(page.getByRole("heading", { name: mine.lot.title, level: 1 })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("What colour is a clear daytime sky?").fill("blue");
  await page.getByLabel("Invite code (if the host gave you one)").fill("wrong-code");
  await page.getByRole("button", { name: "Submit answer" }).click();
  await expect(page.getByRole("alert")).toContainText("the answer or the invite code is wrong");
  await page.getByLabel("What colour is a clear daytime sky?").fill("blue");
  await page.getByLabel("Invite code (if the host gave you one)").fill("friends-2026");
  await page.getByRole("button", { name: "Submit answer" }).click();
  await expect(page).toHaveURL(new RegExp(`/lots/${mine.lot.id}$`));
  await expect(page.getByRole("heading", { name: mine.lot.title, level: 1 })).toBeVisible();
  await expectAccessible(page);
  await page.goto("/l/not-a-real-token");
  await expect(page.getByRole("heading", { name: "Lot not found" })).toBeVisible();
});
