// Payouts in a real browser, on the sandbox (Connect in test mode): a host connects its
// Stripe account on /host/payouts (onboarded at once, labelled test mode), its payable
// balance is paid out by the server's own tick and shows with its transfer id; an admin
// sees the payout and a winner owed cash on /admin/payouts (linked from the desk) and
// records a payment by hand. The host applies and is approved through the API; the money
// owed is made by the platform's own code against the e2e server's data
// (e2e/payouts_setup.py), where e2e/marketplace.spec.ts earns it by a delivery.
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
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

const repo = resolve(import.meta.dirname, "..", "..");

function setup(...args: string[]): string {
  return execFileSync(join(repo, ".venv", "bin", "python"), [join(import.meta.dirname, "payouts_setup.py"), ...args], {
    cwd: repo,
    env: { ...process.env, ALOT_VAR_DIR: process.env.ALOT_E2E_VAR ?? "", ALOT_LOG_LEVEL: "CRITICAL" },
    encoding: "utf8",
    stdio: "pipe",
    timeout: 60_000,
  }).trim();
}

/** The player applies to host and the admin approves it; the host's id. */
async function approvedHost(player: { email: string; password: string; username: string }): Promise<string> {
  const host = await bearerContext(player.email, player.password);
  const applied = await host.post("/api/hosts/apply", {
    data: {
      display_name: `Watch House ${player.username}`,
      country: "GB",
      business_details: { legal_name: "Watch House Ltd", registration_number: "0987654", address_lines: ["1 Row"] },
    },
  });
  expect(applied.ok(), await applied.text()).toBeTruthy();
  const hostId = (await applied.json()).id as string;
  const admin = await adminApi();
  const approved = await admin.post(`/api/admin/hosts/${hostId}/approve`, { data: { reason: "Documents checked" } });
  expect(approved.ok(), await approved.text()).toBeTruthy();
  await Promise.all([host.dispose(), admin.dispose()]);
  return hostId;
}

async function userId(email: string, password: string): Promise<string> {
  const api = await bearerContext(email, password);
  const me = await (await api.get("/api/users/me")).json();
  await api.dispose();
  return me.id as string;
}

test("a host connects in test mode and is paid; an admin records a winner's payment", async ({ page }) => {
  const seller = await createPlayer("seller");
  const hostId = await approvedHost(seller);
  await logInBrowser(page, seller);

  await page.goto("/host/payouts");
  await expect(page.getByRole("heading", { name: "Payouts", level: 1 })).toBeVisible();
  await expect(page.getByTestId("connect-status")).toHaveText(/Not connected/);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Connect with Stripe" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Test mode" })).toBeVisible();
  await expect(page.getByTestId("connect-status")).toHaveText(/Connected/);

  // A share released to the host: the server's tick (every 2 s) pays it out.
  setup("release", hostId, "12345");
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("paid-out")).toHaveText("$123.45", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId("payable")).toHaveText("$0.00");
  const row = page.getByRole("row").filter({ hasText: "$123.45" });
  await expect(row).toContainText("Paid");
  await expect(row).toContainText("sandbox_tr_");
  await expectAccessible(page);
  await screenshot(page, "host-payouts");

  // A winner whose prize never came is owed 9.00; an admin pays it by hand.
  const winner = await createPlayer("winner");
  setup("owe", await userId(winner.email, winner.password), "900");
  await page.context().clearCookies();
  await logInBrowser(page, adminCredentials());
  await page.goto("/admin");
  await page.getByRole("link", { name: "Payouts" }).click();
  await expect(page.getByRole("heading", { name: "Payouts", level: 1 })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: hostId })).toContainText("$123.45");
  await expectAccessible(page);
  await page.getByRole("button", { name: `Record a payment to ${winner.username}` }).click();
  await page.getByLabel("Amount paid (USD)").fill("9.01");
  await page.getByLabel("Payment reference").fill("BANK-E2E-1");
  await page.getByRole("button", { name: "Record payment", exact: true }).click();
  await expect(page.getByText("That is more than the $9.00 owed.")).toBeVisible();
  await page.getByLabel("Amount paid (USD)").fill("9.00");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Record payment", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Recorded $9.00 paid to" })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: winner.username })).toHaveCount(0);
  await screenshot(page, "admin-payouts");
});
