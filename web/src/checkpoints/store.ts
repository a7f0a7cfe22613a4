// What this browser remembers of the ledger, in localStorage: per ledger origin, the
// verifier key it first saw and the last checkpoint it verified (signed by that key and
// consistent with the one before), and every fork it has seen, with the evidence.
// No cryptography here, so the layout can read it without loading the verifier.

/** A witness whose cosignature on the remembered checkpoint verified. */
export type WitnessSeen = { name: string; key: string; cosignedAt: number };

export type RememberedCheckpoint = {
  origin: string;
  size: number;
  /** The root hash, lowercase hex. */
  root: string;
  /** The signed note as the ledger served it (the ledger's signature and any cosignatures). */
  note: string;
  witnesses: WitnessSeen[];
  /** When this browser first saw this checkpoint (ISO 8601). */
  seenAt: string;
};

export type LedgerMemory = {
  /** The ledger's verifier key, remembered on first use: later checkpoints must verify under it. */
  verifierKey: string;
  checkpoint: RememberedCheckpoint | null;
  /** Witness keys by name, remembered on first use. */
  witnessKeys: Record<string, string>;
};

/** Two signed checkpoints of one ledger that cannot both be true. */
export type ForkEvidence = {
  id: string;
  origin: string;
  detectedAt: string;
  /** Why they cannot both be true, in words. */
  reason: string;
  remembered: { size: number; root: string; note: string };
  shown: { size: number; root: string; note: string };
  /** The consistency proof the ledger served (hex), when one was asked for. */
  proof: string[] | null;
  dismissed: boolean;
};

export type Memory = {
  ledgers: Record<string, LedgerMemory>;
  /**
   * Which ledger origin each site (location.origin) showed first: a site that later
   * serves another origin and key is checked against the first, not taken as a new ledger.
   */
  sites: Record<string, string>;
  forks: ForkEvidence[];
};

export const STORAGE_KEY = "alot.ledger-memory.v1";
const CHANGED = "alot-ledger-memory";

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage disabled: nothing is remembered
  }
}

export function emptyMemory(): Memory {
  return { ledgers: {}, sites: {}, forks: [] };
}

export function parseMemory(text: string | null): Memory {
  if (!text) return emptyMemory();
  try {
    const value = JSON.parse(text) as Partial<Memory>;
    if (!value || typeof value !== "object" || typeof value.ledgers !== "object" || !Array.isArray(value.forks)) return emptyMemory();
    const sites = value.sites && typeof value.sites === "object" ? value.sites : {};
    return { ledgers: value.ledgers ?? {}, sites, forks: value.forks };
  } catch {
    return emptyMemory();
  }
}

let cachedText: string | null = null;
let cached: Memory = emptyMemory();

/** The memory as stored now (the same object while the stored text is unchanged). */
export function readMemory(): Memory {
  const text = storage()?.getItem(STORAGE_KEY) ?? null;
  if (text !== cachedText) {
    cachedText = text;
    cached = parseMemory(text);
  }
  return cached;
}

export function writeMemory(memory: Memory): void {
  storage()?.setItem(STORAGE_KEY, JSON.stringify(memory));
  if (typeof window !== "undefined") window.dispatchEvent(new Event(CHANGED));
}

/** Calls `listener` when this tab or another one changes the memory. */
export function subscribeMemory(listener: () => void): () => void {
  if (typeof window === "undefined") return () => {};
  const onStorage = (event: StorageEvent) => {
    if (event.key === STORAGE_KEY || event.key === null) listener();
  };
  window.addEventListener(CHANGED, listener);
  window.addEventListener("storage", onStorage);
  return () => {
    window.removeEventListener(CHANGED, listener);
    window.removeEventListener("storage", onStorage);
  };
}

/**
 * Read, change and write the memory as one step: with the Web Locks API, two tabs
 * checking at once do not overwrite each other's result.
 */
export async function updateMemory<T>(change: (memory: Memory) => Promise<{ memory: Memory; result: T }>): Promise<T> {
  const run = async () => {
    const { memory, result } = await change(readMemory());
    writeMemory(memory);
    return result;
  };
  const locks = typeof navigator !== "undefined" ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  return locks ? locks.request(STORAGE_KEY, run) : run();
}

export function dismissForks(ids: string[]): void {
  const memory = readMemory();
  writeMemory({ ...memory, forks: memory.forks.map((f) => (ids.includes(f.id) ? { ...f, dismissed: true } : f)) });
}

/** Forget one ledger (its key and checkpoint): the next check starts again from trust on first use. */
export function forgetLedger(origin: string): void {
  const memory = readMemory();
  const ledgers = { ...memory.ledgers };
  delete ledgers[origin];
  const sites = Object.fromEntries(Object.entries(memory.sites).filter(([, ledger]) => ledger !== origin));
  writeMemory({ ...memory, ledgers, sites });
}

/** The evidence of a fork as a document an auditor can check with the ledger's key. */
export function forkEvidenceDocument(fork: ForkEvidence, verifierKey: string | null): string {
  return `${JSON.stringify(
    {
      what: "Two signed checkpoints of one ledger that are not consistent with each other (a split view).",
      origin: fork.origin,
      verifier_key: verifierKey,
      detected_at: fork.detectedAt,
      reason: fork.reason,
      remembered: fork.remembered,
      shown: fork.shown,
      consistency_proof: fork.proof,
    },
    null,
    2,
  )}\n`;
}
