// Notifications end to end: two players fund an alot-v1 lot through the API and it is
// drawn; one of them sees the bell's unread count in the header, opens the
// notifications page, finds "you won" or "your credits" (whichever the draw made
// true) with its link to the draw, marks it read, is emailed about it, and turns the
// reminder emails off in the account's email preferences.
import type { APIRequestContext } from "@playwright/test";
import {
  adminApi,
  bearerContext,
  createLot,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  mailbox,
  screenshot,
  test,
  type Player,
} from "./fixtures";
import { buy } from "./me-helpers";

async function enter(player: Player, lotId: string): Promise<void> {
  const api = await bearerContext(player.email, player.password);
  const answered = await api.post(`/api/lots/${lotId}/trivia/attempt`, { data: { answer: "blue" } });
  expect((await answered.json()).correct).toBe(true);
  await buy(api, lotId, 0);
  await api.dispose();
}

/** A lot two players funded, drawn; returns it, the player we follow and the draw. */
async function drawnLot(admin: APIRequestContext) {
  const lot = await createLot(admin, {
    algorithm: "alot-v1",
    targetCents: 1_000,
    bundles: [{ price_cents: 500, tickets: 5 }],
  });
  const buyer = await createPlayer("notified");
  const other = await createPlayer("notother");
  await enter(buyer, lot.id);
  await enter(other, lot.id); // funds the lot: drawn and settled after the purchase
  const drawn = async () => (await (await admin.get(`/api/lots/${lot.id}`)).json()).status;
  await expect.poll(drawn, { timeout: 15_000 }).toBe("settled").catch(async () => {
    const forced = await admin.post(`/api/admin/lots/${lot.id}/draw`);
    expect(forced.ok(), await forced.text()).toBeTruthy();
  });
  expect(await drawn()).toBe("settled");
  const draw = await (await admin.get(`/api/lots/${lot.id}/draw`)).json();
  return { lot, buyer, draw };
}

test("a player is told of the draw, marks it read and turns reminder emails off", async ({ page }) => {
  test.setTimeout(180_000);
  const admin = await adminApi();
  const { lot, buyer, draw } = await drawnLot(admin);
  await admin.dispose();
  await logInBrowser(page, buyer);
  const me = await (await page.request.get("/api/users/me")).json();
  const won = draw.winner_user_id === me.id;
  const credits = (await (await page.request.get("/api/users/me/credits")).json()).balance_credits;
  const title = won ? `You won ${lot.title}!` : `${lot.title} was drawn: ${credits} credits for you`;
  if (!won) expect(credits).toBe(50); // 10% of $5.00

  // The header's bell carries the unread count.
  await page.goto("/");
  const bell = page.getByRole("link", { name: "Notifications, 1 unread" });
  await expect(bell).toBeVisible();
  await expect(bell).toHaveText("1");
  await expectAccessible(page);
  await bell.click();

  await expect(page).toHaveURL("/me/notifications");
  await expect(page.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
  await expect(page.getByTestId("unread-summary")).toHaveText("1 unread");
  const item = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: title }) });
  await expect(item).toBeVisible();
  await expect(item.getByText("New", { exact: true })).toBeVisible();
  await expect(item).toContainText(won ? `Your ticket #${draw.winning_ticket} was drawn` : `Ticket #${draw.winning_ticket} won`);
  await expect(item.getByRole("link", { name: "See the draw" })).toHaveAttribute("href", `/lots/${lot.id}/draw`);
  await expectAccessible(page);
  await screenshot(page, "notifications");

  // Marked read: the badge goes, the page says so, and it stays so.
  await item.getByRole("button", { name: `Mark read: ${title}` }).click();
  await expect(page.getByTestId("unread-summary")).toHaveText("All read");
  await expect(item.getByText("New", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Notifications", exact: true }).first()).toBeVisible();
  await expect(page.getByTestId("notification-bell")).toHaveAccessibleName("Notifications");
  await expect(page.getByTestId("notification-bell")).toHaveText("");
  await page.reload();
  await expect(page.getByTestId("unread-summary")).toHaveText("All read");
  const api = await (await page.request.get("/api/users/me/notifications")).json();
  expect([api.unread_count, api.items[0].read, api.items[0].kind]).toEqual([0, true, won ? "won" : "credits_awarded"]);

  // The email says the same, with the link. The server's own scheduler sends it (each
  // minute): not `alot tick`, another process, whose development mailbox is its own.
  await expect
    .poll(async () => (await mailbox(buyer.email)).filter((m) => m.subject === title).length, {
      message: "the notification's email arrives",
      timeout: 80_000,
      intervals: [2_000],
    })
    .toBe(1);
  const email = (await mailbox(buyer.email)).find((m) => m.subject === title)!;
  expect(email.body).toContain(`/lots/${lot.id}/draw`);

  // Email preferences, from the notifications page to the account's settings.
  await page.getByRole("link", { name: "Email preferences" }).click();
  await expect(page).toHaveURL("/account#email-preferences");
  const section = page.getByRole("region", { name: "Email preferences" });
  await expect(section).toBeVisible();
  await expect(section).toContainText("Emails about a win, a refund to choose or a refund made, and your account's security are always sent.");
  const reminders = section.getByRole("checkbox", { name: /^Reminders/ });
  await expect(reminders).toBeChecked();
  await expect(section.getByRole("checkbox", { name: /^Credits earned/ })).toBeChecked();
  await expect(section.getByRole("checkbox", { name: /^News and offers/ })).not.toBeChecked();
  const save = section.getByRole("button", { name: "Save email preferences" });
  await expect(save).toBeDisabled(); // nothing changed yet
  await reminders.uncheck();
  await save.click();
  await expect(section.getByRole("status").filter({ hasText: "Your email preferences are saved." })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "email-preferences");
  await page.reload();
  await expect(page.getByRole("region", { name: "Email preferences" }).getByRole("checkbox", { name: /^Reminders/ })).not.toBeChecked();
  const saved = await (await page.request.get("/api/users/me/preferences")).json();
  expect([saved.reminder_emails, saved.credits_emails, saved.marketing_emails]).toEqual([false, true, false]);
});

test("at 375 px wide the bell and the notifications page fit", async ({ page }) => {
  const admin = await adminApi();
  const { buyer } = await drawnLot(admin);
  await admin.dispose();
  await page.setViewportSize({ width: 375, height: 800 });
  await logInBrowser(page, buyer);
  await page.goto("/me/notifications");
  await expect(page.getByTestId("notification-bell")).toHaveAccessibleName("Notifications, 1 unread");
  await page.getByRole("button", { name: "Mark all read" }).click();
  await expect(page.getByTestId("unread-summary")).toHaveText("All read");
  await expect(page.getByTestId("notification-bell")).toHaveAccessibleName("Notifications");
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth).toBeLessThanOrEqual(375);
  await expectAccessible(page);
});
