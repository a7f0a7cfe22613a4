// Remembered checkpoints: no split views. The browser keeps the last checkpoint of each
// ledger it verified; every checkpoint it is shown later must extend that one (an RFC 9162
// consistency proof), be it, or be an earlier state of it. Two validly signed checkpoints
// that cannot both be true (same size and different roots, or a consistency proof that
// does not verify) are a fork: the ledger has shown this browser two histories, and the
// two signed notes prove it to anyone. The remembered checkpoint is only ever replaced by
// a checkpoint that verified and extends it.
import { fromHex, toHex } from "../verify/bytes";
import { CheckpointFormatError, CheckpointVerificationError, parseVerifierKey, verifyCheckpoint, type Checkpoint } from "../verify/checkpoint";
import { MerkleProofError, verifyConsistency } from "../verify/merkle";
import { parseWitnessKey, verifyCosignature, WitnessKeyError } from "./cosignature";
import type { ForkEvidence, LedgerMemory, RememberedCheckpoint, WitnessSeen } from "./store";

/** What GET /api/ledger/checkpoint/cosigned returns (the parts used here). */
export type ShownCheckpoint = {
  origin: string;
  size: number;
  note: string;
  cosignatures: { witness: string; witness_key: string; cosigned_at: number }[];
};

/** The consistency proof between two sizes, as hex hashes; throws when it cannot be had. */
export type ProofSource = (oldSize: number, newSize: number) => Promise<string[]>;

export type Outcome =
  /** Nothing was remembered: this checkpoint is now (trust on first use). */
  | { kind: "first"; checkpoint: RememberedCheckpoint }
  /** The checkpoint remembered, shown again (its witnesses updated). */
  | { kind: "same"; checkpoint: RememberedCheckpoint }
  /** A larger checkpoint, proved to extend the remembered one: now remembered. */
  | { kind: "grew"; checkpoint: RememberedCheckpoint; from: number }
  /** A smaller checkpoint, proved to be an earlier state: the larger one stays remembered. */
  | { kind: "older"; checkpoint: RememberedCheckpoint; shownSize: number }
  /** Two histories: the remembered checkpoint stays, the evidence is kept. */
  | { kind: "fork"; checkpoint: RememberedCheckpoint; fork: ForkEvidence }
  /** The checkpoint shown did not verify (not signed by the remembered key, malformed): ignored. */
  | { kind: "unverified"; checkpoint: RememberedCheckpoint | null; reason: string }
  /** The consistency proof could not be had: nothing concluded, the remembered one stays. */
  | { kind: "unchecked"; checkpoint: RememberedCheckpoint; reason: string };

export type Assessment = { outcome: Outcome; memory: LedgerMemory | null; notes: string[] };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The witnesses whose cosignatures on `note` verify, each key pinned on first use. */
export function verifiedWitnesses(
  note: string,
  shown: ShownCheckpoint["cosignatures"],
  pinned: Record<string, string>,
): { witnesses: WitnessSeen[]; pinned: Record<string, string>; notes: string[] } {
  const witnesses: WitnessSeen[] = [];
  const notes: string[] = [];
  const keys = { ...pinned };
  for (const cosignature of shown) {
    let key;
    try {
      key = parseWitnessKey(cosignature.witness_key);
    } catch (error) {
      if (!(error instanceof WitnessKeyError)) throw error;
      notes.push(`witness ${cosignature.witness}: its key is malformed (${error.message})`);
      continue;
    }
    const known = keys[key.name];
    if (known !== undefined && known !== key.text) {
      notes.push(`witness ${key.name}: the ledger now names another key for it than this browser first saw; not counted`);
      continue;
    }
    const at = verifyCosignature(note, key);
    if (at === null) {
      notes.push(`witness ${key.name}: its cosignature does not verify; not counted`);
      continue;
    }
    if (witnesses.some((w) => w.name === key.name)) continue;
    keys[key.name] = key.text;
    witnesses.push({ name: key.name, key: key.text, cosignedAt: at });
  }
  return { witnesses, pinned: keys, notes };
}

function remember(checkpoint: Checkpoint, note: string, witnesses: WitnessSeen[], now: Date): RememberedCheckpoint {
  return { origin: checkpoint.origin, size: checkpoint.size, root: toHex(checkpoint.rootHash), note, witnesses, seenAt: now.toISOString() };
}

function fork(remembered: RememberedCheckpoint, shown: Checkpoint, note: string, reason: string, proof: string[] | null, now: Date): ForkEvidence {
  const root = toHex(shown.rootHash);
  return {
    id: `${remembered.origin} ${remembered.size}:${remembered.root} ${shown.size}:${root}`,
    origin: remembered.origin,
    detectedAt: now.toISOString(),
    reason,
    remembered: { size: remembered.size, root: remembered.root, note: remembered.note },
    shown: { size: shown.size, root, note },
    proof,
    dismissed: false,
  };
}

/**
 * Compare the checkpoint the ledger shows now with what this browser remembers of it.
 * `memory` is the ledger's entry (null: never seen); `servedKey` is the verifier key the
 * server publishes now, used only when no key is remembered yet. The returned memory is
 * what to store (unchanged unless the shown checkpoint verified and may be remembered).
 */
export async function assess(
  memory: LedgerMemory | null,
  servedKey: string,
  shown: ShownCheckpoint,
  proofs: ProofSource,
  now: Date = new Date(),
): Promise<Assessment> {
  const notes: string[] = [];
  const keyText = memory?.verifierKey ?? servedKey;
  if (memory && memory.verifierKey.trim() !== servedKey.trim()) {
    notes.push("the server now publishes another verifier key than the one this browser first saw; checkpoints are checked with the first one");
  }
  const remembered = memory?.checkpoint ?? null;
  let checkpoint: Checkpoint;
  try {
    checkpoint = verifyCheckpoint(shown.note, parseVerifierKey(keyText));
  } catch (error) {
    if (!(error instanceof CheckpointFormatError || error instanceof CheckpointVerificationError)) throw error;
    return { outcome: { kind: "unverified", checkpoint: remembered, reason: message(error) }, memory, notes };
  }
  const witnessed = verifiedWitnesses(shown.note, shown.cosignatures, memory?.witnessKeys ?? {});
  notes.push(...witnessed.notes);
  const root = toHex(checkpoint.rootHash);
  const base: LedgerMemory = { verifierKey: keyText, checkpoint: remembered, witnessKeys: memory?.witnessKeys ?? {} };

  if (!remembered) {
    const first = remember(checkpoint, shown.note, witnessed.witnesses, now);
    return { outcome: { kind: "first", checkpoint: first }, memory: { ...base, checkpoint: first, witnessKeys: witnessed.pinned }, notes };
  }

  if (checkpoint.size === remembered.size) {
    if (root !== remembered.root) {
      const evidence = fork(remembered, checkpoint, shown.note, `two checkpoints of size ${checkpoint.size} with different roots`, null, now);
      return { outcome: { kind: "fork", checkpoint: remembered, fork: evidence }, memory: base, notes };
    }
    // The same checkpoint: keep every witness seen on it so far (a witness may cosign later).
    const witnesses = [...remembered.witnesses];
    for (const w of witnessed.witnesses) if (!witnesses.some((x) => x.name === w.name)) witnesses.push(w);
    const same = { ...remembered, witnesses, note: witnesses.length > remembered.witnesses.length ? shown.note : remembered.note };
    return { outcome: { kind: "same", checkpoint: same }, memory: { ...base, checkpoint: same, witnessKeys: witnessed.pinned }, notes };
  }

  // Different sizes: the smaller must be an earlier state of the larger.
  const older = checkpoint.size < remembered.size;
  const [oldSize, newSize] = older ? [checkpoint.size, remembered.size] : [remembered.size, checkpoint.size];
  const [oldRoot, newRoot] = older ? [root, remembered.root] : [remembered.root, root];
  let proof: string[];
  try {
    proof = await proofs(oldSize, newSize);
  } catch (error) {
    return { outcome: { kind: "unchecked", checkpoint: remembered, reason: `the consistency proof from ${oldSize} to ${newSize} could not be had: ${message(error)}` }, memory: base, notes };
  }
  try {
    const hashes = proof.map((h) => {
      try {
        return fromHex(h);
      } catch {
        throw new MerkleProofError(`the proof holds ${JSON.stringify(h)}, not a hex hash`);
      }
    });
    verifyConsistency(oldSize, newSize, hashes, fromHex(oldRoot), fromHex(newRoot));
  } catch (error) {
    if (!(error instanceof MerkleProofError)) throw error;
    const reason = older
      ? `the ledger showed checkpoint ${checkpoint.size} after ${remembered.size}, and it is not an earlier state of it: ${error.message}`
      : `checkpoint ${checkpoint.size} does not extend checkpoint ${remembered.size}: ${error.message}`;
    const evidence = fork(remembered, checkpoint, shown.note, reason, proof, now);
    return { outcome: { kind: "fork", checkpoint: remembered, fork: evidence }, memory: base, notes };
  }
  if (older) {
    return { outcome: { kind: "older", checkpoint: remembered, shownSize: checkpoint.size }, memory: base, notes };
  }
  const grown = remember(checkpoint, shown.note, witnessed.witnesses, now);
  return { outcome: { kind: "grew", checkpoint: grown, from: remembered.size }, memory: { ...base, checkpoint: grown, witnessKeys: witnessed.pinned }, notes };
}
