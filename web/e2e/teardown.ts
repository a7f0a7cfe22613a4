// The scratch var dir of the e2e server (database, keys) goes when the run ends.
import { rmSync } from "node:fs";

export default function teardown() {
  const dir = process.env.ALOT_E2E_VAR;
  if (dir && dir.includes("alot-e2e-")) rmSync(dir, { recursive: true, force: true });
}
