// Witnessed timing in the browser (web/src/verify/witness.ts, C5): a real ledger of
// transactions in an RFC 9162 tree, a checkpoint note signed by the ledger's Ed25519 key
// and cosigned by two witnesses (cosignature/v1), and the freeze memo's inclusion proof
// made by the RFC's PATH algorithm. Keys come from fixed seeds, so the notes are fixed.
import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { cosignedMessage, witnessKeyId } from "../../src/checkpoints/cosignature";
import { QUICKNET, roundTime } from "../../src/verify/beacon";
import { concat, toBase64, toHex, u64, utf8 } from "../../src/verify/bytes";
import { checkpointBody, keyId } from "../../src/verify/checkpoint";
import { transactionLeafHash, verifyInclusionDocument } from "../../src/verify/ledger";
import { merkleRoot } from "../../src/verify/merkle";
import type { Step } from "../../src/verify/steps";
import { noCosignedCheckpointSteps, witnessedTimingSteps, type WitnessedTimingInput } from "../../src/verify/witness";
import { fromHex } from "../../src/verify/bytes";

const ORIGIN = "alot.test/ledger";
const LOT = "0b0e8f7e-3a57-4a2e-9d4c-6f1f4f6d8a11";

function ledgerSigner(seedByte: number) {
  const secretKey = new Uint8Array(32).fill(seedByte);
  const publicKey = ed25519.getPublicKey(secretKey);
  const id = keyId(ORIGIN, publicKey);
  return {
    verifierKey: `${ORIGIN}+${toHex(id)}+${toBase64(concat(Uint8Array.of(1), publicKey))}`,
    sign: (body: string) => `\u2014 ${ORIGIN} ${toBase64(concat(id, ed25519.sign(utf8(body), secretKey)))}\n`,
  };
}

function witness(name: string, seedByte: number) {
  const secretKey = new Uint8Array(32).fill(seedByte);
  const publicKey = ed25519.getPublicKey(secretKey);
  const id = witnessKeyId(name, publicKey);
  return {
    key: `${name}+${toHex(id)}+${toBase64(concat(Uint8Array.of(4), publicKey))}`,
    cosign: (body: string, t: number, claimed = t) => `\u2014 ${name} ${toBase64(concat(id, u64(claimed), ed25519.sign(cosignedMessage(body, BigInt(t)), secretKey)))}\n`,
  };
}

const ledger = ledgerSigner(7);
const w1 = witness("witness.test/w1", 9);
const w2 = witness("witness.test/w2", 10);
const mallory = witness("witness.test/w1", 11); // claims w1's name with another key

// funded_at and the quicknet round the spec's rule gives (the first due > floor(funded_at) + 30 s).
const FUNDED_AT = "2026-12-06T20:00:00.250000Z";
const FUNDED = Math.floor(Date.parse(FUNDED_AT) / 1000);
const ROUND = Math.floor((FUNDED + 30 - QUICKNET.genesisTime) / QUICKNET.period) + 2;
const DUE = roundTime(QUICKNET, ROUND);
const BEACON = { chainHash: QUICKNET.chainHash, scheme: QUICKNET.scheme, round: ROUND };

function transaction(seq: number, kind: string, refs: Record<string, unknown>) {
  const tx: Record<string, unknown> = { seq, kind, refs, created_at: "2026-12-06T20:00:00.250000Z", postings: [], metadata: {} };
  return { ...tx, hash: transactionLeafHash(tx) };
}

// Transactions 1..5; the freeze memo (draw_inputs of LOT) is transaction 4.
const FREEZE_SEQ = 4;
const transactions = [
  transaction(1, "draw_commitment", { lot_id: LOT }),
  transaction(2, "entry_purchase", { lot_id: LOT }),
  transaction(3, "entry_purchase", { lot_id: LOT }),
  transaction(4, "draw_inputs", { lot_id: LOT }),
  transaction(5, "entry_purchase", { lot_id: "another" }),
];
const leaves = transactions.map((t) => fromHex(t.hash as string));

/** RFC 9162 §2.1.3.1 PATH(m, D[n]). */
function path(m: number, d: Uint8Array[]): Uint8Array[] {
  const n = d.length;
  if (n <= 1) return [];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m < k ? [...path(m, d.slice(0, k)), merkleRoot(d.slice(k))] : [...path(m - k, d.slice(k)), merkleRoot(d.slice(0, k))];
}

function signedNote(size: number) {
  const body = checkpointBody(ORIGIN, size, merkleRoot(leaves.slice(0, size)));
  return { body, note: `${body}\n${ledger.sign(body)}` };
}

function inclusion(seq: number, size: number, note: string) {
  const document = {
    leaf_index: seq - 1,
    tree_size: size,
    leaf_hash: transactions[seq - 1]!.hash,
    proof: path(seq - 1, leaves.slice(0, size)).map(toHex),
    checkpoint: note,
    transaction: transactions[seq - 1],
  };
  return verifyInclusionDocument(document, ledger.verifierKey, seq);
}

/** A checkpoint of `size` cosigned by w1 at t1 and w2 at t2, the freeze's inclusion proof in it. */
function evidence(size: number, t1: number, t2: number, overrides: Partial<WitnessedTimingInput> = {}): WitnessedTimingInput {
  const { body, note: signed } = signedNote(size);
  const note = signed + w1.cosign(body, t1) + w2.cosign(body, t2);
  return {
    lotId: LOT,
    freezeSeq: FREEZE_SEQ,
    note,
    verifierKey: ledger.verifierKey,
    witnessKeys: [w1.key, w2.key],
    keySource: "served",
    inclusion: size >= FREEZE_SEQ ? inclusion(FREEZE_SEQ, size, signed) : null,
    frozenBeacon: BEACON,
    fundedAt: FUNDED_AT,
    ...overrides,
  };
}

const byId = (steps: Step[], id: string) => steps.find((s) => s.id === id)!;

describe("witnessed timing of the freeze", () => {
  it("passes: both witnesses cosigned a checkpoint holding the freeze, T before the round", () => {
    const steps = witnessedTimingSteps(evidence(5, FUNDED + 2, FUNDED + 5));
    const witnessed = byId(steps, "beacon.witnessed");
    expect(witnessed.status, witnessed.detail).toBe("pass");
    // T = the K-th smallest of the K valid timestamps: the later one.
    expect(witnessed.computed).toBe(`2 valid cosignature(s); T = ${new Date((FUNDED + 5) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")}`);
    expect(witnessed.inputs.map((i) => i.value).join("\n")).toContain("the ledger's response names");
    const before = byId(steps, "beacon.witnessed_before_round");
    expect(before.status, before.detail).toBe("pass");
  });

  it("fails when T is at or after the round's time", () => {
    const late = witnessedTimingSteps(evidence(5, FUNDED + 2, DUE));
    expect(byId(late, "beacon.witnessed").status).toBe("pass");
    const before = byId(late, "beacon.witnessed_before_round");
    expect(before.status).toBe("fail");
    expect(before.detail).toContain(`round ${ROUND}`);
    // One second earlier passes: the bound is strict.
    expect(byId(witnessedTimingSteps(evidence(5, FUNDED + 2, DUE - 1)), "beacon.witnessed_before_round").status).toBe("pass");
  });

  it("fails when the witnesses saw the freeze before the funded_at it states", () => {
    const before = byId(witnessedTimingSteps(evidence(5, FUNDED - 1, FUNDED - 1)), "beacon.witnessed_before_round");
    expect(before.status).toBe("fail");
    expect(before.detail).toContain("before the time it states");
    // floor(funded_at) itself is allowed.
    expect(byId(witnessedTimingSteps(evidence(5, FUNDED, FUNDED)), "beacon.witnessed_before_round").status).toBe("pass");
  });

  it("does not count a forged cosignature", () => {
    const { body, note: signed } = signedNote(5);
    // A line under w1's name made with another key.
    const forgedOnly = signed + mallory.cosign(body, FUNDED + 1);
    const steps = witnessedTimingSteps(evidence(5, 0, 0, { note: forgedOnly }));
    expect(byId(steps, "beacon.witnessed").status).toBe("fail");
    expect(byId(steps, "beacon.witnessed").detail).toContain("no valid cosignature");
    expect(byId(steps, "beacon.witnessed_before_round").status).toBe("fail");
    // Beside a real one, the forged line is ignored: T comes from the real cosignature only,
    // even though the forgery claims an earlier time.
    const mixed = signed + mallory.cosign(body, FUNDED + 1) + w2.cosign(body, FUNDED + 7);
    const witnessed = byId(witnessedTimingSteps(evidence(5, 0, 0, { note: mixed })), "beacon.witnessed");
    expect(witnessed.status).toBe("pass");
    expect(witnessed.computed).toMatch(/^1 valid cosignature\(s\)/);
    // A cosignature over another body (a timestamp changed after signing) does not verify either.
    const tampered = signed + w1.cosign(body, DUE + 10, FUNDED + 1);
    expect(byId(witnessedTimingSteps(evidence(5, 0, 0, { note: tampered })), "beacon.witnessed").status).toBe("fail");
  });

  it("counts only the remembered witnesses when the browser remembers some", () => {
    const steps = witnessedTimingSteps(evidence(5, FUNDED + 2, FUNDED + 9, { witnessKeys: [w1.key], keySource: "remembered" }));
    const witnessed = byId(steps, "beacon.witnessed");
    expect(witnessed.status).toBe("pass");
    expect(witnessed.computed).toMatch(/^1 valid cosignature\(s\)/);
    expect(witnessed.inputs.map((i) => i.value).join("\n")).toContain("this browser remembered");
  });

  it("fails for a checkpoint that does not hold the freeze", () => {
    const small = witnessedTimingSteps(evidence(3, FUNDED + 2, FUNDED + 5));
    expect(byId(small, "beacon.witnessed").status).toBe("fail");
    expect(byId(small, "beacon.witnessed").detail).toContain("does not cover the freeze memo");
    expect(byId(small, "beacon.witnessed_before_round").status).toBe("fail");
    // The seq named as the freeze is another transaction (a purchase), though it is in the checkpoint.
    const { note } = signedNote(5);
    const wrong = witnessedTimingSteps(evidence(5, FUNDED + 2, FUNDED + 5, { freezeSeq: 3, inclusion: inclusion(3, 5, note) }));
    expect(byId(wrong, "beacon.witnessed").status).toBe("fail");
    expect(byId(wrong, "beacon.witnessed").detail).toContain("not the freeze memo");
    // An inclusion proof for another checkpoint than the cosigned one does not count.
    const other = witnessedTimingSteps(evidence(5, FUNDED + 2, FUNDED + 5, { inclusion: inclusion(FREEZE_SEQ, 4, signedNote(4).note) }));
    expect(byId(other, "beacon.witnessed").detail).toContain("another checkpoint");
  });

  it("fails when the checkpoint is not signed by the ledger's key", () => {
    const steps = witnessedTimingSteps(evidence(5, FUNDED + 2, FUNDED + 5, { verifierKey: ledgerSigner(8).verifierKey }));
    expect(byId(steps, "beacon.witnessed").status).toBe("fail");
  });

  it("says the round check does not apply to beacon-less draws", () => {
    const steps = witnessedTimingSteps(evidence(5, FUNDED + 2, FUNDED + 5, { frozenBeacon: null }));
    expect(byId(steps, "beacon.witnessed").status).toBe("pass");
    const before = byId(steps, "beacon.witnessed_before_round");
    expect(before.status).toBe("not_checked");
    expect(before.detail).toContain("does not apply");
    expect(byId(witnessedTimingSteps(evidence(5, 1, 2, { frozenBeacon: undefined, fundedAt: undefined })), "beacon.witnessed_before_round").detail).toContain("alot-v1");
  });

  it("fails with the reason when no witness cosigned a checkpoint holding the freeze", () => {
    const steps = noCosignedCheckpointSteps(FREEZE_SEQ, BEACON);
    expect(byId(steps, "beacon.witnessed").status).toBe("fail");
    expect(byId(steps, "beacon.witnessed").detail).toBe("no witness has cosigned a checkpoint holding the freeze");
    expect(byId(steps, "beacon.witnessed_before_round").status).toBe("fail");
  });
});
