import { expect, expectAccessible, test } from "./fixtures";

test("the platform serves the client at / and client routes fall back to it", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("link", { name: "ALOT!" })).toBeVisible();
  await expectAccessible(page);
  await page.goto("/no/such/page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("a player cannot reach the admin desk", async ({ page }) => {
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin/);
});
