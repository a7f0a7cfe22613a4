// Pseudonymous holders (docs/spec/draw.md): a ticket map names each holder by a per-lot
// pseudonym, the proof names the winner by `winner_holder`, and a map that mixes names
// and pseudonyms is unreadable. The proofs here are the spec's vectors with their user ids
// replaced by pseudonyms and every derived value recomputed, as the platform would draw them.
import { sha256 } from "@noble/hashes/sha2.js";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DrawProofFormatError,
  drawInputsHash,
  entryLeaf,
  fromHex,
  holderProblems,
  holderPseudonym,
  isPseudonymous,
  namedAs,
  seedV2,
  selectV2,
  ticketMapRoot,
  toHex,
  utf8,
  verifyDrawProof,
  type Entry,
} from "../../src/verify";

const vectors = resolve(import.meta.dirname, "..", "..", "..", "docs", "spec", "vectors");
const read = (name: string) => JSON.parse(readFileSync(join(vectors, name), "utf8"));
type Proof = Record<string, any>;
const v2Vectors: { name: string; proof: Proof }[] = read("draw-alot-v2.json").vectors;
const v1Vectors: Proof[] = read("draw-alot-v1.json").vectors;

const failed = (r: { steps: { id: string; status: string }[] }) => r.steps.filter((s) => s.status === "fail").map((s) => s.id);

/** A test secret per user id (the platform's are random). */
const secretOf = (userId: string) => sha256(utf8(`holder secret of ${userId}`));

function pseudonymousEntries(entries: Entry[], lotId: string): Entry[] {
  return entries.map(({ user_id, ...rest }) => ({ ...rest, holder: holderPseudonym(secretOf(user_id!), lotId) }));
}

/** An alot-v2 proof redrawn over the same players named by pseudonym. */
function pseudonymousV2(proof: Proof): Proof {
  const entries = pseudonymousEntries(proof.entries, proof.draw_inputs.lot_id);
  const drawInputs = { ...proof.draw_inputs, ticket_map_root: ticketMapRoot(entries) };
  const inputsHash = drawInputsHash(drawInputs);
  const randomness = proof.beacon ? sha256(fromHex(proof.beacon.signature)) : new Uint8Array(0);
  const seed = seedV2(proof.server_seed, inputsHash, randomness);
  const selection = selectV2(seed, drawInputs.total_tickets);
  const { winner_user_id: _named, ...rest } = proof;
  const winner = entries.find((e) => e.tickets_start <= selection.ticket && selection.ticket <= e.tickets_end)!;
  return {
    ...rest,
    draw_inputs: drawInputs,
    draw_inputs_hash: inputsHash,
    seed: toHex(seed),
    selection_counter: selection.counter,
    winning_ticket: selection.ticket,
    entries,
    winner_holder: winner.holder,
  };
}

function pseudonymousV1(proof: Proof): Proof {
  const entries = pseudonymousEntries(proof.entries, proof.lot_id);
  const { winner_user_id: _named, ...rest } = proof;
  const winner = entries.find((e) => e.tickets_start <= proof.winning_ticket && proof.winning_ticket <= e.tickets_end)!;
  return { ...rest, entries, winner_holder: winner.holder };
}

describe("pseudonymous ticket maps", () => {
  it("computes the contract's pseudonym: HMAC-SHA256(secret, enc(TAG_HOLDER) || enc(lot id))", () => {
    const secret = new Uint8Array(32).fill(7);
    const lot = "3f1c2b9e-0d4a-4c8e-9b7f-2a6d5e4c3b21";
    const holder = holderPseudonym(secret, lot);
    expect(holder).toMatch(/^[0-9a-f]{64}$/);
    // Per lot: the same player has another pseudonym in another lot.
    expect(holderPseudonym(secret, "3f1c2b9e-0d4a-4c8e-9b7f-2a6d5e4c3b22")).not.toBe(holder);
  });

  it.each(v2Vectors.map((v) => [v.name, v.proof]) as [string, Proof][])("alot-v2 %s redrawn over pseudonyms verifies, winner by holder", async (_name, named) => {
    const proof = pseudonymousV2(named);
    const result = await verifyDrawProof(proof);
    expect(failed(result)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.pseudonymous).toBe(true);
    expect(result.winnerHolder).toBe(proof.winner_holder);
    expect(result.winnerUserId).toBeNull();
    expect(result.published).toMatchObject({ winnerHolder: proof.winner_holder, winnerUserId: null });
    const ids = result.steps.map((s) => s.id);
    expect(ids).toContain("winner_holder");
    expect(ids).not.toContain("winner_user_id");
    // No user id anywhere in what the browser was given.
    const text = JSON.stringify(proof);
    for (const e of named.entries as Entry[]) expect(text).not.toContain(e.user_id!);
  });

  it("alot-v1 over pseudonyms verifies too (entries are read the same way)", async () => {
    for (const named of v1Vectors) {
      const result = await verifyDrawProof(pseudonymousV1(named));
      expect(failed(result)).toEqual([]);
      expect(result.steps.map((s) => s.id).at(-1)).toBe("winner_holder");
    }
  });

  it("a named map is unchanged: winner_user_id, no holder", async () => {
    const result = await verifyDrawProof(v2Vectors[0]!.proof);
    expect(result.pseudonymous).toBe(false);
    expect(result.winnerHolder).toBeNull();
    expect(result.published.winnerHolder).toBeNull();
    expect(result.steps.map((s) => s.id)).toContain("winner_user_id");
  });

  it("a pseudonym commits to the ticket map root like a user id did", async () => {
    const proof = pseudonymousV2(v2Vectors[0]!.proof);
    const leaf = new TextDecoder().decode(entryLeaf(proof.entries[0]));
    expect(leaf).toBe(`{"holder":"${proof.entries[0].holder}","tickets_end":${proof.entries[0].tickets_end},"tickets_start":1}`);
    const swapped = structuredClone(proof);
    swapped.entries[0].holder = "0".repeat(64);
    expect(failed(await verifyDrawProof(swapped))).toContain("ticket_map_root");
  });

  it("fails winner_holder alone when the published winner is another holder", async () => {
    const proof = pseudonymousV2(v2Vectors[0]!.proof);
    const other = proof.entries.map(namedAs).find((h: string) => h !== proof.winner_holder);
    expect(failed(await verifyDrawProof({ ...proof, winner_holder: other }))).toEqual(["winner_holder"]);
  });

  it("the same holder may hold several entries (several purchases)", async () => {
    const proof = pseudonymousV2(v2Vectors.find((v) => v.name === "quicknet-beacon")!.proof);
    const twice = structuredClone(proof);
    twice.entries[1].holder = twice.entries[0].holder;
    const redrawn = pseudonymousV2({ ...twice, entries: twice.entries.map((e: Entry) => ({ ...e, user_id: e.holder, holder: undefined })) });
    // pseudonymousV2 re-derives holders from "user ids"; equal inputs give equal holders.
    expect(redrawn.entries[0].holder).toBe(redrawn.entries[1].holder);
    expect((await verifyDrawProof(redrawn)).ok).toBe(true);
  });

  it("refuses a map that mixes names and pseudonyms, naming the odd entry", async () => {
    const proof = pseudonymousV2(v2Vectors[0]!.proof);
    const mixed = structuredClone(proof);
    const { holder: _h, ...rest } = mixed.entries[1];
    mixed.entries[1] = { ...rest, user_id: v2Vectors[0]!.proof.entries[1].user_id };
    const error = await verifyDrawProof(mixed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrawProofFormatError);
    expect((error as DrawProofFormatError).path).toBe("entries[1].user_id");
    expect((error as Error).message).toMatch(/mixes names and pseudonyms/);

    const named = structuredClone(v2Vectors[0]!.proof);
    named.entries[2] = { holder: proof.entries[2].holder, tickets_start: named.entries[2].tickets_start, tickets_end: named.entries[2].tickets_end };
    const other = await verifyDrawProof(named).catch((e: unknown) => e);
    expect((other as DrawProofFormatError).path).toBe("entries[2].holder");
    expect((other as Error).message).toMatch(/mixes names and pseudonyms/);
  });

  it("refuses malformed pseudonyms and a winner named the wrong way", async () => {
    const proof = pseudonymousV2(v2Vectors[0]!.proof);
    for (const holder of [proof.entries[0].holder.toUpperCase(), proof.entries[0].holder.slice(2), 42]) {
      const bad = structuredClone(proof);
      bad.entries[0].holder = holder;
      await expect(verifyDrawProof(bad)).rejects.toThrow(/entries\[0\]\.holder/);
    }
    const both = structuredClone(proof);
    both.entries[0].user_id = v2Vectors[0]!.proof.entries[0].user_id;
    await expect(verifyDrawProof(both)).rejects.toThrow(/^entries\[0\]\.holder: an entry names its holder by exactly one/);
    const neither = structuredClone(proof);
    delete neither.entries[1].holder;
    await expect(verifyDrawProof(neither)).rejects.toThrow(/^entries\[1\]\.user_id: the ticket map mixes names and pseudonyms/);
    const { winner_holder, ...noHolder } = proof;
    await expect(verifyDrawProof({ ...noHolder, winner_user_id: v2Vectors[0]!.proof.winner_user_id })).rejects.toThrow(/^winner_user_id: a proof over a pseudonymous ticket map names its winner by winner_holder/);
    await expect(verifyDrawProof(noHolder)).rejects.toThrow(/^winner_holder: missing field/);
    await expect(verifyDrawProof({ ...proof, winner_holder: winner_holder.slice(1) })).rejects.toThrow(/winner_holder/);
    expect(isPseudonymous(proof.entries)).toBe(true);
  });
});

describe("a purchase's holder in the ledger", () => {
  const holder = "ab".repeat(32);
  it("must be the pseudonym the receipt gives on a pseudonymous lot", () => {
    expect(holderProblems({ user_id: "u", holder }, holder)).toEqual([]);
    expect(holderProblems({ user_id: "u", holder: "cd".repeat(32) }, holder)).toEqual([`it names holder ${"cd".repeat(32)}, not ${holder} as your receipt says`]);
    expect(holderProblems({ user_id: "u" }, holder)).toEqual(["it carries no holder pseudonym, but your receipt gives one for this lot"]);
  });
  it("is absent on a lot naming holders by user id", () => {
    expect(holderProblems({ user_id: "u" }, null)).toEqual([]);
    expect(holderProblems({ user_id: "u", holder }, null)).toHaveLength(1);
  });
});
