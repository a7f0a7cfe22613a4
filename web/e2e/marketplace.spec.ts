// The whole host story in a real browser, each step on its own screen: a player applies
// to host, an admin approves; the host connects Stripe (test mode) and creates a lot with
// an uploaded photo; the admin approves the lot (it opens); a buyer funds it and wins
// the draw; the winner claims with an address; the host ships from its fulfillment
// queue; the winner confirms delivery, which releases the host's held share; the
// server's own tick pays it out, and the host sees the transfer. Every screen passes axe.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import {
  adminCredentials,
  bearerContext,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  newIdentity,
  test,
} from "./fixtures";

const PHOTO = join(import.meta.dirname, "assets", "watch-with-gps.jpg");

test("apply, approve, create, fund, claim, ship, confirm, and the host is paid", async ({ browser }) => {
  test.setTimeout(180_000);
  const hostAccount = await createPlayer("mhost");
  const shop = `Atelier ${newIdentity("a").username}`;
  const title = `Speedmaster ${newIdentity("t").username}`;

  // 1. The player applies to host.
  const host = await (await browser.newContext()).newPage();
  await logInBrowser(host, hostAccount);
  await host.goto("/host/apply");
  await host.getByLabel("Display name").fill(shop);
  await host.getByLabel("Country").fill("ch");
  await host.getByLabel("Legal name").fill(`${shop} SA`);
  await host.getByLabel("Registration number").fill("CHE-123.456.789");
  await host.getByLabel("Business address (one line per row)").fill("1 Rue du Rhône\nGenève");
  await host.getByRole("button", { name: "Apply" }).click();
  await expect(host.getByRole("heading", { name: "Status: pending" })).toBeVisible();

  // 2. An admin approves the application at 20%.
  const desk = await (await browser.newContext()).newPage();
  await logInBrowser(desk, adminCredentials());
  await desk.goto("/admin/hosts");
  await desk.getByRole("button", { name: `Approve ${shop}` }).click();
  const approval = desk.getByRole("dialog");
  await approval.getByLabel("Reason (emailed to the host)").fill("Documents checked");
  await approval.getByLabel("Commission (%)").fill("20");
  await approval.getByRole("button", { name: "Approve" }).click();
  await expect(desk.getByText(`${shop} is now approved.`)).toBeVisible();

  // 3. The host connects its Stripe account (test mode: onboarded at once).
  await host.goto("/host/payouts");
  await host.getByRole("button", { name: "Connect with Stripe" }).click();
  await expect(host.getByTestId("connect-status")).toHaveText(/Connected/);
  await expectAccessible(host);

  // 4. The host creates the lot, with a photo uploaded (re-encoded by the server), and
  //    submits it: a $5.00 target, one $5.00 bundle.
  await host.goto("/host/lots/new");
  await host.getByLabel("Product name").fill("Speedmaster Moonwatch");
  await host.getByLabel("Brand").fill("Omega");
  await host.getByLabel("Category").fill("watch");
  await host.getByLabel("Retail value (USD)").fill("7000.00");
  await host.getByLabel("Upload images").setInputFiles(PHOTO);
  await expect(host.getByRole("status").filter({ hasText: "Uploaded 1 image." })).toBeVisible();
  await host.getByLabel("Title").fill(title);
  await host.getByLabel("Funding target (USD)").fill("5.00");
  await host.getByLabel("Deadline").fill("2030-01-01T12:00");
  await host.getByLabel("Bundle price (USD)").fill("5.00");
  await host.getByLabel("Trivia question").fill("What colour is a clear daytime sky?");
  await host.getByLabel("Trivia answer").fill("blue");
  await expectAccessible(host);
  await host.getByRole("button", { name: "Create draft" }).click();
  await expect(host).toHaveURL(/\/host\/lots\/[0-9a-f-]{36}$/);
  const lotId = host.url().split("/").pop()!;
  await expect(host.getByRole("region", { name: "Commission and your share" })).toContainText("$4.00");
  await host.getByRole("button", { name: "Submit for review" }).click();
  await expect(host.getByRole("heading", { name: "Pending review" })).toBeVisible();

  // 5. The admin approves the lot, which opens it.
  await desk.reload();
  await desk.getByRole("button", { name: `Approve lot ${title}` }).click();
  await desk.getByRole("dialog").getByRole("button", { name: "Approve and open" }).click();
  await expect(desk.getByText(`${title} is approved and open.`)).toBeVisible();

  // 6. A buyer passes the trivia and buys the one bundle: funded, drawn by the server,
  //    and won (the only ticket).
  const buyer = await createPlayer("mbuyer");
  const buyerApi = await bearerContext(buyer.email, buyer.password);
  const answered = await buyerApi.post(`/api/lots/${lotId}/trivia/attempt`, { data: { answer: "blue" } });
  expect((await answered.json()).correct).toBe(true);
  const bought = await buyerApi.post(`/api/lots/${lotId}/entries/purchase`, {
    headers: { "Idempotency-Key": randomUUID() },
    data: { bundle_index: 0 },
  });
  expect(bought.status(), await bought.text()).toBe(201);
  expect((await bought.json()).lot_status).toBe("funded");

  // 7. The winner claims it with a shipping address.
  const winner = await (await browser.newContext()).newPage();
  await logInBrowser(winner, buyer);
  await expect(async () => {
    await winner.goto("/me/reveals");
    await expect(winner.getByRole("link", { name: "Claim your prize" })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await winner.getByRole("link", { name: "Claim your prize" }).click();
  await winner.getByLabel("Full name").fill("Ada Lovelace");
  await winner.getByLabel("Address line 1").fill("12 St James's Square");
  await winner.getByLabel("City").fill("London");
  await winner.getByLabel("Postal code").fill("SW1Y 4JH");
  await winner.getByLabel("Country code").fill("GB");
  await winner.getByLabel("Phone").fill("+44 20 7946 0958");
  await winner.getByRole("button", { name: "Claim my prize" }).click();
  await expect(winner.getByRole("status").filter({ hasText: "Claimed" })).toBeVisible();

  // 8. The host sees the address in its fulfillment queue, and ships.
  await host.goto("/host/fulfillment");
  const parcel = host.getByRole("listitem", { name: title });
  await expect(parcel.getByText("SW1Y 4JH")).toBeVisible();
  await expect(parcel.getByText(buyer.username)).toBeVisible();
  await expectAccessible(host);
  await parcel.getByLabel("Carrier").fill("Swiss Post");
  await parcel.getByLabel("Tracking number").fill("99.60.123456.12345678");
  await parcel.getByRole("button", { name: "Mark shipped" }).click();
  await host.getByLabel("Show").selectOption("shipped");
  await expect(host.getByRole("listitem", { name: title }).getByText("99.60.123456.12345678")).toBeVisible();

  // 9. The winner follows the parcel and confirms delivery.
  await winner.reload();
  await expect(winner.getByText("99.60.123456.12345678")).toBeVisible();
  await winner.getByRole("button", { name: "Confirm delivery" }).click();
  await expect(winner.getByRole("status").filter({ hasText: "delivery confirmed" })).toBeVisible();
  await expectAccessible(winner);

  // 10. The share is released and paid out by the server's tick: $4.00 to the host.
  await expect(async () => {
    await host.goto("/host/payouts");
    await expect(host.getByTestId("paid-out")).toHaveText("$4.00", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(host.getByTestId("held")).toHaveText("$0.00");
  await expect(host.getByRole("row").filter({ hasText: "$4.00" })).toContainText("Paid");
  await expectAccessible(host);
  await buyerApi.dispose();
});
