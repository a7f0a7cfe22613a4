// The in-browser verifier against EVERY vector in docs/spec/vectors/ (read from the
// repository at test time): canonical JSON, RFC 9162 Merkle proofs, signed checkpoints,
// alot-v1 and alot-v2 draws (with every intermediate byte string of the v2 file, and the
// pseudonymous maps' amounts and purchase seqs), and the ledger-small export's roots and
// checkpoint.
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_CHAIN,
  KNOWN_CHAINS,
  QUICKNET,
  canonicalJson,
  computedChainHash,
  canonicalJsonText,
  checkpointBody,
  commitmentPreimageV2,
  concat,
  drawInputsHashPreimage,
  entryLeaf,
  fromBase64,
  fromHex,
  keyId,
  leafHash,
  merkleRoot,
  parseSignedCheckpoint,
  parseStrictJson,
  parseVerifierKey,
  rootFromInclusionProof,
  seedMessageV2,
  selectV2,
  selectionBits,
  seedV2,
  drawInputsHash,
  toBase64,
  toHex,
  transactionLeafHash,
  utf8,
  verifyCheckpoint,
  verifyConsistency,
  verifyDrawProof,
  verifyInclusion,
  DrawProofFormatError,
  TAG_HOLDER,
  enc,
  holderPseudonym,
  namedAs,
  type Entry,
} from "../../src/verify";

const vectors = resolve(import.meta.dirname, "..", "..", "..", "docs", "spec", "vectors");
const read = (name: string) => readFileSync(join(vectors, name), "utf8");
const load = (name: string) => JSON.parse(read(name));

describe("canonical-json.json", () => {
  const file = load("canonical-json.json");
  it.each(file.cases.map((c: { input: unknown; canonical_utf8_hex: string }, i: number) => [i, c]) as [any, any][])("case %i", (_i, c) => {
    expect(toHex(canonicalJson(c.input))).toBe(c.canonical_utf8_hex);
  });
  it.each(file.cases.map((c: unknown, i: number) => [i, c]) as [any, any][])("case %i read strictly from its JSON text", (_i, c) => {
    const text = JSON.stringify((c as { input: unknown }).input, null, 1);
    expect(toHex(canonicalJson(parseStrictJson(text)))).toBe((c as { canonical_utf8_hex: string }).canonical_utf8_hex);
  });
  it.each(file.rejected.map((r: { input_json: string; reason: string }) => [r.reason, r.input_json]) as [any, any][])("rejects %s: %s", (_reason, text) => {
    expect(() => parseStrictJson(text as string)).toThrow();
  });
  it("refuses floats, unsafe integers, lone surrogates and duplicate names", () => {
    expect(() => canonicalJson({ x: 1.5 })).toThrow(/floats/);
    expect(() => canonicalJson({ x: 2 ** 53 })).toThrow(/2\*\*53/);
    expect(() => canonicalJson({ x: "\ud800" })).toThrow(/surrogate/);
    expect(() => parseStrictJson('{"a":1,"a":2}')).toThrow(/duplicate/);
    expect(() => parseStrictJson('"\\ud800"')).toThrow(/surrogate/);
    expect(() => parseStrictJson("1.0")).toThrow(/floats/);
  });
});

describe("merkle-rfc9162.json", () => {
  const file = load("merkle-rfc9162.json");
  const leaves: Uint8Array[] = file.leaves.map((hex: string) => leafHash(fromHex(hex)));
  it.each(Object.entries(file.roots) as [any, any][])("root of size %s", (size, root) => {
    expect(toHex(merkleRoot(leaves.slice(0, Number(size))))).toBe(root);
  });
  it.each(file.inclusion.map((p: { index: number; tree_size: number }) => [p.index, p.tree_size, p]) as [any, any, any][])("inclusion of leaf %i in size %i", (_i, _n, p) => {
    const proof = p as { index: number; tree_size: number; leaf_hash: string; root: string; proof: string[] };
    expect(toHex(leaves[proof.index]!)).toBe(proof.leaf_hash);
    const path = proof.proof.map(fromHex);
    expect(() => verifyInclusion(fromHex(proof.leaf_hash), proof.index, proof.tree_size, path, fromHex(proof.root))).not.toThrow();
    // Tampered: a flipped bit in any hash, a wrong index, a hash too many or too few.
    for (let i = 0; i < path.length; i++) {
      const bad = path.map((h) => h.slice());
      bad[i]![0]! ^= 1;
      expect(() => verifyInclusion(fromHex(proof.leaf_hash), proof.index, proof.tree_size, bad, fromHex(proof.root))).toThrow(/root/);
    }
    expect(() => verifyInclusion(fromHex(proof.leaf_hash), proof.index ^ 1, proof.tree_size, path, fromHex(proof.root))).toThrow();
    expect(() => verifyInclusion(fromHex(proof.leaf_hash), proof.index, proof.tree_size, [...path, path[0]!], fromHex(proof.root))).toThrow(/more hashes/);
    expect(() => verifyInclusion(fromHex(proof.leaf_hash), proof.index, proof.tree_size, path.slice(1), fromHex(proof.root))).toThrow();
    expect(() => verifyInclusion(fromHex(proof.leaf_hash), proof.tree_size, proof.tree_size, path, fromHex(proof.root))).toThrow(/not inside/);
  });
  it.each(file.consistency.map((p: { old_size: number; new_size: number }) => [p.old_size, p.new_size, p]) as [any, any, any][])("consistency %i -> %i", (_o, _n, p) => {
    const proof = p as { old_size: number; new_size: number; old_root: string; new_root: string; proof: string[] };
    const path = proof.proof.map(fromHex);
    expect(() => verifyConsistency(proof.old_size, proof.new_size, path, fromHex(proof.old_root), fromHex(proof.new_root))).not.toThrow();
    const badRoot = fromHex(proof.new_root);
    badRoot[31]! ^= 1;
    expect(() => verifyConsistency(proof.old_size, proof.new_size, path, fromHex(proof.old_root), badRoot)).toThrow();
    for (let i = 0; i < path.length; i++) {
      const bad = path.map((h) => h.slice());
      bad[i]![0]! ^= 1;
      expect(() => verifyConsistency(proof.old_size, proof.new_size, bad, fromHex(proof.old_root), fromHex(proof.new_root))).toThrow();
    }
  });
});

describe("checkpoint.json", () => {
  const file = load("checkpoint.json");
  const seed = sha256(utf8(file.seed_text));
  it("the test key's seed is SHA-256 of the published text, and its verifier key matches", () => {
    const signerRaw = fromBase64(file.signer_key.split("+").slice(4).join("+"));
    expect(toHex(signerRaw.slice(1))).toBe(toHex(seed));
    const key = parseVerifierKey(file.verifier_key);
    expect(toHex(key.publicKey)).toBe(toHex(ed25519.getPublicKey(seed)));
    expect(toHex(key.keyId)).toBe(toHex(keyId(key.name, key.publicKey)));
  });
  it.each(file.checkpoints.map((c: { size: number }) => [c.size, c]) as [any, any][])("checkpoint of size %i verifies and is reproduced byte for byte", (_s, c) => {
    const cp = c as { origin: string; size: number; root_hash: string; extensions: string[]; note: string };
    const verified = verifyCheckpoint(cp.note, file.verifier_key);
    expect(verified.origin).toBe(cp.origin);
    expect(verified.size).toBe(cp.size);
    expect(toHex(verified.rootHash)).toBe(cp.root_hash);
    expect(verified.extensions).toEqual(cp.extensions);
    // Ed25519 is deterministic: sign the body again and get the same note.
    const body = checkpointBody(cp.origin, cp.size, fromHex(cp.root_hash), cp.extensions);
    const key = parseVerifierKey(file.verifier_key);
    const signature = ed25519.sign(utf8(body), seed);
    expect(`${body}\n\u2014 ${cp.origin} ${toBase64(concat(key.keyId, signature))}\n`).toBe(cp.note);
  });
  it("fails a wrong signature, another key, a changed size or root, and a wrong origin", () => {
    const note: string = file.checkpoints[0].note;
    const signed = parseSignedCheckpoint(note);
    const sigLine = note.split("\n")[4]!;
    const raw = fromBase64(sigLine.split(" ")[2]!);
    raw[10]! ^= 1;
    const badSig = note.replace(sigLine, `\u2014 ${signed.checkpoint.origin} ${toBase64(raw)}`);
    expect(() => verifyCheckpoint(badSig, file.verifier_key)).toThrow(/does not verify/);
    expect(() => verifyCheckpoint(note.replace("\n8\n", "\n9\n"), file.verifier_key)).toThrow(/does not verify/);
    const rootLine = note.split("\n")[2]!;
    const root = fromBase64(rootLine);
    root[0]! ^= 1;
    expect(() => verifyCheckpoint(note.replace(rootLine, toBase64(root)), file.verifier_key)).toThrow(/does not verify/);
    const other = ed25519.getPublicKey(sha256(utf8("another key")));
    const otherKey = `alot.example/ledger+${toHex(keyId("alot.example/ledger", other))}+${toBase64(concat(Uint8Array.of(1), other))}`;
    expect(() => verifyCheckpoint(note, otherKey)).toThrow(/no signature by key/);
    const ledgerKey = read("ledger-small.vkey");
    expect(() => verifyCheckpoint(note, ledgerKey)).toThrow(/origin/);
  });
  it("names the malformed part of a note", () => {
    const note: string = file.checkpoints[0].note;
    expect(() => parseSignedCheckpoint(note.slice(0, -1))).toThrow(/newline/);
    expect(() => parseSignedCheckpoint(note.replace("\n8\n", "\n08\n"))).toThrow(/size/);
    expect(() => parseSignedCheckpoint(note.replace("\n\n", "\n"))).toThrow(/blank line/);
    expect(() => parseSignedCheckpoint(note.replace("\u2014", "-"))).toThrow(/em dash/);
    expect(() => parseVerifierKey("alot.example/ledger+efe6ff58+AW0a3qPO6eB6BSO9uI9SWSjvLAyzbT3/n+GjO47jwaVw")).toThrow(/key id/);
  });
});

describe("ledger-small (roots, checkpoint and key)", () => {
  const expected = load("ledger-small.expected.json");
  const lines = read("ledger-small.jsonl").split("\n").slice(0, -1);
  const transactions = lines.map((line) => parseStrictJson(line) as Record<string, unknown>);
  it("every line's hash is the leaf hash of its canonical body, and lines are canonical", () => {
    transactions.forEach((t, i) => {
      expect(transactionLeafHash(t)).toBe(t.hash);
      expect(canonicalJsonText(t)).toBe(lines[i]);
    });
    expect(transactions[transactions.length - 1]!.hash).toBe(expected.head_hash);
  });
  it("the Merkle root at every size, and the signed checkpoint of size 40", () => {
    const leaves = transactions.map((t) => fromHex(t.hash as string));
    for (const [size, root] of Object.entries(expected.roots_by_size)) {
      expect(toHex(merkleRoot(leaves.slice(0, Number(size))))).toBe(root);
    }
    expect(toHex(merkleRoot(leaves))).toBe(expected.merkle_root);
    const checkpoint = verifyCheckpoint(read("ledger-small.checkpoint"), read("ledger-small.vkey"));
    expect(checkpoint.size).toBe(40);
    expect(toHex(checkpoint.rootHash)).toBe(expected.merkle_root);
  });
  it("an inclusion path built from the tree verifies for every leaf against the checkpoint root", () => {
    const leaves = transactions.map((t) => fromHex(t.hash as string));
    const root = fromHex(expected.merkle_root);
    for (let index = 0; index < leaves.length; index++) {
      const path = auditPath(leaves, index);
      expect(toHex(rootFromInclusionProof(leaves[index]!, index, leaves.length, path))).toBe(expected.merkle_root);
      verifyInclusion(leaves[index]!, index, leaves.length, path, root);
    }
  });
});

/** RFC 9162 PATH(m, D[0:n]), built naively for the tests. */
function auditPath(leaves: Uint8Array[], m: number): Uint8Array[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k ? [...auditPath(leaves.slice(0, k), m), merkleRoot(leaves.slice(k))] : [...auditPath(leaves.slice(k), m - k), merkleRoot(leaves.slice(0, k))];
}

describe("draw-alot-v1.json", () => {
  const file = load("draw-alot-v1.json");
  it.each(file.vectors.map((v: { lot_id: string }, i: number) => [i, v.lot_id, v]) as [any, any, any][])("vector %i (%s) recomputes and verifies", async (_i, _id, proof) => {
    const result = await verifyDrawProof(proof);
    const p = proof as { winning_ticket: number; winner_user_id?: string; winner_holder?: string };
    expect(result.steps.filter((s) => s.status !== "pass")).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.winningTicket).toBe(p.winning_ticket);
    expect(result.winnerUserId).toBe(p.winner_user_id ?? null);
    expect(result.winnerHolder).toBe(p.winner_holder ?? null);
    expect(result.steps.map((s) => s.id)).toEqual([
      "server_seed_commitment",
      "nonce",
      "client_seed",
      "combined_seed",
      "winning_ticket",
      "entries",
      ...(p.winner_holder === undefined ? ["winner_user_id"] : ["entries.amounts", "winner_holder"]),
    ]);
  });
});

describe("draw-alot-v2.json", () => {
  const file = load("draw-alot-v2.json");
  type V = {
    name: string;
    beacon_public_key: string | null;
    intermediate: Record<string, unknown> & {
      entry_leaves: string[];
      entry_leaf_hashes: string[];
      selection: { counter: number; message: string; block: string; candidate: number; accepted: boolean }[];
    };
    proof: Record<string, unknown> & { entries: Entry[]; draw_inputs: Record<string, unknown>; server_seed: string; seed: string; winning_ticket: number; selection_counter: number; winner_user_id?: string; winner_holder?: string; draw_inputs_hash: string; beacon: { signature: string } | null };
  };
  it.each(file.vectors.map((v: V) => [v.name, v]) as [any, any][])("%s: every intermediate byte string", (_name, vector) => {
    const v = vector as V;
    const im = v.intermediate;
    expect(toHex(commitmentPreimageV2(v.proof.server_seed))).toBe(im.commitment_preimage);
    // A pseudonymous vector gives each player's holder secret: the browser derives the same pseudonym.
    for (const h of (im.holders ?? []) as { holder_secret: string; lot_id: string; hmac_message: string; holder: string }[]) {
      expect(toHex(concat(enc(TAG_HOLDER), enc(utf8(h.lot_id))))).toBe(h.hmac_message);
      expect(holderPseudonym(fromHex(h.holder_secret), h.lot_id)).toBe(h.holder);
      expect(v.proof.entries.map(namedAs)).toContain(h.holder);
    }
    expect(v.proof.entries.map((e) => new TextDecoder().decode(entryLeaf(e)))).toEqual(im.entry_leaves);
    expect(v.proof.entries.map((e) => toHex(leafHash(entryLeaf(e))))).toEqual(im.entry_leaf_hashes);
    expect(canonicalJsonText(v.proof.draw_inputs)).toBe(im.draw_inputs_canonical_json);
    expect(toHex(drawInputsHashPreimage(v.proof.draw_inputs))).toBe(im.draw_inputs_hash_preimage);
    expect(drawInputsHash(v.proof.draw_inputs)).toBe(v.proof.draw_inputs_hash);
    const randomness = v.proof.beacon ? sha256(fromHex(v.proof.beacon.signature)) : new Uint8Array(0);
    expect(toHex(seedMessageV2(v.proof.draw_inputs_hash, randomness))).toBe(im.seed_hmac_message);
    const seed = seedV2(v.proof.server_seed, v.proof.draw_inputs_hash, randomness);
    expect(toHex(seed)).toBe(v.proof.seed);
    expect(selectionBits(v.proof.draw_inputs.total_tickets as number)).toBe(im.selection_bits);
    const selection = selectV2(seed, v.proof.draw_inputs.total_tickets as number);
    expect(selection.rounds.map(({ counter, block, candidate, accepted }) => ({ counter, block, candidate, accepted }))).toEqual(
      im.selection.map(({ counter, block, candidate, accepted }) => ({ counter, block, candidate, accepted })),
    );
    expect(selection.ticket).toBe(v.proof.winning_ticket);
    expect(selection.counter).toBe(v.proof.selection_counter);
  });
  it.each(file.vectors.map((v: V) => [v.name, v]) as [any, any][])("%s: the proof verifies, beacon signature included", async (_name, vector) => {
    const v = vector as V;
    const result = await verifyDrawProof(v.proof);
    expect(result.steps.filter((s) => s.status === "fail")).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.winningTicket).toBe(v.proof.winning_ticket);
    // A pseudonymous map names its winner by holder, a named one by user id: never both.
    expect(result.winnerUserId).toBe(v.proof.winner_user_id ?? null);
    expect(result.winnerHolder).toBe(v.proof.winner_holder ?? null);
    const winnerCheck = "winner_holder" in v.proof ? "winner_holder" : "winner_user_id";
    // The checks the reference verifier (alot_verify.draw) runs on this vector, by name and
    // in order: the browser passes exactly those, no more, no fewer.
    const beaconChecks = !v.proof.beacon
      ? []
      : v.proof.draw_inputs.beacon && (v.proof.draw_inputs.beacon as { scheme: string }).scheme === "pedersen-bls-chained"
        ? ["beacon.round", "beacon.randomness", "beacon.chain", "beacon.chosen_before_published", "beacon.first_round", "beacon.previous_signature", "beacon.signature"]
        : ["beacon.round", "beacon.randomness", "beacon.chain", "beacon.chosen_before_published", "beacon.first_round", "beacon.signature"];
    // A pseudonymous map ties its tickets to money: its amounts must add up to the escrow.
    const amountChecks = "winner_holder" in v.proof ? ["entries.amounts"] : [];
    expect(result.steps.filter((s) => s.status === "pass").map((s) => s.id)).toEqual([
      "server_seed_commitment",
      "draw_inputs_hash",
      "ticket_map_root",
      "entries",
      ...amountChecks,
      ...beaconChecks,
      "seed",
      "winning_ticket",
      winnerCheck,
    ]);
    // A beacon-less draw says plainly what the proof cannot show; nothing else is left unchecked.
    const notChecked = result.steps.filter((s) => s.status === "not_checked");
    if (v.proof.beacon) {
      expect(notChecked).toEqual([]);
    } else {
      expect(notChecked.map((s) => s.id)).toEqual(["draw.beacon_declared"]);
      expect(notChecked[0]!.detail).toMatch(/^Not proven here: .*declared beacon-less when it opened/);
    }
  });
});

describe("draw-alot-v2-negative.json", () => {
  const file = load("draw-alot-v2-negative.json");
  type N = { name: string; must_fail: string[]; proof: Record<string, unknown> } & Record<string, unknown>;
  // A vector may carry evidence only `alot-verify draw --ledger …` can use (a ledger
  // export, a cosigned checkpoint); the in-browser verifier checks the proof alone.
  const proofOnly = (v: N) => Object.keys(v).every((k) => ["name", "description", "must_fail", "proof"].includes(k));
  const vectorsHere = (file.vectors as N[]).filter(proofOnly);
  it("has vectors the browser can check", () => {
    expect(vectorsHere.map((v) => v.name)).toEqual(expect.arrayContaining(["forged-beacon-signature", "unknown-chain", "amounts-not-the-escrow"]));
  });
  // Malformed vectors: the proof cannot be read, and the reader names the same member the
  // reference verifier's InputError does (`malformed`).
  const malformed = (file.vectors as N[]).filter((v) => typeof v.malformed === "string");
  it("has malformed vectors, a map mixing names and pseudonyms and a free entry with an amount among them", () => {
    expect(malformed.map((v) => v.name)).toEqual(expect.arrayContaining(["mixed-names-and-pseudonyms", "free-entry-with-amount"]));
  });
  it.each(malformed.map((v) => [v.name, v]) as [any, any][])("%s: refused as malformed at the same member", async (_name, vector) => {
    const v = vector as N & { malformed: string };
    const error = await verifyDrawProof(v.proof).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DrawProofFormatError);
    expect((error as DrawProofFormatError).path).toBe(v.malformed);
  });
  it.each(vectorsHere.map((v) => [v.name, v]) as [any, any][])("%s: exactly the must_fail checks fail", async (_name, vector) => {
    const v = vector as N;
    const result = await verifyDrawProof(v.proof);
    expect(result.ok).toBe(false);
    expect(result.steps.filter((s) => s.status === "fail").map((s) => s.id).sort()).toEqual([...v.must_fail].sort());
    // Every other beacon check ran and passed: none was quietly left unchecked.
    expect(result.steps.filter((s) => s.status === "not_checked" && s.id.startsWith("beacon"))).toEqual([]);
  });
});

describe("pinned drand chains", () => {
  it("each pinned chain's hash is the hash of its info", () => {
    for (const chain of Object.values(KNOWN_CHAINS)) expect(computedChainHash(chain)).toBe(chain.chainHash);
    expect(Object.keys(KNOWN_CHAINS).sort()).toEqual([DEFAULT_CHAIN.chainHash, QUICKNET.chainHash].sort());
  });
  it("the spec's table pins the same chains", () => {
    const spec = readFileSync(resolve(vectors, "..", "draw.md"), "utf8");
    for (const chain of Object.values(KNOWN_CHAINS)) {
      const row = spec.split("\n").find((line) => line.startsWith(`| ${chain.name} |`))!;
      expect(row).toContain(chain.chainHash);
      expect(row).toContain(chain.scheme);
      expect(row).toContain(String(chain.genesisTime));
      expect(row).toContain(`${chain.period} s`);
      expect(row).toContain(chain.genesisSeed);
      expect(spec).toContain(chain.publicKey);
    }
  });
});
