// The cache panel of the admin desk in a real browser: it shows the hit and miss counts
// per kind of read (GET /api/admin/cache), and its Refresh button shows the reads made
// since. Anonymous reads of a lot (a miss, then hits) move the "Lot views" row.
import { request as playwright } from "@playwright/test";
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
  screenshot,
  test,
} from "./fixtures";

test("an admin reads the cache's hits and misses on the desk", async ({ page }) => {
  const admin = await adminApi();
  const lot = await createLot(admin);
  await logInBrowser(page, adminCredentials());
  await page.goto("/admin");

  const panel = page.getByRole("region", { name: "Cache", exact: true });
  await expect(panel.getByText("In this process's memory: its own counts, since it started.")).toBeVisible();
  const row = panel.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Lot views" }) });
  await expect(row).toBeVisible();
  await expect(panel.getByRole("rowheader", { name: "Settled draws" })).toBeVisible();
  await expectAccessible(page);
  const cells = async () => (await row.getByRole("cell").allTextContents()).map((text) => text.trim());
  const [hitsBefore, missesBefore] = (await cells()).map((text) => Number(text.replace(/,/g, "")));

  // Three anonymous reads of a lot nobody read yet: one miss, two hits.
  const anonymous = await playwright.newContext({ baseURL });
  for (let i = 0; i < 3; i++) {
    const response = await anonymous.get(`/api/lots/${lot.id}`);
    expect(response.ok()).toBeTruthy();
  }
  await anonymous.dispose();

  await panel.getByRole("button", { name: "Refresh the counts" }).click();
  await expect.poll(cells).toEqual([
    (hitsBefore! + 2).toLocaleString("en-US"),
    (missesBefore! + 1).toLocaleString("en-US"),
    `${((100 * (hitsBefore! + 2)) / (hitsBefore! + missesBefore! + 3)).toFixed(1)}%`,
  ]);
  await screenshot(page, "admin-cache");

  // A player is refused the counts.
  const player = await createPlayer("cache");
  const bearer = await bearerContext(player.email, player.password);
  const refused = await bearer.get("/api/admin/cache");
  expect(refused.status()).toBe(403);
  expect((await refused.json()).code).toBe("missing_role");
  await bearer.dispose();
  await admin.dispose();
});
