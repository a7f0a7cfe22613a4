// The player's own records and the refund choice (scenario 2 of issue 13): a lot
// expires unfunded and its refunds start by themselves; its buyer is emailed the choice
// with its deadline and a link that lands on the refund page, sees on My entries that a
// refund choice is needed, takes cash on one purchase and credits on the other, and what
// was shown before choosing is exactly what arrives.
import type { Page } from "@playwright/test";
import { formatCents } from "../src/lib/money";
import { createPlayer, expect, expectAccessible, logInBrowser, mailbox, screenshot, test } from "./fixtures";
import { refundingLot, tabTo } from "./me-helpers";

test("an expired lot: cash on one purchase, credits on the other, amounts match", async ({ page }) => {
  test.setTimeout(120_000);
  const { player, lot, purchases, admin } = await refundingLot();
  const [first, second] = purchases;
  await logInBrowser(page, player);
  const creditsBefore = (await (await page.request.get("/api/users/me/credits")).json()).balance_credits;

  // No admin step: the buyer was emailed the choice, its deadline, and a link per purchase.
  let choiceMail: { subject: string; body: string } | undefined;
  await expect
    .poll(async () => {
      choiceMail = (await mailbox(player.email)).find((m) => m.subject.startsWith(`Choose your refund for ${lot.title}`));
      return choiceMail !== undefined;
    }, { message: "the refund choice email" })
    .toBe(true);
  const emailDeadline = choiceMail!.subject.match(/by (\d{4}-\d\d-\d\d \d\d:\d\d UTC)$/)?.[1];
  expect(emailDeadline).toBeTruthy();
  expect(choiceMail!.body).toContain(`by ${emailDeadline}`);
  expect(choiceMail!.body).toContain("$2.00: $1.96 in cash, or 300 credits");
  expect(choiceMail!.body).toContain("$5.00: $4.90 in cash, or 750 credits");
  const links = [...choiceMail!.body.matchAll(/https?:\/\/\S+\/purchases\/[0-9a-f-]+\/refund/g)].map((m) => m[0]);
  expect(links.map((link) => new URL(link).pathname)).toEqual([
    `/purchases/${first.id}/refund`,
    `/purchases/${second.id}/refund`,
  ]);
  // The email's link lands on the refund page, which shows the same deadline.
  await page.goto(links[0]!);
  await expect(page.getByRole("heading", { level: 1, name: "Choose your refund" })).toBeVisible();
  await expect(page.getByTestId("choice-deadline")).toContainText(`that is ${emailDeadline}, the time in the email`);
  const shownDeadline = (await (await page.request.get(`/api/purchases/${first.id}/refund`)).json())
    .refund_choice_deadline as string;
  expect(shownDeadline.slice(0, 16).replace("T", " ") + " UTC").toBe(emailDeadline);

  // My entries: the lot, its status, the ticket ranges and the call to action.
  await page.goto("/me/entries");
  await expect(page.getByRole("heading", { level: 1, name: "My entries" })).toBeVisible();
  const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: lot.title }) });
  await expect(card.getByText("Refunding", { exact: true })).toBeVisible();
  await expect(card.getByText("#1–#4", { exact: true })).toBeVisible(); // both purchases, merged
  await expect(card.getByRole("cell", { name: "#1", exact: true })).toBeVisible();
  await expect(card.getByRole("cell", { name: "#2–#4", exact: true })).toBeVisible();
  await expect(card.getByRole("cell", { name: "$5.00 cash" })).toBeVisible();
  await expect(page.getByText("2 purchases need your refund choice.")).toBeVisible();
  const chooseFirst = card.getByRole("link", { name: "Choose your refund for tickets #1" });
  await expect(chooseFirst).toHaveAttribute("href", `/purchases/${first.id}/refund`);
  await expect(card.getByRole("link", { name: "Choose your refund for tickets #2–#4" })).toHaveAttribute(
    "href",
    `/purchases/${second.id}/refund`,
  );
  await expect(card.getByRole("link", { name: "Lot page" })).toHaveAttribute("href", `/lots/${lot.id}`);
  await expectAccessible(page);
  await screenshot(page, "my-entries");

  // Cash on the first purchase: both amounts shown before choosing, as the API computes them.
  await chooseFirst.click();
  await expect(page).toHaveURL(`/purchases/${first.id}/refund`);
  await expect(page.getByRole("heading", { level: 1, name: "Choose your refund" })).toBeVisible();
  const offer = await (await page.request.get(`/api/purchases/${first.id}/refund`)).json();
  expect([offer.cash_offer_cents, offer.credits_offer_credits, offer.can_choose]).toEqual([196, 300, true]);
  await expect(page.getByTestId("cash-offer")).toHaveText("$1.96");
  await expect(page.getByTestId("credits-offer")).toHaveText("300 credits");
  // The deadline, with time left, and as the email wrote it.
  await expect(page.getByTestId("choice-deadline")).toContainText(
    new RegExp(`left\\): that is ${emailDeadline}, the time in the email we sent you\\. Without a choice by then`),
  );
  await expectAccessible(page);
  await screenshot(page, "refund-choice");

  await page.getByRole("button", { name: "Choose cash" }).click();
  const dialog = page.getByRole("dialog", { name: "Refund in cash?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("$1.96 in cash");
  await expectAccessible(page);
  await dialog.getByRole("button", { name: "Confirm cash refund" }).click();
  // Recorded at once; the page follows the payment provider's answer until it is done.
  await expect(page.getByRole("status").filter({ hasText: "Done: $1.96 is refunded to your card." })).toBeVisible();
  await expect(dialog).toBeHidden();
  // The choice is made: shown as such, with no second choice offered.
  await expect(page.getByRole("heading", { level: 1, name: "Your refund", exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "Your choice" })).toBeVisible();
  await expect(page.getByTestId("refund-made")).toContainText("Cash");
  await expect(page.getByTestId("refund-made")).toContainText("$1.96");
  await expect(page.getByRole("button", { name: /Choose (cash|credits)/ })).toHaveCount(0);
  const cash = await (await page.request.get(`/api/purchases/${first.id}/refund`)).json();
  expect([cash.refund_choice, cash.refunded_cents, cash.refund_status, cash.can_choose]).toEqual([
    "cash",
    offer.cash_offer_cents,
    "succeeded",
    false,
  ]);
  // Choosing again is refused by the platform too.
  const again = await page.request.post(`/api/purchases/${first.id}/refund-choice`, {
    data: { choice: "credits" },
    headers: { "X-CSRF-Token": await csrf(page) },
  });
  expect(again.status()).toBe(409);

  // Credits on the second purchase, by keyboard alone, on a 375 px wide screen.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto("/me/entries");
  await expect(page.getByText("1 purchase needs your refund choice.")).toBeVisible();
  const link = page.getByRole("link", { name: "Choose your refund for tickets #2–#4" });
  await tabTo(page, link);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(`/purchases/${second.id}/refund`);
  const secondOffer = await (await page.request.get(`/api/purchases/${second.id}/refund`)).json();
  expect([secondOffer.cash_offer_cents, secondOffer.credits_offer_credits]).toEqual([490, 750]);
  await expect(page.getByTestId("cash-offer")).toHaveText("$4.90");
  await expect(page.getByTestId("credits-offer")).toHaveText("750 credits");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await expectAccessible(page);
  await tabTo(page, page.getByRole("button", { name: "Choose credits" }));
  await page.keyboard.press("Enter");
  const confirm = page.getByRole("dialog", { name: "Refund in credits?" });
  await expect(confirm).toContainText("750 credits");
  // Escape backs out without choosing; choosing again reopens the dialog.
  await page.keyboard.press("Escape");
  await expect(confirm).toBeHidden();
  expect((await (await page.request.get(`/api/purchases/${second.id}/refund`)).json()).refund_choice).toBeNull();
  await expect(page.getByRole("button", { name: "Choose credits" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(confirm.getByRole("button", { name: "Confirm credits" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status").filter({ hasText: "Done: 750 credits were added to your balance." })).toBeVisible();
  const converted = await (await page.request.get(`/api/purchases/${second.id}/refund`)).json();
  expect([converted.refund_choice, converted.refunded_credits]).toEqual(["credits", secondOffer.credits_offer_credits]);

  // Credits: the balance rose by exactly the amount shown; the history names the refund
  // with its ledger seq.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole("link", { name: "See your credits" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Credits" })).toBeVisible();
  const balance = await (await page.request.get("/api/users/me/credits")).json();
  expect(balance.balance_credits - creditsBefore).toBe(secondOffer.credits_offer_credits);
  await expect(page.getByTestId("credit-balance")).toHaveText(`${balance.balance_credits} credits`);
  await expect(page.getByText(`Worth ${formatCents(balance.balance_credits)} toward tickets`)).toBeVisible();
  const history = await (await page.request.get("/api/users/me/credits/transactions")).json();
  const movement = history.items.find((row: { purchase_id: string }) => row.purchase_id === second.id);
  expect([movement.type, movement.amount_credits]).toEqual(["expired_conversion", 750]);
  expect(movement.ledger_seq).toEqual(expect.any(Number));
  const row = page.getByRole("row").filter({ hasText: "Refund in credits (1.5×)" });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole("cell", { name: "+750" })).toBeVisible();
  await expect(row.getByRole("cell", { name: String(movement.ledger_seq), exact: true })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "credits");
  // On a phone the history scrolls sideways in its own box, which a keyboard can reach.
  await page.setViewportSize({ width: 375, height: 800 });
  const historyBox = page.getByRole("region", { name: "Credit movements" });
  await historyBox.focus();
  await expect(historyBox).toBeFocused();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await expectAccessible(page);
  await page.setViewportSize({ width: 1280, height: 800 });

  // My results: refunded, with what came back.
  await page.getByRole("navigation", { name: "My records" }).getByRole("link", { name: "My results" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "My results" })).toBeVisible();
  const result = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: lot.title }) });
  await expect(result.getByText("Refunded", { exact: true })).toBeVisible();
  await expect(result).toContainText("You got back $1.96 in cash and 750 credits.");
  await expect(result).toContainText("4 tickets");
  await expectAccessible(page);
  await screenshot(page, "results");

  // My entries: no choice left to make; each purchase shows how it was refunded.
  await page.getByRole("navigation", { name: "My records" }).getByRole("link", { name: "My entries" }).click();
  const done = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: lot.title }) });
  await expect(done.getByText("Refunded: $1.96 in cash")).toBeVisible();
  await expect(done.getByText("Refunded: 750 credits")).toBeVisible();
  await expect(page.getByText(/need(s)? your refund choice/)).toHaveCount(0);
  await expect(done.getByText("Closed", { exact: true })).toBeVisible(); // every purchase refunded
  await expectAccessible(page);
  expect((await (await admin.get(`/api/admin/lots/${lot.id}/refunds`)).json()).purchases).toEqual({ refunded: 2 });
  // Each refund, once done, is emailed too (sent by the platform's periodic jobs).
  await expect
    .poll(async () =>
      (await mailbox(player.email))
        .filter((m) => m.subject === `Your refund for ${lot.title} is done`)
        .map((m) => m.body.match(/is refunded: ([^.]+\.\d\d|\d+ credits)/)?.[1])
        .sort(),
    )
    .toEqual(["$1.96", "750 credits"]);
  await admin.dispose();
});

test("a refund page for a purchase that is not the player's says so", async ({ page }) => {
  const player = await createPlayer("empty");
  await logInBrowser(page, player);
  await page.goto("/purchases/00000000-0000-4000-8000-000000000000/refund");
  await expect(page.getByRole("alert")).toHaveText("We couldn't find that purchase among yours.");
  await expectAccessible(page);
  await page.goto("/me/entries");
  await expect(page.getByText(/You have no entries yet/)).toBeVisible();
  await page.goto("/me/reveals");
  await expect(page.getByText(/No results yet/)).toBeVisible();
  await page.goto("/me/credits");
  await expect(page.getByTestId("credit-balance")).toHaveText("0 credits");
  await expect(page.getByText(/No movements yet/)).toBeVisible();
  await expectAccessible(page);
});

async function csrf(page: Page): Promise<string> {
  const cookies = await page.context().cookies();
  return cookies.find((cookie) => cookie.name === "alot_csrf")?.value ?? "";
}
