// The analytics dashboard in a real browser: history made through the API (a lot
// created, tickets bought in cash), the desk's link to /admin/analytics, its figures
// equal to the API's, another range chosen, and the axe check on each state.
import {
  adminApi,
  adminCredentials,
  bearerContext,
  createLot,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  screenshot,
  test,
} from "./fixtures";

type Figures = { lots_created: number; money: { gmv_cents: number }; days: unknown[] };

function dollars(cents: number): string {
  const whole = Math.floor(cents / 100).toLocaleString("en-US");
  return `$${whole}.${String(cents % 100).padStart(2, "0")}`;
}

test("an admin reads the analytics, over the last 30 days and another range", async ({ page }) => {
  const admin = await adminApi();
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const figures = async (): Promise<Figures> => {
    const response = await admin.get(`/api/admin/analytics?from=${today}&to=${tomorrow}`);
    expect(response.ok(), await response.text()).toBeTruthy();
    return response.json();
  };
  const before = await figures();

  // History: a lot, and 7.00 in tickets bought in cash.
  const lot = await createLot(admin, { targetCents: 5_000 });
  const player = await createPlayer("analytics");
  const buyer = await bearerContext(player.email, player.password);
  const trivia = await buyer.post(`/api/lots/${lot.id}/trivia/attempt`, { data: { answer: "blue" } });
  expect((await trivia.json()).correct).toBe(true);
  for (const bundle of [0, 1]) {
    const bought = await buyer.post(`/api/lots/${lot.id}/entries/purchase`, {
      data: { bundle_index: bundle },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    expect(bought.ok(), await bought.text()).toBeTruthy();
  }
  const after = await figures();
  expect(after.lots_created).toBe(before.lots_created + 1);
  expect(after.money.gmv_cents).toBe(before.money.gmv_cents + 700);

  await logInBrowser(page, adminCredentials());
  await page.goto("/admin");
  await page.getByRole("link", { name: "Analytics" }).click();
  await expect(page).toHaveURL(/\/admin\/analytics$/);
  await expect(page.getByRole("heading", { name: "Analytics", level: 1 })).toBeVisible();
  const tiles = page.getByRole("list", { name: "Key figures" });
  const tile = (label: string) => tiles.getByRole("listitem").filter({ hasText: label });
  const value = (label: string) => tile(label).locator(".kpi-value");
  // The default range is the last 30 days, today included: today's figures are in it.
  await expect(value("GMV (cash for tickets)")).toHaveText(dollars(after.money.gmv_cents));
  await expect(page.getByLabel("Through", { exact: true })).toHaveValue(today);
  const chart = page.getByRole("img", { name: /^Lots created, funded and expired per day: 30 days/ });
  await expect(chart).toBeVisible();
  await page.getByText("Lots per day: the numbers").click();
  const table = page.getByRole("table", { name: "Lots per day" });
  await expect(table.getByRole("row")).toHaveCount(31); // a header and 30 days
  const todayRow = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: today }) });
  await expect(todayRow.getByRole("cell").first()).toHaveText(String((after.days.at(-1) as { lots_created: number }).lots_created));
  await expect(page.getByRole("img", { name: /^Credits issued and spent: / })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "admin-analytics");

  // Another range: January 2025, before any of this history; the figures follow.
  await page.getByLabel("From", { exact: true }).fill("2025-01-01");
  await page.getByLabel("Through", { exact: true }).fill("2025-01-31");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/from=2025-01-01&through=2025-01-31/);
  await expect(page.getByRole("heading", { name: "Key figures, 2025-01-01 through 2025-01-31" })).toBeVisible();
  await expect(value("GMV (cash for tickets)")).toHaveText("$0.00");
  await expect(value("Lots created")).toHaveText("0");
  await expect(value("Conversion (open → funded)")).toHaveText("—");
  await expect(page.getByRole("img", { name: /^Lots created, funded and expired per day: 31 days/ })).toBeVisible();
  await expect(page.getByText("No lot settled in this range.")).toBeVisible();
  await expectAccessible(page);

  // A range backwards is refused in the page, before asking the API.
  await page.getByLabel("From", { exact: true }).fill("2025-02-10");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("alert")).toContainText("“Through” must be on or after “From”.");

  // On a phone: nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto("/admin/analytics");
  await expect(page.getByRole("img", { name: /^Lots created, funded and expired per day: 30 days/ })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page);
});
