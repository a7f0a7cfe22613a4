// Helpers for the account-screen tests (auth.spec.ts).
import { expect, request as playwrightRequest, type Locator, type Page } from "@playwright/test";
import { baseURL } from "./fixtures";

/** Presses Tab until `target` has the keyboard focus (as a keyboard user would). */
export async function tabTo(page: Page, target: Locator, most = 25) {
  for (let i = 0; i < most; i++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target).toBeFocused();
}

/** The status of a bearer login with these credentials, from outside the browser. */
export async function loginStatus(email: string, password: string): Promise<{ status: number; code?: string }> {
  const api = await playwrightRequest.newContext({ baseURL });
  const response = await api.post("/api/auth/login", { data: { email, password, transport: "bearer" } });
  const body = response.ok() ? {} : await response.json();
  await api.dispose();
  return { status: response.status(), code: body.code };
}

/** A date of birth `years` years before today (YYYY-MM-DD). */
export function yearsAgo(years: number, plusDays = 0): string {
  const now = new Date();
  const date = new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), now.getUTCDate() + plusDays));
  return date.toISOString().slice(0, 10);
}

/** Fails logins to `email` from this machine until the throttle makes it wait at
 * least `seconds` (the backoff doubles with each failure past the threshold). */
export async function throttleLogins(email: string, seconds: number) {
  const api = await playwrightRequest.newContext({ baseURL });
  for (let attempt = 0; attempt < 20; attempt++) {
    const response = await api.post("/api/auth/login", {
      data: { email, password: "not-the-password-at-all", transport: "bearer" },
    });
    if (response.status() === 429) {
      const wait = Number(response.headers()["retry-after"]);
      if (wait >= seconds) break;
      await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 150));
    } else {
      expect(response.status()).toBe(401);
    }
  }
  await api.dispose();
}
