// Terms and privacy in a real browser: the register form states what registering
// accepts (with links to both texts, and the optional country); the pages say what
// the terms promise (a free entry route with the same odds); a player whose accepted
// terms are an older version is asked again, by the banner and by the buy panel when a
// purchase is refused, and buys once they accept. The e2e server has one terms version;
// e2e/terms_setup.py records a player as having accepted an earlier one (the state a
// restart with a new ALOT_TERMS_VERSION leaves every player in).
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import {
  adminApi,
  bearerContext,
  createLot,
  createPlayer,
  expect,
  expectAccessible,
  linkFromEmail,
  logInBrowser,
  newIdentity,
  test,
} from "./fixtures";

const repo = resolve(import.meta.dirname, "..", "..");
const VERSION = "2026-12-01";

/** Record `email` as having accepted only an earlier version of the terms. */
function acceptedAnEarlierVersion(email: string) {
  execFileSync(join(repo, ".venv", "bin", "python"), [join(import.meta.dirname, "terms_setup.py"), email], {
    cwd: repo,
    env: { ...process.env, ALOT_VAR_DIR: process.env.ALOT_E2E_VAR ?? "", ALOT_LOG_LEVEL: "CRITICAL" },
    encoding: "utf8",
    stdio: "pipe",
  });
}

test("registering states the terms it accepts, and records them", async ({ page }) => {
  await page.goto("/register");
  await expect(
    page.getByText(
      `By creating an account you accept the Terms (version ${VERSION}) and the Privacy notice (version ${VERSION}).`,
    ),
  ).toBeVisible();
  await expectAccessible(page);

  const player = newIdentity("terms");
  await page.getByLabel("Email").fill(player.email);
  await page.getByLabel("Username").fill(player.username);
  await page.getByLabel("Password").fill(player.password);
  await page.getByLabel("Date of birth").fill("1990-04-01");
  await page.getByLabel("Country of residence (optional)").selectOption("IE");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();

  const token = new URL(await linkFromEmail(player.email, "/verify")).searchParams.get("token");
  const verified = await page.request.post("/api/auth/verify-email", { data: { token } });
  expect(verified.ok()).toBeTruthy();
  const me = await bearerContext(player.email, player.password);
  const account = await (await me.get("/api/users/me")).json();
  expect(account.country).toBe("IE");
  expect(account.terms).toMatchObject({ accepted_terms_version: VERSION, accepted_privacy_version: VERSION, current: true });
  await me.dispose();

  // The texts, linked from the form.
  await page.goto("/register");
  await page.getByRole("link", { name: "Terms", exact: true }).first().click();
  await expect(page.getByRole("heading", { name: "Terms", level: 1 })).toBeVisible();
  await expect(page.getByText(`Version ${VERSION}`)).toBeVisible();
  await expect(page.getByText("Every lot has a free entry route")).toBeVisible();
  await expect(page.getByText("exactly the same odds of winning")).toBeVisible();
  await expectAccessible(page);
  await page.goto("/privacy");
  await expect(page.getByRole("heading", { name: "Privacy notice", level: 1 })).toBeVisible();
  await expect(page.getByText(`Version ${VERSION}`)).toBeVisible();
});

test("a player with older terms accepts the new ones from the banner, then buys", async ({ page }) => {
  const player = await createPlayer("oldterms");
  acceptedAnEarlierVersion(player.email);
  const lot = await createLot(await adminApi());
  await logInBrowser(page, player);
  await page.goto(`/lots/${lot.id}`);

  const banner = page.getByRole("region", { name: "Our terms have changed" });
  await expect(banner).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("What colour is a clear daytime sky?").fill("blue");
  await page.getByRole("button", { name: "Submit answer" }).click();
  await page.getByRole("radio", { name: /^1 ticket for \$2\.00/ }).check();
  await page.getByRole("button", { name: "Buy 1 ticket for $2.00" }).click();
  await expect(page.getByText("Accept the new terms above, then buy again.")).toBeVisible();

  await banner.getByRole("button", { name: "I accept the Terms and the Privacy notice" }).click();
  await expect(banner).toBeHidden();
  await page.getByRole("button", { name: "Buy 1 ticket for $2.00" }).click();
  await expect(page.getByRole("heading", { name: "You're in!" })).toBeVisible();
});

test("a purchase refused for new terms asks for them in the buy panel", async ({ page }) => {
  const player = await createPlayer("midterms");
  const lot = await createLot(await adminApi());
  await logInBrowser(page, player);
  await page.goto(`/lots/${lot.id}`);
  await page.getByLabel("What colour is a clear daytime sky?").fill("blue");
  await page.getByRole("button", { name: "Submit answer" }).click();
  await expect(page.getByText("You answered the question correctly")).toBeVisible();

  // New terms are published while the page is open.
  acceptedAnEarlierVersion(player.email);
  await page.getByRole("radio", { name: /^1 ticket for \$2\.00/ }).check();
  await page.getByRole("button", { name: "Buy 1 ticket for $2.00" }).click();
  const dialog = page.getByRole("region", { name: "Our terms have changed" });
  await expect(dialog).toBeVisible();
  await expect(page.getByText("Our terms have changed: accept the new version before buying.")).toBeVisible();
  await dialog.getByRole("button", { name: "I accept the Terms and the Privacy notice" }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole("button", { name: "Buy 1 ticket for $2.00" }).click();
  await expect(page.getByRole("heading", { name: "You're in!" })).toBeVisible();

  const me = await bearerContext(player.email, player.password);
  expect((await (await me.get("/api/users/me")).json()).terms.current).toBe(true);
  await me.dispose();
});
