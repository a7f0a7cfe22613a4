// The result of this tab's last ledger check, for the layout's indicator and the Ledger
// page. Kept apart from run.ts so reading it does not load the verifier.
import type { Outcome } from "./compare";

export type CheckResult =
  | { kind: "checked"; outcome: Outcome; notes: string[]; at: string }
  | { kind: "no_checkpoint"; at: string }
  | { kind: "error"; message: string; at: string };

let last: CheckResult | null = null;
let checking = false;
const listeners = new Set<() => void>();

export type CheckState = { last: CheckResult | null; checking: boolean };
let state: CheckState = { last, checking };

function publish() {
  state = { last, checking };
  listeners.forEach((l) => l());
}

export function setLastCheck(result: CheckResult): void {
  last = result;
  checking = false;
  publish();
}

export function setChecking(): void {
  checking = true;
  publish();
}

export function checkState(): CheckState {
  return state;
}

export function subscribeCheck(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Load the checker (and the verifier's crypto) only now, and run it. */
export async function runLedgerCheck(): Promise<CheckResult> {
  setChecking();
  try {
    const { checkLedger } = await import("./run");
    return await checkLedger();
  } catch (error) {
    const result: CheckResult = { kind: "error", message: error instanceof Error ? error.message : String(error), at: new Date().toISOString() };
    setLastCheck(result);
    return result;
  }
}
