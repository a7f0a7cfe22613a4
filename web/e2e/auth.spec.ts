// The account screens in a real browser against the real API: register, confirm by the
// mailbox link, log in (by keyboard), reset and change the password, log out here and
// everywhere, the open-redirect guard and a session that expires mid-flow.
import { loginStatus, tabTo, throttleLogins, yearsAgo } from "./auth-helpers";
import {
  createPlayer,
  expect,
  expectAccessible,
  linkFromEmail,
  logInBrowser,
  mailbox,
  newIdentity,
  screenshot,
  test,
} from "./fixtures";
import type { Page } from "@playwright/test";

const confirmEmails = async (to: string) =>
  (await mailbox(to)).filter((message) => message.subject.includes("Confirm")).length;

async function logInWithForm(page: Page, email: string, password: string) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

test("a new player registers at 375 px, confirms by the emailed link, logs in by keyboard and logs out", async ({
  page,
}) => {
  await page.setViewportSize({ width: 375, height: 800 });
  const player = newIdentity("reg");

  await page.goto("/register");
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  await expect(page.getByText("You must be 18 or older to play")).toBeVisible();
  await expect(page.getByText("at least 3 different characters")).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("Email", { exact: true }).fill(player.email);
  await page.getByLabel("Username", { exact: true }).fill(player.username);
  await page.getByLabel("Password", { exact: true }).fill(player.password);
  await page.getByLabel("Date of birth").fill("1990-04-01");
  await page.getByLabel("Full name (optional)").fill("Ada Lovelace");
  await screenshot(page, "register");
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText(player.email);
  await expectAccessible(page);
  await expect.poll(() => confirmEmails(player.email)).toBe(1);
  await page.getByRole("button", { name: "Send the link again" }).click();
  await expect(page.getByText("a new link is on its way")).toBeVisible();
  await expect.poll(() => confirmEmails(player.email)).toBe(2);

  // Not confirmed yet: the API still says so.
  const link = await linkFromEmail(player.email, "/verify");
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Your email is confirmed" })).toBeVisible();
  await expectAccessible(page);
  await expect(page.getByRole("link", { name: "Log in" }).last()).toBeVisible();

  // The same link again: used up, and the page says what to do.
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "This link doesn't work" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("expired or was already used");
  await expect(page.getByRole("button", { name: "Send a new link" })).toBeVisible();
  await expectAccessible(page);

  // Keyboard only: Tab to the email field, type, Tab, type, Enter.
  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "login");
  const email = page.getByLabel("Email", { exact: true });
  await tabTo(page, email);
  await page.keyboard.type(player.email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password", { exact: true })).toBeFocused();
  await page.keyboard.type(player.password);
  await page.keyboard.press("Enter");

  const account = page.getByRole("link", { name: `Account (${player.username})` });
  await expect(account).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
  const me = await page.request.get("/api/users/me");
  expect(me.status()).toBe(200);
  expect((await me.json()).verified_email).toBe(true);

  await account.click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("link", { name: "Log in" })).toBeVisible();
  await expect(account).toHaveCount(0);
  expect((await page.request.get("/api/users/me")).status()).toBe(401);
});

test("an underage date of birth and a weak password are refused with clear messages and create nothing", async ({
  page,
}) => {
  const player = newIdentity("young");
  await page.goto("/register");
  await page.getByLabel("Email", { exact: true }).fill(player.email);
  await page.getByLabel("Username", { exact: true }).fill(player.username);
  await page.getByLabel("Password", { exact: true }).fill(player.password);
  const dateOfBirth = page.getByLabel("Date of birth");
  await dateOfBirth.fill(yearsAgo(18, 1)); // 18 tomorrow
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page.getByRole("alert")).toContainText("You must be at least 18 to play.");
  await expect(dateOfBirth).toHaveAttribute("aria-invalid", "true");
  await expect(dateOfBirth).toHaveAccessibleDescription(/You must be at least 18 to play\./);
  await expect(dateOfBirth).toBeFocused();
  await expectAccessible(page);

  await dateOfBirth.fill("1990-04-01");
  const password = page.getByLabel("Password", { exact: true });
  await password.fill("password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(password).toHaveAttribute("aria-invalid", "true");
  await expect(password).toHaveAccessibleDescription(/among the most commonly used/);
  await expect(dateOfBirth).not.toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("alert")).toContainText("Choose a stronger password.");
  await expectAccessible(page);

  await password.fill(player.username.toUpperCase());
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(password).toHaveAccessibleDescription(/must not be your email address or username/);

  // Nothing was created: no account to log in to, no email sent.
  expect(await loginStatus(player.email, player.password)).toEqual({ status: 401, code: "invalid_credentials" });
  expect(await loginStatus(player.email, "password")).toEqual({ status: 401, code: "invalid_credentials" });
  expect(await mailbox(player.email)).toEqual([]);
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
});

test("forgot password: the emailed link sets a new password that logs in, and the old one stops working", async ({
  page,
}) => {
  const player = await createPlayer("forgot");
  const newPassword = `New-${player.password}`;

  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("Email", { exact: true }).fill(player.email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText(`If an account uses ${player.email}`);
  await expectAccessible(page);

  // An address with no account gets the very same answer.
  await page.getByRole("button", { name: "Ask again" }).click();
  await page.getByLabel("Email", { exact: true }).fill("nobody-at-all@example.com");
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account uses nobody-at-all@example.com");

  const link = await linkFromEmail(player.email, "/reset-password");
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(`${newPassword}x`);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("alert")).toContainText("don't match");
  await expect(page.getByLabel("Confirm new password")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Set new password" }).click();

  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("status")).toContainText("Your new password is set");
  await logInWithForm(page, player.email, newPassword);
  await expect(page.getByRole("link", { name: `Account (${player.username})` })).toBeVisible();
  expect(await loginStatus(player.email, player.password)).toEqual({ status: 401, code: "invalid_credentials" });
  expect((await loginStatus(player.email, newPassword)).status).toBe(200);

  // The link worked once.
  await page.goto(link);
  await page.getByLabel("New password", { exact: true }).fill(`${newPassword}-again`);
  await page.getByLabel("Confirm new password").fill(`${newPassword}-again`);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("alert")).toContainText("expired or was already used");
  await expect(page.getByRole("link", { name: "Ask for a new link" })).toBeVisible();
});

test("the account page edits the profile, changes the password, and logs out everywhere", async ({
  page,
  browser,
}) => {
  const player = await createPlayer("acct");
  const newPassword = `Changed-${player.password}`;
  await logInBrowser(page, player);

  await page.goto("/account");
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByText(player.email)).toBeVisible();
  for (const name of ["My entries", "My results", "Credits"]) {
    await expect(page.getByRole("navigation", { name: "Your play" }).getByRole("link", { name })).toBeVisible();
  }
  await expectAccessible(page);
  await screenshot(page, "account");

  await page.getByLabel("Full name").fill("Grace Hopper");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByRole("status")).toContainText("Your profile is saved.");
  expect((await (await page.request.get("/api/users/me")).json()).full_name).toBe("Grace Hopper");

  // A wrong current password is named beside its field.
  await page.getByLabel("Current password").fill("not-my-password-at-all");
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByLabel("Current password")).toHaveAccessibleDescription(/current password is not right/);
  await expectAccessible(page);

  await page.getByLabel("Current password").fill(player.password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("status")).toContainText("Your password is changed");
  expect((await page.request.get("/api/users/me")).status()).toBe(401);
  await logInWithForm(page, player.email, newPassword);
  await expect(page.getByRole("link", { name: `Account (${player.username})` })).toBeVisible();

  // A second browser, logged in as the same player.
  const elsewhere = await browser.newContext();
  const other = await elsewhere.newPage();
  await logInBrowser(other, { email: player.email, password: newPassword });
  await other.goto("/account");
  await expect(other.getByRole("heading", { name: "Your account" })).toBeVisible();

  await page.goto("/account");
  await page.getByRole("button", { name: "Log out everywhere" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("status")).toContainText("You're logged out on every device.");
  await expect(page.getByRole("link", { name: "Log in" })).toBeVisible();

  // The other browser's next page load sends it to log in (and back).
  await other.reload();
  await expect(other).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(other.getByRole("heading", { name: "Log in" })).toBeVisible();
  expect((await other.request.get("/api/users/me")).status()).toBe(401);
  await elsewhere.close();
});

test("?next= never leads off the site", async ({ page }) => {
  const player = await createPlayer("redirect");
  await page.goto("/login?next=//evil.example");
  await logInWithForm(page, player.email, player.password);
  await expect(page.getByRole("link", { name: `Account (${player.username})` })).toBeVisible();
  expect(new URL(page.url()).host).toBe(new URL(test.info().project.use.baseURL!).host);
  expect(new URL(page.url()).pathname).toBe("/");
});

test("an expired session refreshes by itself, and a dead one sends to log in and back", async ({ page }) => {
  const player = await createPlayer("expiry");
  await page.goto("/login?next=%2Faccount");
  await logInWithForm(page, player.email, player.password);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();

  // The access cookie is gone (as when it expires): the refresh cookie renews it.
  await page.context().clearCookies({ name: "alot_access" });
  await page.goto("/account");
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByText(player.email)).toBeVisible();
  const names = (await page.context().cookies()).map((cookie) => cookie.name);
  expect(names).toContain("alot_access");

  // Mid-flow, the whole session is gone: the next request sends to log in, and back.
  await page.context().clearCookies();
  await page.getByLabel("Full name").fill("Ada Byron");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(page.getByRole("status")).toContainText("Your session expired");
  await expectAccessible(page);

  // A protected page opened with no session at all: to log in, and back after.
  await page.goto("/me/credits");
  await expect(page).toHaveURL(/\/login\?next=%2Fme%2Fcredits$/);
  await logInWithForm(page, player.email, player.password);
  await expect(page).toHaveURL(/\/me\/credits$/);
});

test("a throttled login shows how long to wait, then the right password works", async ({ page }) => {
  const player = await createPlayer("throttled");
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(player.email);
  await page.getByLabel("Password", { exact: true }).fill(player.password);
  await throttleLogins(player.email, 4);
  const submit = page.getByRole("button", { name: "Log in" });
  await submit.click();
  await expect(page.getByRole("alert")).toContainText(/Too many attempts .* Wait \d+ seconds?, then try again\./);
  await expect(submit).toBeDisabled();
  await expectAccessible(page);
  await expect(page.getByText("You can try again now.")).toBeVisible({ timeout: 20_000 });
  await expect(submit).toBeEnabled();
  await submit.click();
  await expect(page.getByRole("link", { name: `Account (${player.username})` })).toBeVisible();
});
