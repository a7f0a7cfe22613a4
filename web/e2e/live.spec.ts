// Live updates end to end: the lot page follows purchases made elsewhere (another
// player, through the API) over the tab's WebSocket to the real `alot run`, without a
// reload and without polling; it survives a dropped connection and catches up by seq;
// the player's own events arrive as toasts. Proof that an update came over the socket
// and not from a refetch: the page sends no GET of the lot meanwhile.
import type { APIRequestContext, Page, WebSocketRoute } from "@playwright/test";
import {
  adminApi,
  bearerContext,
  createLot,
  createPlayer,
  expect,
  expectAccessible,
  logInBrowser,
  test,
  type Player,
} from "./fixtures";
import { buy } from "./me-helpers";

async function triviaPassed(player: Player, lotId: string): Promise<APIRequestContext> {
  const api = await bearerContext(player.email, player.password);
  const answered = await api.post(`/api/lots/${lotId}/trivia/attempt`, { data: { answer: "blue" } });
  expect(answered.ok(), await answered.text()).toBeTruthy();
  expect((await answered.json()).correct).toBe(true);
  return api;
}

/** Counts the page's GETs of the lot itself (not its leaderboard or draw). */
function lotReads(page: Page, lotId: string): { count: number } {
  const reads = { count: 0 };
  page.on("request", (request) => {
    if (request.method() === "GET" && new URL(request.url()).pathname === `/api/lots/${lotId}`) reads.count += 1;
  });
  return reads;
}

function fact(page: Page, term: string) {
  return page.locator("dt", { hasText: term }).locator("xpath=following-sibling::dd[1]");
}

test("the lot page follows another player's purchases as they happen", async ({ page }) => {
  const admin = await adminApi();
  const lot = await createLot(admin, { targetCents: 100_000 });
  const other = await triviaPassed(await createPlayer("livebuyer"), lot.id);
  const reads = lotReads(page, lot.id);

  await page.goto(`/lots/${lot.id}`);
  await expect(page.getByTestId("live-status")).toHaveText("Live: updates as they happen");
  await expect(fact(page, "Tickets sold")).toHaveText("0");
  const before = reads.count;

  await buy(other, lot.id, 1); // 3 tickets, $5.00 of $1,000.00
  await expect(fact(page, "Tickets sold")).toHaveText("3");
  const bar = page.getByRole("progressbar", { name: `Funding of ${lot.title}` });
  await expect(bar).toHaveAttribute("aria-valuetext", "0.5% funded");
  await buy(other, lot.id, 0);
  await expect(fact(page, "Tickets sold")).toHaveText("4");
  await expect(bar).toHaveAttribute("aria-valuetext", "0.7% funded");
  await expect(page.getByRole("table")).toContainText("4"); // the leaderboard followed
  expect(reads.count, "the updates came over the socket, not from refetching the lot").toBe(before);

  // The lots list's card follows too.
  await page.goto("/");
  const card = page.getByRole("article", { name: lot.title });
  await expect(card.getByRole("progressbar")).toHaveAttribute("aria-valuetext", "0.7% funded");
  await buy(other, lot.id, 1);
  await expect(card.getByRole("progressbar")).toHaveAttribute("aria-valuetext", "1.2% funded");
  await other.dispose();
  await admin.dispose();
});

test("a dropped connection is reopened and catches up on what it missed", async ({ page }) => {
  const admin = await adminApi();
  const lot = await createLot(admin, { targetCents: 100_000 });
  const other = await triviaPassed(await createPlayer("dropbuyer"), lot.id);

  // The test stands between the page and the server (a real connection to it), so it
  // can drop the connection and hold the next one back while purchases happen.
  const connections: { route: WebSocketRoute; sent: Record<string, unknown>[] }[] = [];
  let release: () => void = () => undefined;
  let held: Promise<void> | null = null;
  await page.routeWebSocket(/\/api\/ws$/, async (route) => {
    const connection = { route, sent: [] as Record<string, unknown>[] };
    connections.push(connection);
    if (held) await held;
    const server = route.connectToServer();
    route.onMessage((message) => {
      connection.sent.push(JSON.parse(String(message)));
      server.send(message);
    });
  });
  const reads = lotReads(page, lot.id);

  await page.goto(`/lots/${lot.id}`);
  await expect(page.getByTestId("live-status")).toHaveText("Live: updates as they happen");
  await buy(other, lot.id, 0);
  await expect(fact(page, "Tickets sold")).toHaveText("1");
  const before = reads.count;

  held = new Promise((done) => (release = done));
  await connections[0]!.route.close({ code: 1012, reason: "dropped by the test" });
  await expect(page.getByTestId("live-status")).toHaveText(/Reconnecting/);
  await expect.poll(() => connections.length, { message: "the page reconnects" }).toBe(2);
  await buy(other, lot.id, 1); // bought while the page hears nothing
  await buy(other, lot.id, 1);
  await expect(fact(page, "Tickets sold")).toHaveText("1");
  release();

  await expect(fact(page, "Tickets sold")).toHaveText("7");
  await expect(page.getByTestId("live-status")).toHaveText("Live: updates as they happen");
  const resumed = connections[1]!.sent.find((message) => message.type === "subscribe");
  expect(resumed).toMatchObject({ lot_id: lot.id, after_seq: expect.any(Number) });
  expect(reads.count, "caught up by resuming, not by refetching").toBe(before);

  await buy(other, lot.id, 0); // and it is live again
  await expect(fact(page, "Tickets sold")).toHaveText("8");
  await other.dispose();
  await admin.dispose();
});

test("the player's own events: the draw as it happens, then a toast that they won", async ({ page }) => {
  const admin = await adminApi();
  const lot = await createLot(admin, { targetCents: 1_000 });
  const player = await createPlayer("livewinner");
  const api = await triviaPassed(player, lot.id);
  await logInBrowser(page, player);

  await page.goto(`/lots/${lot.id}`);
  await expect(page.getByTestId("live-status")).toHaveText("Live: updates as they happen");
  await expect(page.getByTestId("notification-bell")).toHaveAttribute("aria-label", "Notifications");

  // The same player buys elsewhere (their phone): two bundles fund the lot, and the
  // draw runs by itself. The only buyer wins.
  await buy(api, lot.id, 1);
  await buy(api, lot.id, 1);
  const toasts = page.getByTestId("toasts");
  await expect(toasts).toHaveAttribute("aria-live", "polite"); // announced, focus kept
  const toast = toasts.getByTestId("toast").filter({ hasText: "You won!" });
  await expect(toast).toBeVisible({ timeout: 20_000 });
  const draw = await (await api.get(`/api/lots/${lot.id}/draw`)).json();
  await expect(toast).toContainText(`Winning ticket #${draw.winning_ticket}`);
  await expect(page.getByTestId("winning-ticket")).toContainText(`#${draw.winning_ticket}`);
  await expect(page.getByRole("link", { name: "See the winner and verify the draw" })).toBeVisible();
  await expect(page.getByTestId("notification-bell")).toHaveAttribute("aria-label", "Notifications, 1 unread");
  await expectAccessible(page);

  await toast.getByRole("button", { name: "Dismiss" }).click();
  await expect(toast).toHaveCount(0);
  await api.dispose();
  await admin.dispose();
});

test("a visitor who logs in from a lot page then hears their own events (the connection is reopened as them)", async ({
  page,
}) => {
  const admin = await adminApi();
  const lot = await createLot(admin, { targetCents: 1_000 });
  const player = await createPlayer("livelogin");
  const api = await triviaPassed(player, lot.id);

  // Watching anonymously first: the tab's connection is a visitor's.
  await page.goto(`/lots/${lot.id}`);
  await expect(page.getByTestId("live-status")).toHaveText("Live: updates as they happen");
  await page.getByRole("link", { name: "Log in to answer and buy" }).click();
  await page.getByLabel("Email", { exact: true }).fill(player.email);
  await page.getByLabel("Password", { exact: true }).fill(player.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(new RegExp(`/lots/${lot.id}$`));
  await expect(page.getByTestId("live-status")).toHaveText("Live: updates as they happen");

  await buy(api, lot.id, 1);
  await buy(api, lot.id, 1); // funded: drawn, and the only buyer wins
  await expect(page.getByTestId("toasts").getByTestId("toast").filter({ hasText: "You won!" })).toBeVisible({
    timeout: 20_000,
  });
  await api.dispose();
  await admin.dispose();
});
