// Data rights and the audit log: a player downloads everything held about them, then
// deletes their account (signed out, and the login refused afterwards); an admin's
// role change shows at the top of the audit log, its chain verified.
import { readFile } from "node:fs/promises";
import { loginStatus } from "./auth-helpers";
import {
  adminApi,
  adminCredentials,
  bearerContext,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  screenshot,
  test,
} from "./fixtures";

test("a player downloads their data, then deletes the account", async ({ page }) => {
  const player = await createPlayer("leaver");
  await logInBrowser(page, player);
  await page.goto("/me/data");
  await expect(page.getByRole("heading", { level: 1, name: "Your data" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "My records" }).getByRole("link", { name: "Your data" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "your-data");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download my data" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^alot-my-data-\d{4}-\d\d-\d\d\.json$/);
  const exported = JSON.parse(await readFile((await download.path())!, "utf8"));
  expect(exported.account.email).toBe(player.email);
  expect(exported.account.username).toBe(player.username.toLowerCase());
  expect(JSON.stringify(exported)).not.toContain("hashed_password\":");

  // What is kept and what is forfeited is said before confirming.
  await expect(page.getByText(/the ledger, which records ids and amounts only/)).toBeVisible();
  await expect(page.getByText(/credits left on your account are forfeited/)).toBeVisible();
  const remove = page.getByRole("button", { name: "Delete my account" });
  await page.getByLabel("Password").fill(player.password);
  await expect(remove).toBeDisabled();
  await page.getByLabel("Type DELETE to confirm").fill("DELETE");
  await remove.click();

  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText("Your account is deleted and you're signed out everywhere.")).toBeVisible();
  expect((await page.request.get("/api/users/me")).status()).toBe(401);
  expect((await loginStatus(player.email, player.password)).status).toBe(401);
});

test("the admin's role change is at the top of the audit log, chain verified", async ({ page }) => {
  const admin = await adminApi();
  const player = await createPlayer("auditor");
  const own = await bearerContext(player.email, player.password);
  const { id } = await (await own.get("/api/users/me")).json();
  await own.dispose();
  const changed = await admin.put(`/api/admin/users/${id}/roles`, { data: { roles: ["player", "auditor"] } });
  expect(changed.ok(), await changed.text()).toBeTruthy();
  await admin.dispose();

  await logInBrowser(page, adminCredentials());
  await page.goto("/admin");
  await page.getByRole("navigation", { name: "Admin sections" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  await expect(page.getByText(/^Chain verified/)).toBeVisible();
  // Newest first: the change just made is on the first page (other tests may have
  // added entries since, so it is found by the account it changed).
  const entry = page.getByRole("table", { name: /Audit log entries|Newest first/ }).getByRole("row").filter({ hasText: id });
  await expect(entry).toContainText("Roles changed");
  await expect(entry).toContainText("after: auditor, player");
  await expectAccessible(page);
  await screenshot(page, "audit-log");
});
