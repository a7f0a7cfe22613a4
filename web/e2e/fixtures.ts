// Shared set-up for the end-to-end tests: players and lots made through the real API
// (what another player or an admin would do elsewhere), the dev mailbox for the emails,
// and the accessibility check every screen must pass.
import AxeBuilder from "@axe-core/playwright";
import { expect, request as playwrightRequest, type APIRequestContext, type Page } from "@playwright/test";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEV_SECRET } from "../playwright.config";

export { expect, test } from "@playwright/test";

export const baseURL = `http://127.0.0.1:${process.env.ALOT_E2E_PORT}`;
const repo = resolve(import.meta.dirname, "..", "..");

export type Player = { email: string; username: string; password: string };

let counter = 0;
/** A fresh identity no other test uses. */
export function newIdentity(prefix = "player"): Player {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e4)}`;
  return {
    email: `${prefix}-${tag}@example.com`,
    username: `${prefix}_${tag}`.slice(0, 30),
    password: `Correct-Horse-${tag}-Battery`,
  };
}

export function adminCredentials(): { email: string; password: string } {
  const path = join(process.env.ALOT_E2E_VAR ?? "", "demo-admin.json");
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Emails the dev mailbox holds for `to`, newest last. */
export async function mailbox(to: string): Promise<{ subject: string; body: string }[]> {
  const api = await playwrightRequest.newContext({ baseURL });
  const response = await api.get(`/api/dev/mailbox`, { params: { to, secret: DEV_SECRET } });
  expect(response.ok(), await response.text()).toBeTruthy();
  const messages = await response.json();
  await api.dispose();
  return messages;
}

/** The first link in the newest email to `to` whose path is `path` (waits for it). */
export async function linkFromEmail(to: string, path: string): Promise<string> {
  let found: string | undefined;
  await expect
    .poll(async () => {
      const messages = await mailbox(to);
      for (const message of messages.reverse()) {
        const match = message.body.match(new RegExp(`https?://[^\\s]+${path}\\?token=[^\\s]+`));
        if (match) {
          found = match[0];
          return true;
        }
      }
      return false;
    }, { message: `an email to ${to} with a ${path} link` })
    .toBeTruthy();
  return found!;
}

/** An API context logged in with a bearer token (for set-up done "elsewhere"). */
export async function bearerContext(email: string, password: string): Promise<APIRequestContext> {
  const anonymous = await playwrightRequest.newContext({ baseURL });
  const login = await anonymous.post("/api/auth/login", { data: { email, password, transport: "bearer" } });
  expect(login.ok(), await login.text()).toBeTruthy();
  const { access_token } = await login.json();
  await anonymous.dispose();
  return playwrightRequest.newContext({
    baseURL,
    extraHTTPHeaders: { Authorization: `Bearer ${access_token}` },
  });
}

export async function adminApi(): Promise<APIRequestContext> {
  const { email, password } = adminCredentials();
  return bearerContext(email, password);
}

/** A registered, email-verified player, made through the API. */
export async function createPlayer(prefix = "player"): Promise<Player> {
  const player = newIdentity(prefix);
  const api = await playwrightRequest.newContext({ baseURL });
  const registered = await api.post("/api/auth/register", {
    data: { ...player, date_of_birth: "1990-04-01" },
  });
  expect(registered.status(), await registered.text()).toBe(202);
  const link = await linkFromEmail(player.email, "/verify");
  const token = new URL(link).searchParams.get("token");
  const verified = await api.post("/api/auth/verify-email", { data: { token } });
  expect(verified.ok(), await verified.text()).toBeTruthy();
  await api.dispose();
  return player;
}

/** Logs `player` in inside the page's browser context (cookies, as the client does). */
export async function logInBrowser(page: Page, player: { email: string; password: string }) {
  const response = await page.request.post("/api/auth/login", {
    data: { email: player.email, password: player.password, transport: "cookie" },
  });
  expect(response.ok(), await response.text()).toBeTruthy();
}

export type LotOptions = {
  title?: string;
  targetCents?: number;
  bundles?: { price_cents: number; tickets: number }[];
  question?: string;
  answer?: string;
  deadlineInHours?: number;
  algorithm?: "alot-v1" | "alot-v2";
  open?: boolean;
};

/** A product class and a lot on it, opened unless `open: false`; returns the lot. */
export async function createLot(admin: APIRequestContext, options: LotOptions = {}) {
  const tag = newIdentity("lot").username;
  const product = await admin.post("/api/admin/product-classes", {
    data: {
      name: `Test watch ${tag}`,
      brand: "Testmaker",
      category: "watch",
      tier: "RARE",
      retail_value_cents: 150_000,
      description: "A watch made for the end-to-end tests.",
    },
  });
  expect(product.ok(), await product.text()).toBeTruthy();
  const deadline = new Date(Date.now() + (options.deadlineInHours ?? 72) * 3600_000).toISOString();
  const lot = await admin.post("/api/lots", {
    data: {
      product_class_id: (await product.json()).id,
      title: options.title ?? `E2E lot ${tag}`,
      lot_type: "known",
      visibility: "public",
      funding_target_cents: options.targetCents ?? 1_000,
      entry_bundles: options.bundles ?? [
        { price_cents: 200, tickets: 1 },
        { price_cents: 500, tickets: 3 },
      ],
      non_winner_credit_rate_percent: 10,
      trivia_question: options.question ?? "What colour is a clear daytime sky?",
      trivia_answer: options.answer ?? "blue",
      deadline,
      draw_algorithm: options.algorithm ?? "alot-v1",
    },
  });
  expect(lot.ok(), await lot.text()).toBeTruthy();
  let body = await lot.json();
  if (options.open !== false) {
    const opened = await admin.post(`/api/admin/lots/${body.id}/open`);
    expect(opened.ok(), await opened.text()).toBeTruthy();
    body = await opened.json();
  }
  return body as { id: string; title: string; status: string };
}

/** No serious or critical axe-core violation on the page as it is now. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
  ).toEqual([]);
}

/** A screenshot of a main screen: into docs/web/screenshots/ with
 * ALOT_E2E_SCREENSHOTS=docs (for docs/web.md), else beside the test results. */
export async function screenshot(page: Page, name: string) {
  const dir =
    process.env.ALOT_E2E_SCREENSHOTS === "docs"
      ? join(repo, "docs", "web", "screenshots")
      : join(repo, "web", "test-results", "screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
