// Responsible play (issue 18): a player sets a daily spend limit and a purchase over it
// is refused in words (what is left and when it resets); a raise waits 24 hours; a
// time-out, confirmed in a dialog that says it cannot be undone, makes the buy panel
// refuse; the reality check reminds of time and money spent (the page's clock is moved
// forward: the reminder's own timer fires, nothing is shortened for the test).
import type { Page } from "@playwright/test";
import { adminApi, adminCredentials, createLot, createPlayer, expect, expectAccessible, logInBrowser, screenshot, test } from "./fixtures";

async function passTrivia(page: Page, lotId: string) {
  await page.goto(`/lots/${lotId}`);
  await page.getByLabel("What colour is a clear daytime sky?").fill("Blue");
  await page.getByRole("button", { name: "Submit answer" }).click();
  await expect(page.getByText("You answered the question correctly")).toBeVisible();
}

test("a daily limit refuses the purchase that would pass it, saying what is left", async ({ page }) => {
  const admin = await adminApi();
  const lot = await createLot(admin, { targetCents: 100_000 });
  const player = await createPlayer("limited");
  await logInBrowser(page, player);

  await page.goto("/me/play");
  await expect(page.getByRole("heading", { level: 1, name: "Responsible play" })).toBeVisible();
  await page.getByLabel("Daily limit ($)").fill("6");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByTestId("period-daily")).toContainText("$6.00");
  await expectAccessible(page);

  await passTrivia(page, lot.id);
  await page.getByRole("radio", { name: /3 tickets for \$5\.00/ }).check();
  await page.getByRole("button", { name: "Buy 3 tickets for $5.00" }).click();
  await expect(page.getByRole("heading", { name: "You're in!" })).toBeVisible();
  await page.getByRole("radio", { name: /1 ticket for \$2\.00/ }).check();
  await page.getByRole("button", { name: "Buy 1 ticket for $2.00" }).click();
  await expect(page.getByRole("alert")).toContainText(
    "That would pass your daily spend limit: you have $1.00 left until it resets on",
  );
  await screenshot(page, "spend-limit-refused");
  await page.getByRole("link", { name: "See your responsible play settings" }).click();

  // Spent and left, and a raise that waits its 24 hours.
  await expect(page.getByTestId("period-daily")).toContainText("$5.00");
  await expect(page.getByTestId("period-daily")).toContainText("$1.00");
  await page.getByLabel("Daily limit ($)").fill("20");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByTestId("pending-limits")).toContainText("Your daily limit becomes $20.00 on");
  await expect(page.getByTestId("period-daily")).toContainText("$6.00");
  await admin.dispose();
});

test("a time-out is confirmed as final and the buy panel refuses during it", async ({ page }) => {
  const admin = await adminApi();
  const lot = await createLot(admin, { targetCents: 100_000 });
  const player = await createPlayer("resting");
  await logInBrowser(page, player);

  await page.goto("/me/play");
  await page.getByLabel("Time-out", { exact: true }).selectOption("72");
  await page.getByRole("button", { name: "Take a time-out" }).click();
  const dialog = page.getByRole("dialog", { name: "Take a time-out?" });
  await expect(dialog).toContainText("This cannot be undone");
  await expect(dialog).toContainText("For 72 hours you will not be able to buy tickets.");
  await dialog.getByRole("button", { name: "Start my time-out" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("exclusion-status")).toContainText("You are on a time-out until");
  await screenshot(page, "time-out");

  await passTrivia(page, lot.id);
  await page.getByRole("radio", { name: /1 ticket for \$2\.00/ }).check();
  await page.getByRole("button", { name: "Buy 1 ticket for $2.00" }).click();
  await expect(page.getByRole("alert")).toContainText("You are on a time-out until");
  await expect(page.getByRole("alert")).toContainText("no purchases until then");

  // An admin sees it on the users screen (and there is nothing to lift it with).
  const me = await (await page.request.get("/api/users/me")).json();
  const adminContext = await page.context().browser()!.newContext();
  const adminPage = await adminContext.newPage();
  await logInBrowser(adminPage, adminCredentials());
  await adminPage.goto(`/admin/users?user=${me.id}`);
  const status = adminPage.getByTestId("admin-play-status");
  await expect(status).toContainText("Time-out until");
  await expect(status).toContainText("(cannot be lifted)");
  await adminContext.close();
  await admin.dispose();
});

test("the reality check reminds of time and money after the chosen interval", async ({ page }) => {
  await page.clock.install();
  const player = await createPlayer("reminded");
  await logInBrowser(page, player);
  await page.goto("/me/play");
  await page.getByLabel("Remind me").selectOption("15");
  await page.getByRole("button", { name: "Save reminder" }).click();
  await expect(page.getByText("Reminding you every 15 minutes.")).toBeVisible();

  const reminder = page.getByRole("dialog", { name: "Time for a reality check" });
  await expect(reminder).toBeHidden();
  await page.clock.fastForward("15:00");
  await expect(reminder).toBeVisible();
  await expect(reminder.getByTestId("reality-check-time")).toHaveText(/You have been on ALOT! for 1[45] minutes\./);
  await expect(reminder.getByTestId("reality-check-spent")).toContainText("Cash spent today: $0.00");
  await screenshot(page, "reality-check");
  await reminder.getByRole("button", { name: "Take a break" }).click();
  await expect(reminder).toBeHidden();
  await expect(page).toHaveURL(/\/me\/play#time-out$/);

  // "Keep playing" closes it until the next interval.
  await page.clock.fastForward("15:00");
  await expect(reminder).toBeVisible();
  await reminder.getByRole("button", { name: "Keep playing" }).click();
  await expect(reminder).toBeHidden();
});
