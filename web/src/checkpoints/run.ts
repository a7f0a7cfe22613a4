// The check the app runs on load (and the Ledger page on demand): fetch the ledger's
// latest cosigned checkpoint and its verifier key, compare with what this browser
// remembers (compare.ts), store the result. Loaded on demand, with the verifier's crypto.
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import { parseVerifierKey } from "../verify/checkpoint";
import { assess, type ShownCheckpoint } from "./compare";
import { setLastCheck, type CheckResult } from "./status";
import { updateMemory } from "./store";

async function consistencyProof(oldSize: number, newSize: number): Promise<string[]> {
  const document = unwrap(await api.GET("/api/ledger/proofs/consistency", { params: { query: { old_size: oldSize, new_size: newSize } } }));
  if (document.old_size !== oldSize || document.new_size !== newSize) {
    throw new Error(`the ledger answered for sizes ${document.old_size} to ${document.new_size}`);
  }
  return document.proof;
}

async function check(): Promise<CheckResult> {
  const at = () => new Date().toISOString();
  let shown: ShownCheckpoint;
  let servedKey: string;
  try {
    [shown, servedKey] = await Promise.all([
      api.GET("/api/ledger/checkpoint/cosigned").then((r) => unwrap(r) as ShownCheckpoint),
      api.GET("/api/ledger/verifier-key").then((r) => unwrap(r).verifier_key),
    ]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { kind: "no_checkpoint", at: at() };
    return { kind: "error", message: error instanceof Error ? error.message : String(error), at: at() };
  }
  let served: string;
  try {
    served = parseVerifierKey(servedKey).name;
  } catch (error) {
    return { kind: "error", message: `the ledger's verifier key is malformed: ${error instanceof Error ? error.message : String(error)}`, at: at() };
  }
  const site = typeof location === "undefined" ? "" : location.origin;
  return updateMemory(async (memory) => {
    // The ledger this site showed first: a site now serving another origin and key is
    // checked against that one (and fails), never taken for a new ledger.
    const first = memory.sites[site];
    const ledger = first !== undefined && memory.ledgers[first] ? first : served;
    const { outcome, memory: entry, notes } = await assess(memory.ledgers[ledger] ?? null, servedKey, shown, consistencyProof);
    const ledgers = { ...memory.ledgers };
    if (entry) ledgers[ledger] = entry;
    let forks = memory.forks;
    if (outcome.kind === "fork" && !forks.some((f) => f.id === outcome.fork.id)) forks = [...forks, outcome.fork];
    const sites = entry && memory.sites[site] !== ledger ? { ...memory.sites, [site]: ledger } : memory.sites;
    return { memory: { ledgers, sites, forks }, result: { kind: "checked" as const, outcome, notes, at: at() } };
  });
}

let running: Promise<CheckResult> | null = null;

/** Run the check (one at a time: a second call while one runs gets its result). */
export function checkLedger(): Promise<CheckResult> {
  running ??= check()
    .catch((error: unknown): CheckResult => ({ kind: "error", message: error instanceof Error ? error.message : String(error), at: new Date().toISOString() }))
    .then((result) => {
      setLastCheck(result);
      return result;
    })
    .finally(() => {
      running = null;
    });
  return running;
}
