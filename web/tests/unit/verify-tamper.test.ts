// Tampered inputs must fail, at the step that names what was changed; a check the
// verifier cannot do must say "not_checked", never "pass"; unreadable proofs are
// format errors naming the member, not failed draws.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DrawProofFormatError,
  commitmentMemoStep,
  fromHex,
  merkleRoot,
  leafHash,
  toHex,
  transactionLeafHash,
  verifyDrawProof,
  verifyInclusionDocument,
  parseStrictJson,
  type DrawVerification,
} from "../../src/verify";

const vectors = resolve(import.meta.dirname, "..", "..", "..", "docs", "spec", "vectors");
const read = (name: string) => readFileSync(join(vectors, name), "utf8");
const v1 = () => structuredClone(JSON.parse(read("draw-alot-v1.json")).vectors[0]);
const v2 = (name: string) => structuredClone(JSON.parse(read("draw-alot-v2.json")).vectors.find((v: { name: string }) => v.name === name).proof);

const failed = (r: DrawVerification) => r.steps.filter((s) => s.status === "fail").map((s) => s.id);
const status = (r: DrawVerification, id: string) => r.steps.find((s) => s.id === id)?.status;
const flipHex = (hex: string, at = 0) => hex.slice(0, at) + (hex[at] === "0" ? "1" : "0") + hex.slice(at + 1);

describe("alot-v1 tampering", () => {
  it("a flipped byte of the revealed server seed fails the commitment and everything derived", async () => {
    const proof = v1();
    proof.server_seed = flipHex(proof.server_seed, 10);
    const r = await verifyDrawProof(proof);
    expect(r.ok).toBe(false);
    expect(failed(r)).toContain("server_seed_commitment");
    expect(failed(r)).toContain("combined_seed");
  });
  it("a wrong commitment fails the commitment step alone", async () => {
    const proof = v1();
    proof.server_seed_commitment = flipHex(proof.server_seed_commitment);
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toEqual(["server_seed_commitment"]);
  });
  it("changing an entry's tickets breaks the tiling", async () => {
    const proof = v1();
    proof.entries[1].tickets_end -= 1;
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toContain("entries");
  });
  it("rewriting who holds the winning ticket fails the winner step", async () => {
    const proof = v1();
    proof.entries[1].user_id = "00000000-0000-4000-8000-000000000000";
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toEqual(["winner_user_id"]);
    expect(r.winnerUserId).toBe("00000000-0000-4000-8000-000000000000");
  });
  it("a changed escrow balance changes the client seed and the winner", async () => {
    const proof = v1();
    proof.escrow_balance = "1650.51";
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toEqual(expect.arrayContaining(["client_seed", "combined_seed"]));
  });
  it("a tampered derived value fails alone", async () => {
    const proof = v1();
    proof.winning_ticket += 1;
    expect(failed(await verifyDrawProof(proof))).toEqual(["winning_ticket"]);
  });
  it("malformed proofs are format errors naming the member", async () => {
    const missing = v1();
    delete missing.entries[3].tickets_end;
    await expect(verifyDrawProof(missing)).rejects.toThrow("entries[3].tickets_end: missing field");
    const extra = v1();
    extra.surprise = 1;
    await expect(verifyDrawProof(extra)).rejects.toBeInstanceOf(DrawProofFormatError);
    const upper = v1();
    upper.server_seed = upper.server_seed.toUpperCase();
    await expect(verifyDrawProof(upper)).rejects.toThrow(/server_seed/);
    const dollars = v1();
    dollars.escrow_balance = "1650.5";
    await expect(verifyDrawProof(dollars)).rejects.toThrow(/escrow_balance/);
    await expect(verifyDrawProof({ ...v1(), algorithm: "alot-v9" })).rejects.toThrow(/unsupported algorithm/);
    await expect(verifyDrawProof({ ...v1(), created_at: "2026-02-30T00:00:00.000000Z" })).rejects.toThrow(/created_at/);
  });
});

describe("alot-v2 tampering", () => {
  it("a flipped byte of the server seed fails the commitment and the seed", async () => {
    const proof = v2("no-beacon");
    proof.server_seed = flipHex(proof.server_seed, 2);
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toEqual(expect.arrayContaining(["server_seed_commitment", "seed"]));
  });
  it("a wrong commitment in the frozen inputs fails the commitment and the inputs hash", async () => {
    const proof = v2("no-beacon");
    proof.draw_inputs.server_seed_commitment = flipHex(proof.draw_inputs.server_seed_commitment);
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toEqual(expect.arrayContaining(["server_seed_commitment", "draw_inputs_hash"]));
  });
  it("changing an entry's tickets (even keeping the tiling) fails the ticket map root", async () => {
    const proof = v2("no-beacon");
    proof.entries[0].tickets_end = 4;
    proof.entries[1].tickets_start = 5;
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toEqual(["ticket_map_root"]);
  });
  it("rewriting a losing entry's holder fails the ticket map root (v2 commits to losers)", async () => {
    const proof = v2("no-beacon");
    proof.entries[2].user_id = "00000000-0000-4000-8000-000000000000";
    expect(failed(await verifyDrawProof(proof))).toEqual(["ticket_map_root"]);
  });
  it("a changed selection counter fails the winning ticket step", async () => {
    const proof = v2("rejection");
    proof.selection_counter = 9;
    expect(failed(await verifyDrawProof(proof))).toEqual(["winning_ticket"]);
  });
  it("a tampered beacon signature fails randomness and the BLS check", async () => {
    const proof = v2("quicknet-beacon");
    proof.beacon.signature = flipHex(proof.beacon.signature, 20);
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toEqual(expect.arrayContaining(["beacon.randomness", "beacon.signature", "seed"]));
  });
  it("a consistent but forged beacon (randomness recomputed) still fails the BLS check", async () => {
    const proof = v2("default-chain-beacon");
    const { sha256 } = await import("@noble/hashes/sha2.js");
    proof.beacon.signature = flipHex(proof.beacon.signature, 40);
    proof.beacon.randomness = toHex(sha256(fromHex(proof.beacon.signature)));
    const r = await verifyDrawProof(proof);
    expect(status(r, "beacon.randomness")).toBe("pass");
    expect(status(r, "beacon.signature")).toBe("fail");
  });
  it("a round that was already published at funding fails chosen_before_published", async () => {
    const proof = v2("quicknet-beacon");
    proof.draw_inputs.funded_at = "2023-08-23T16:50:00.000000Z";
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toContain("beacon.chosen_before_published");
  });
  it("an unknown chain FAILS every check that needs the chain (it is never waved through)", async () => {
    const proof = v2("quicknet-beacon");
    proof.draw_inputs.beacon.chain_hash = "11".repeat(32);
    const r = await verifyDrawProof(proof);
    expect(failed(r)).toEqual(expect.arrayContaining(["beacon.chain", "beacon.chosen_before_published", "beacon.signature"]));
    expect(r.steps.filter((s) => s.status === "not_checked")).toEqual([]);
    // Even the real key of another chain does not help: only pinned chain info does.
    const keyed = await verifyDrawProof(proof, { beaconPublicKey: JSON.parse(read("draw-alot-v2.json")).vectors[1].beacon_public_key });
    expect(status(keyed, "beacon.signature")).toBe("fail");
  });
  it("a missing beacon reading, or one without a frozen round, fails the beacon step", async () => {
    const missing = v2("quicknet-beacon");
    missing.beacon = null;
    expect(failed(await verifyDrawProof(missing))).toContain("beacon");
    const unexpected = v2("no-beacon");
    unexpected.beacon = { round: 1 };
    expect(failed(await verifyDrawProof(unexpected))).toContain("beacon");
  });
});

describe("ledger inclusion documents", () => {
  const lines = read("ledger-small.jsonl").split("\n").slice(0, -1);
  const transactions = lines.map((line) => parseStrictJson(line) as Record<string, unknown>);
  const leaves = transactions.map((t) => fromHex(t.hash as string));
  const note = read("ledger-small.checkpoint");
  const key = read("ledger-small.vkey");
  function path(list: Uint8Array[], m: number): Uint8Array[] {
    if (list.length <= 1) return [];
    let k = 1;
    while (k * 2 < list.length) k *= 2;
    return m < k ? [...path(list.slice(0, k), m), merkleRoot(list.slice(k))] : [...path(list.slice(k), m - k), merkleRoot(list.slice(0, k))];
  }
  const doc = (seq: number, withTransaction = true) => ({
    leaf_index: seq - 1,
    tree_size: 40,
    leaf_hash: transactions[seq - 1]!.hash,
    ...(withTransaction ? { transaction: structuredClone(transactions[seq - 1]) } : {}),
    proof: path(leaves, seq - 1).map(toHex),
    checkpoint: note,
  });
  const ids = (steps: { id: string; status: string }[], s: string) => steps.filter((x) => x.status === s).map((x) => x.id);

  it("a served document verifies: signature, size, transaction hash, inclusion", () => {
    const r = verifyInclusionDocument(doc(13), key, 13);
    expect(ids(r.steps, "fail")).toEqual([]);
    expect(ids(r.steps, "pass")).toEqual(["checkpoint.signature", "checkpoint.size", "leaf_index", "transaction.hash", "inclusion"]);
    expect(r.ok).toBe(true);
    expect(r.transaction?.seq).toBe(13);
  });
  it("without the transaction, its content is NOT CHECKED, the rest passes", () => {
    const r = verifyInclusionDocument(doc(7, false), key, 7);
    expect(ids(r.steps, "not_checked")).toEqual(["transaction.hash"]);
    expect(ids(r.steps, "fail")).toEqual([]);
    expect(r.transaction).toBeNull();
  });
  it("an altered proof hash fails inclusion", () => {
    const d = doc(13);
    d.proof[1] = flipHex(d.proof[1]!, 5);
    expect(ids(verifyInclusionDocument(d, key, 13).steps, "fail")).toEqual(["inclusion"]);
  });
  it("an edited transaction fails its hash", () => {
    const d = doc(13);
    (d.transaction as Record<string, unknown>).kind = "something_else";
    expect(ids(verifyInclusionDocument(d, key, 13).steps, "fail")).toEqual(["transaction.hash"]);
  });
  it("a wrong signature (another key, or a changed checkpoint) fails the checkpoint", () => {
    const other = read("ledger-small.vkey").replace(/\+[0-9a-f]{8}\+/, "+00000000+");
    expect(ids(verifyInclusionDocument(doc(13), other, 13).steps, "fail")).toContain("checkpoint.signature");
    const d = doc(13);
    d.checkpoint = note.replace("\n40\n", "\n41\n");
    const r = verifyInclusionDocument(d, key, 13);
    expect(ids(r.steps, "fail")).toEqual(["checkpoint.signature"]);
    expect(ids(r.steps, "not_checked")).toEqual(["inclusion"]);
  });
  it("a proof for another transaction fails the leaf index", () => {
    expect(ids(verifyInclusionDocument(doc(12), key, 13).steps, "fail")).toEqual(["leaf_index"]);
  });
  it("the transaction leaf hash is the chain hash", () => {
    expect(transactionLeafHash(transactions[0]!)).toBe(toHex(leafHash(new TextEncoder().encode(lines[0]!.replace(/,"hash":"[0-9a-f]{64}"/, "")))));
  });
});

describe("the commitment recorded in the ledger", () => {
  const memo = {
    kind: "draw_commitment",
    refs: { lot_id: "21bade02-6a6a-4768-b2ed-66ffdcc99396" },
    metadata: { server_seed_commitment: "ab".repeat(32) },
  };
  it("passes when the memo holds the proof's commitment", () => {
    expect(commitmentMemoStep(memo, memo.refs.lot_id, "ab".repeat(32), 3).status).toBe("pass");
  });
  it("fails a wrong commitment, another lot or another kind", () => {
    expect(commitmentMemoStep(memo, memo.refs.lot_id, "cd".repeat(32), 3).status).toBe("fail");
    expect(commitmentMemoStep(memo, "00000000-0000-4000-8000-000000000000", "ab".repeat(32), 3).status).toBe("fail");
    expect(commitmentMemoStep({ ...memo, kind: "draw_result" }, memo.refs.lot_id, "ab".repeat(32), 3).status).toBe("fail");
  });
  it("is NOT CHECKED when the ledger does not show the memo", () => {
    const step = commitmentMemoStep(null, memo.refs.lot_id, "ab".repeat(32), 3);
    expect(step.status).toBe("not_checked");
    expect(step.detail).toMatch(/auditor/);
  });
});
