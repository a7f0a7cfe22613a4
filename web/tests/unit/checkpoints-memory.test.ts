// Remembered checkpoints (web/src/checkpoints/compare.ts): real Ed25519-signed notes over
// real RFC 9162 trees, consistency proofs made by the RFC's SUBPROOF algorithm; only the
// network (the proof source) is a function here.
import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { assess, verifiedWitnesses, type ProofSource, type ShownCheckpoint } from "../../src/checkpoints/compare";
import { cosignedMessage, witnessKeyId } from "../../src/checkpoints/cosignature";
import type { LedgerMemory } from "../../src/checkpoints/store";
import { parseMemory, forkEvidenceDocument } from "../../src/checkpoints/store";
import { concat, toBase64, toHex, u64, utf8 } from "../../src/verify/bytes";
import { checkpointBody, keyId } from "../../src/verify/checkpoint";
import { leafHash, merkleRoot } from "../../src/verify/merkle";

const ORIGIN = "alot.test/ledger";

function signer(name: string, seedByte: number) {
  const secretKey = new Uint8Array(32).fill(seedByte);
  const publicKey = ed25519.getPublicKey(secretKey);
  const id = keyId(name, publicKey);
  return {
    name,
    verifierKey: `${name}+${toHex(id)}+${toBase64(concat(Uint8Array.of(1), publicKey))}`,
    sign(body: string) {
      return `\u2014 ${name} ${toBase64(concat(id, ed25519.sign(utf8(body), secretKey)))}\n`;
    },
  };
}

function witness(name: string, seedByte: number) {
  const secretKey = new Uint8Array(32).fill(seedByte);
  const publicKey = ed25519.getPublicKey(secretKey);
  const id = witnessKeyId(name, publicKey);
  return {
    name,
    key: `${name}+${toHex(id)}+${toBase64(concat(Uint8Array.of(4), publicKey))}`,
    cosign(body: string, t: number) {
      const sig = ed25519.sign(cosignedMessage(body, BigInt(t)), secretKey);
      return `\u2014 ${name} ${toBase64(concat(id, u64(t), sig))}\n`;
    },
  };
}

const ledgerKey = signer(ORIGIN, 7);
const otherKey = signer(ORIGIN, 8); // the same origin, another key
const w1 = witness("witness.test/w1", 9);

const leaves = (history: string, n: number) => Array.from({ length: n }, (_, i) => leafHash(utf8(`${history} transaction ${i}`)));

function mth(hashes: Uint8Array[]): Uint8Array {
  return merkleRoot(hashes);
}

/** RFC 9162 §2.1.4.1 SUBPROOF. */
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [mth(d)];
  let k = 1;
  while (k * 2 < n) k *= 2;
  if (m <= k) return [...subproof(m, d.slice(0, k), b), mth(d.slice(k))];
  return [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

function consistency(history: Uint8Array[]): ProofSource {
  return async (oldSize, newSize) => subproof(oldSize, history.slice(0, newSize), true).map(toHex);
}

const refusing: ProofSource = async () => {
  throw new Error("no proof should be asked for");
};

function shown(tree: Uint8Array[], key = ledgerKey, cosigners: { w: ReturnType<typeof witness>; t: number }[] = []): ShownCheckpoint {
  const body = checkpointBody(ORIGIN, tree.length, mth(tree));
  const note = `${body}\n${key.sign(body)}${cosigners.map(({ w, t }) => w.cosign(body, t)).join("")}`;
  return {
    origin: ORIGIN,
    size: tree.length,
    note,
    cosignatures: cosigners.map(({ w, t }) => ({ witness: w.name, witness_key: w.key, cosigned_at: t })),
  };
}

async function rememberedAfter(tree: Uint8Array[]): Promise<LedgerMemory> {
  const first = await assess(null, ledgerKey.verifierKey, shown(tree), refusing);
  expect(first.outcome.kind).toBe("first");
  return first.memory!;
}

const main = leaves("main", 40);
const forked = leaves("other", 40);

describe("remembered checkpoints", () => {
  it("remembers the first checkpoint it verifies, with its key (trust on first use)", async () => {
    const { outcome, memory } = await assess(null, ledgerKey.verifierKey, shown(main.slice(0, 10)), refusing);
    expect(outcome.kind).toBe("first");
    expect(memory?.verifierKey).toBe(ledgerKey.verifierKey);
    expect(memory?.checkpoint).toMatchObject({ origin: ORIGIN, size: 10, root: toHex(mth(main.slice(0, 10))), witnesses: [] });
  });

  it("same size, same root: the same history", async () => {
    const memory = await rememberedAfter(main.slice(0, 10));
    const { outcome } = await assess(memory, ledgerKey.verifierKey, shown(main.slice(0, 10)), refusing);
    expect(outcome.kind).toBe("same");
  });

  it("same size, another root, both signed: a fork, with both notes as evidence", async () => {
    const memory = await rememberedAfter(main.slice(0, 10));
    const other = shown(forked.slice(0, 10));
    const result = await assess(memory, ledgerKey.verifierKey, other, refusing);
    expect(result.outcome.kind).toBe("fork");
    if (result.outcome.kind !== "fork") return;
    expect(result.outcome.fork).toMatchObject({
      origin: ORIGIN,
      remembered: { size: 10, root: memory.checkpoint!.root, note: memory.checkpoint!.note },
      shown: { size: 10, root: toHex(mth(forked.slice(0, 10))), note: other.note },
      dismissed: false,
    });
    expect(result.outcome.fork.reason).toContain("different roots");
    // The remembered checkpoint is kept, never replaced by the other history.
    expect(result.memory?.checkpoint).toEqual(memory.checkpoint);
    const document = JSON.parse(forkEvidenceDocument(result.outcome.fork, memory.verifierKey));
    expect(document.remembered.note).toBe(memory.checkpoint!.note);
    expect(document.shown.note).toBe(other.note);
  });

  it("growth with a good consistency proof: the new checkpoint is remembered", async () => {
    for (const [from, to] of [
      [10, 11],
      [1, 40],
      [8, 13],
      [16, 32],
      [7, 8],
    ] as const) {
      const memory = await rememberedAfter(main.slice(0, from));
      const { outcome, memory: next } = await assess(memory, ledgerKey.verifierKey, shown(main.slice(0, to)), consistency(main));
      expect(outcome.kind, `${from} -> ${to}`).toBe("grew");
      expect(next?.checkpoint?.size).toBe(to);
    }
  });

  it("growth onto another history: the consistency proof fails, a fork", async () => {
    const memory = await rememberedAfter(main.slice(0, 10));
    // The ledger's key signed a tree of 20 that does not start with the 10 remembered.
    const result = await assess(memory, ledgerKey.verifierKey, shown(forked.slice(0, 20)), consistency(forked));
    expect(result.outcome.kind).toBe("fork");
    if (result.outcome.kind !== "fork") return;
    expect(result.outcome.fork.reason).toContain("does not extend checkpoint 10");
    expect(result.outcome.fork.proof?.length).toBeGreaterThan(0);
    expect(result.memory?.checkpoint?.size).toBe(10);
  });

  it("growth with a tampered proof: a fork", async () => {
    const memory = await rememberedAfter(main.slice(0, 10));
    const good = consistency(main);
    const tampered: ProofSource = async (a, b) => {
      const proof = await good(a, b);
      proof[0] = proof[0]!.replace(/^./, (c) => (c === "0" ? "1" : "0"));
      return proof;
    };
    const { outcome } = await assess(memory, ledgerKey.verifierKey, shown(main.slice(0, 20)), tampered);
    expect(outcome.kind).toBe("fork");
  });

  it("a proof that cannot be had concludes nothing: no fork, the remembered one stays", async () => {
    const memory = await rememberedAfter(main.slice(0, 10));
    const failing: ProofSource = async () => {
      throw new Error("network down");
    };
    const { outcome, memory: next } = await assess(memory, ledgerKey.verifierKey, shown(main.slice(0, 20)), failing);
    expect(outcome.kind).toBe("unchecked");
    expect(next?.checkpoint?.size).toBe(10);
  });

  it("rollback to an earlier state of the same history: accepted as older, the larger stays", async () => {
    const memory = await rememberedAfter(main.slice(0, 20));
    const { outcome, memory: next } = await assess(memory, ledgerKey.verifierKey, shown(main.slice(0, 12)), consistency(main));
    expect(outcome).toMatchObject({ kind: "older", shownSize: 12 });
    expect(next?.checkpoint?.size).toBe(20);
  });

  it("rollback to a state of another history: a fork", async () => {
    const memory = await rememberedAfter(main.slice(0, 20));
    const { outcome } = await assess(memory, ledgerKey.verifierKey, shown(forked.slice(0, 12)), consistency(main));
    expect(outcome.kind).toBe("fork");
  });

  it("a checkpoint not signed by the remembered key is ignored, even if the server now serves that key", async () => {
    const memory = await rememberedAfter(main.slice(0, 10));
    const result = await assess(memory, otherKey.verifierKey, shown(forked.slice(0, 10), otherKey), refusing);
    expect(result.outcome.kind).toBe("unverified");
    expect(result.memory?.checkpoint).toEqual(memory.checkpoint);
    expect(result.memory?.verifierKey).toBe(ledgerKey.verifierKey);
    expect(result.notes.join(" ")).toContain("another verifier key");
  });

  it("a note with a broken signature is never remembered, even on first use", async () => {
    const bad = shown(main.slice(0, 10));
    bad.note = bad.note.replace(`\n${String(10)}\n`, "\n11\n");
    const { outcome, memory } = await assess(null, ledgerKey.verifierKey, bad, refusing);
    expect(outcome.kind).toBe("unverified");
    expect(memory).toBeNull();
  });
});

describe("witness cosignatures", () => {
  it("zero cosignatures: remembered as not witnessed", async () => {
    const { memory } = await assess(null, ledgerKey.verifierKey, shown(main.slice(0, 5)), refusing);
    expect(memory?.checkpoint?.witnesses).toEqual([]);
  });

  it("a valid cosignature is counted with its time; the witness key is pinned", async () => {
    const { memory } = await assess(null, ledgerKey.verifierKey, shown(main.slice(0, 5), ledgerKey, [{ w: w1, t: 1_760_000_000 }]), refusing);
    expect(memory?.checkpoint?.witnesses).toEqual([{ name: w1.name, key: w1.key, cosignedAt: 1_760_000_000 }]);
    expect(memory?.witnessKeys).toEqual({ [w1.name]: w1.key });
  });

  it("a forged cosignature, or a witness under another key than the pinned one, is not counted", () => {
    const cp = shown(main.slice(0, 5), ledgerKey, [{ w: w1, t: 1_760_000_000 }]);
    // The cosignature line claims another time than the one signed.
    const forgedNote = cp.note.replace(w1.cosign(checkpointBody(ORIGIN, 5, mth(main.slice(0, 5))), 1_760_000_000), w1.cosign("other body\n", 1_760_000_000));
    const forged = verifiedWitnesses(forgedNote, cp.cosignatures, {});
    expect(forged.witnesses).toEqual([]);
    expect(forged.notes.join(" ")).toContain("does not verify");
    const impostor = witness(w1.name, 10);
    const other = verifiedWitnesses(cp.note, cp.cosignatures, { [w1.name]: impostor.key });
    expect(other.witnesses).toEqual([]);
    expect(other.notes.join(" ")).toContain("another key");
  });

  it("the same checkpoint seen again gains a witness that cosigned later", async () => {
    const memory = await rememberedAfter(main.slice(0, 5));
    const { outcome, memory: next } = await assess(memory, ledgerKey.verifierKey, shown(main.slice(0, 5), ledgerKey, [{ w: w1, t: 1_760_000_100 }]), refusing);
    expect(outcome.kind).toBe("same");
    expect(next?.checkpoint?.witnesses.map((w) => w.name)).toEqual([w1.name]);
  });
});

describe("interoperability with alot-verify", () => {
  // Made by alot_verify.checkpoint.sign_checkpoint and alot_verify.cosignature.cosign
  // (the witness's own code) from fixed seeds: the browser must accept what they sign.
  const fromPython = {
    verifierKey: "alot.test/ledger+4f77de42+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
    witnessKey: "witness.test/w1+0fd0e638+BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU",
    note:
      "alot.test/ledger\n3\ni1udsME9skJWyCmqNkqpDG0uujGLkjKkq5MTuVTTVV8=\n\n" +
      "\u2014 alot.test/ledger T3feQlFgkA8Hi83+y6xSeFsZRPBpkzjT6jru1Jb4N0f0LXAlf7Op1SFLg4HWHQBRMgAMzjq5iCkMwYzO9AZM8T4qvAA=\n" +
      "\u2014 witness.test/w1 D9DmOAAAAABpM8NAWk4eIynT7m6Z6YuryR3ZwoUtWlj7I1zSpck/0mIUa2jDZUC4vHKWzrwNbV2d5CHXoLa8RnWBVloJQ4pXksLcCQ==\n",
  };

  it("a checkpoint signed and cosigned by the Python code verifies, with the witness's time", async () => {
    const { outcome, memory } = await assess(
      null,
      fromPython.verifierKey,
      { origin: "alot.test/ledger", size: 3, note: fromPython.note, cosignatures: [{ witness: "witness.test/w1", witness_key: fromPython.witnessKey, cosigned_at: 1765000000 }] },
      refusing,
    );
    expect(outcome.kind).toBe("first");
    expect(memory?.checkpoint?.witnesses).toEqual([{ name: "witness.test/w1", key: fromPython.witnessKey, cosignedAt: 1765000000 }]);
  });
});

describe("the stored memory", () => {
  it("reads nothing from missing or malformed storage", () => {
    expect(parseMemory(null)).toEqual({ ledgers: {}, sites: {}, forks: [] });
    expect(parseMemory("{not json")).toEqual({ ledgers: {}, sites: {}, forks: [] });
    expect(parseMemory('{"ledgers": {}, "forks": 3}')).toEqual({ ledgers: {}, sites: {}, forks: [] });
  });
});
