// The admin's dead letters in a real browser: a background task that failed on every
// attempt is listed on /admin/tasks (linked from the desk), retried behind a
// confirmation dialog, and is pending again. The dead task is made by the platform's
// own code against the e2e server's data (e2e/dead_task.py): a draw for a lot that does
// not exist, run once with one attempt allowed.
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

/** A dead `draw` task on the e2e server's database; its id and key. */
function deadTask(): { id: string; key: string } {
  const out = execFileSync(join(repo, ".venv", "bin", "python"), [join(import.meta.dirname, "dead_task.py")], {
    cwd: repo,
    env: {
      ...process.env,
      ALOT_VAR_DIR: process.env.ALOT_E2E_VAR ?? "",
      ALOT_TASK_RUNNER: "inline",
      ALOT_TASK_MAX_ATTEMPTS: "1",
      ALOT_LOG_LEVEL: "CRITICAL",
    },
    encoding: "utf8",
    stdio: "pipe", // its log lines are in the error if it fails
    timeout: 60_000,
  });
  const [id, key] = out.trim().split(" ");
  return { id: id!, key: key! };
}

test("an admin sees a failed background task and retries it", async ({ page }) => {
  const admin = await adminApi();
  const failed = async () => (await (await admin.get("/api/admin/tasks/failed")).json()).items as { id: string }[];
  // Nothing the other specs do leaves a task dead: a dead one there would be a bug.
  expect(await failed()).toEqual([]);
  await logInBrowser(page, adminCredentials());

  await page.goto("/admin/tasks");
  await expect(page.getByRole("heading", { name: "Background tasks", level: 1 })).toBeVisible();
  await expect(page.getByText("No failed tasks")).toBeVisible();
  await expectAccessible(page);

  // A task dies; the desk counts it and leads to it.
  const task = deadTask();
  await page.goto("/admin");
  const card = page.getByRole("region", { name: "Failed background tasks" });
  await expect(card.getByText("1", { exact: true })).toBeVisible();
  await card.getByRole("link", { name: "See and retry them" }).click();
  await expect(page).toHaveURL(/\/admin\/tasks$/);
  const table = page.getByRole("table");
  const row = table.getByRole("row").filter({ hasText: task.key });
  await expect(row.getByRole("cell", { name: "Draw and settle a lot" })).toBeVisible();
  await expect(row.getByRole("cell", { name: "1", exact: true })).toBeVisible(); // attempts
  await expect(row.getByText(/^LookupError: no lot /)).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "admin-tasks");

  // Retry: a dialog says what happens; Cancel changes nothing.
  await row.getByRole("button", { name: `Retry ${task.key}` }).click();
  const dialog = page.getByRole("dialog", { name: "Retry this task?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("gets a new round of attempts and runs now");
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await expectAccessible(page);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  expect((await failed()).map((t) => t.id)).toEqual([task.id]);

  await row.getByRole("button", { name: `Retry ${task.key}` }).click();
  await dialog.getByRole("button", { name: "Retry task" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("status").filter({ hasText: `Retried: ${task.key} is pending again and runs now.` })).toBeVisible();
  // It ran again on the server (and failed, the lot still missing): backing off, no longer dead.
  await expect(page.getByText("No failed tasks")).toBeVisible();
  expect(await failed()).toEqual([]);
  await expectAccessible(page);

  // The desk's own nav leads here too; a player cannot read or retry tasks.
  await page.goto("/admin");
  await page.getByRole("navigation", { name: "Admin sections" }).getByRole("link", { name: "Background tasks" }).click();
  await expect(page.getByRole("heading", { name: "Background tasks", level: 1 })).toBeVisible();
  const player = await createPlayer("tasks");
  await page.context().clearCookies();
  await logInBrowser(page, player);
  await page.goto("/admin/tasks");
  await expect(page.getByRole("heading", { name: "Admins only" })).toBeVisible();
  const refusedRead = await page.request.get("/api/admin/tasks/failed");
  expect(refusedRead.status()).toBe(403);
  expect((await refusedRead.json()).code).toBe("missing_role");
  const bearer = await bearerContext(player.email, player.password);
  const refusedRetry = await bearer.post(`/api/admin/tasks/${task.id}/retry`);
  expect(refusedRetry.status()).toBe(403);
  expect((await refusedRetry.json()).code).toBe("missing_role");
  await bearer.dispose();
  await admin.dispose();
});
