// End-to-end tests: the built client served by a real `alot run` (SQLite, in-process
// tasks, sandbox payments) in a scratch var dir, driven in the machine's Chromium.
// No browser is downloaded: ALOT_CHROMIUM or /usr/bin/chromium (Debian's `chromium`).
import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "..");
// Set once in the runner; its workers inherit the environment and so agree on both.
process.env.ALOT_E2E_PORT ??= String(8600 + Math.floor(Math.random() * 900));
process.env.ALOT_E2E_VAR ??= mkdtempSync(join(tmpdir(), "alot-e2e-"));
const port = Number(process.env.ALOT_E2E_PORT);
const baseURL = `http://127.0.0.1:${port}`;

export const DEV_SECRET = "e2e-dev-mailbox-secret";

export default defineConfig({
  testDir: "e2e",
  globalTeardown: "./e2e/teardown.ts",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1, // one server, two cores: tests take turns
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.ALOT_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `${join(repo, ".venv", "bin", "alot")} run --port ${port}`,
    cwd: repo,
    url: `${baseURL}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      ALOT_VAR_DIR: process.env.ALOT_E2E_VAR,
      ALOT_WEB_DIR: join(repo, "web", "dist"),
      ALOT_DEV_MAILBOX_SECRET: DEV_SECRET,
      // One browser is many players here: the per-client limits would throttle the suite.
      ALOT_RATE_LIMIT_DEFAULT: "100000/minute",
      ALOT_RATE_LIMIT_AUTH: "100000/minute",
      ALOT_LOGIN_ACCOUNT_CEILING: "100000/minute",
      ALOT_ARGON2_TIME_COST: "1",
      ALOT_ARGON2_MEMORY_KIB: "8192",
      ALOT_ARGON2_PARALLELISM: "1",
      ALOT_LOG_LEVEL: "WARNING",
      // The server's own periodic jobs (expiry and refunds, draws, the outbox) every 2 s,
      // so the tests see what a deployment does by itself: refunds that start at the
      // deadline with no admin step, and their emails in this server's dev mailbox
      // (an `alot tick` run beside it sends pending emails from its own process).
      ALOT_SCHEDULER_INTERVAL_SECONDS: "2",
    },
  },
});
