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
  ticketMapEntryProblems,
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

const paidIn = (entries: Entry[]) => entries.filter((e) => e.kind !== "free");

/**
 * What each entry's purchase put in escrow, adding up to `escrowCents`: a free entry 0, a
 * paid entry its share by tickets (at least a cent), the remainder on the last paid one.
 */
function amountsFor(entries: Entry[], escrowCents: number): number[] {
  const paid = paidIn(entries);
  const paidTickets = paid.reduce((n, e) => n + e.tickets_end - e.tickets_start + 1, 0);
  const perTicket = Math.floor(escrowCents / paidTickets);
  const amounts = entries.map((e) => (e.kind === "free" ? 0 : Math.max(1, perTicket * (e.tickets_end - e.tickets_start + 1))));
  const last = entries.lastIndexOf(paid.at(-1)!);
  amounts[last]! += escrowCents - amounts.reduce((a, b) => a + b, 0);
  return amounts;
}

/** Named entries renamed by pseudonym, each tied to its (test) purchase: an amount and a ledger seq. */
function pseudonymousEntries(entries: Entry[], lotId: string, escrowCents: number): Entry[] {
  const amounts = amountsFor(entries, escrowCents);
  return entries.map(({ user_id, holder: _h, amount_cents: _a, purchase_seq: _s, ...rest }, i) => ({
    ...rest,
    holder: holderPseudonym(secretOf(user_id ?? _h!), lotId),
    amount_cents: amounts[i]!,
    purchase_seq: 10 + 3 * i,
  }));
}

/** Cents of an alot-v1 escrow_balance ("1650.50"). */
const centsOf = (dollars: string) => Number(dollars.replace(".", ""));

/** An alot-v2 proof redrawn over the same players named by pseudonym. */
function pseudonymousV2(proof: Proof): Proof {
  // Each paid entry put at least a cent in escrow: a vector escrowing less is redrawn with a dollar a ticket.
  const paidTickets = paidIn(proof.entries).reduce((n: number, e: Entry) => n + e.tickets_end - e.tickets_start + 1, 0);
  const escrowCents = proof.draw_inputs.escrow_cents >= paidIn(proof.entries).length ? proof.draw_inputs.escrow_cents : 100 * paidTickets;
  const entries = pseudonymousEntries(proof.entries, proof.draw_inputs.lot_id, escrowCents);
  const drawInputs = { ...proof.draw_inputs, escrow_cents: escrowCents, ticket_map_root: ticketMapRoot(entries) };
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
  const entries = pseudonymousEntries(proof.entries, proof.lot_id, centsOf(proof.escrow_balance));
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
    expect(leaf).toBe(`{"amount_cents":${proof.entries[0].amount_cents},"holder":"${proof.entries[0].holder}","purchase_seq":10,"tickets_end":${proof.entries[0].tickets_end},"tickets_start":1}`);
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

describe("pseudonymous entries are tied to money (entries.amounts)", () => {
  const proof = pseudonymousV2(v2Vectors.find((v) => v.name === "free-entries")!.proof);

  it("checks that the amounts add up to the frozen escrow, right after the tiling, on v1 and v2", async () => {
    const ids = (await verifyDrawProof(proof)).steps.map((s) => s.id);
    expect(ids.slice(ids.indexOf("entries"), ids.indexOf("entries") + 2)).toEqual(["entries", "entries.amounts"]);
    const v1 = await verifyDrawProof(pseudonymousV1(v1Vectors[0]!));
    expect(v1.steps.find((s) => s.id === "entries.amounts")).toMatchObject({ status: "pass", expected: "165050", computed: "165050" });
  });

  it("does not apply to a named map (not listed)", async () => {
    expect((await verifyDrawProof(v2Vectors[0]!.proof)).steps.map((s) => s.id)).not.toContain("entries.amounts");
    expect((await verifyDrawProof(v1Vectors[0]!)).steps.map((s) => s.id)).not.toContain("entries.amounts");
  });

  it("fails entries.amounts alone when the amounts do not add up to the escrow (root recomputed)", async () => {
    const bent = structuredClone(proof);
    bent.entries[0].amount_cents += 1;
    const redrawn = { ...bent, draw_inputs: { ...bent.draw_inputs, ticket_map_root: ticketMapRoot(bent.entries) } };
    const again = pseudonymousV2Keep(redrawn);
    const result = await verifyDrawProof(again);
    expect(failed(result)).toEqual(["entries.amounts"]);
    const step = result.steps.find((s) => s.id === "entries.amounts")!;
    expect(step.expected).toBe(String(proof.draw_inputs.escrow_cents));
    expect(step.computed).toBe(String(proof.draw_inputs.escrow_cents + 1));
  });

  it("fails ticket_map_root when an amount is changed after the freeze", async () => {
    const bent = structuredClone(proof);
    bent.entries[0].amount_cents -= 1;
    bent.entries[2].amount_cents += 1;
    expect(failed(await verifyDrawProof(bent))).toEqual(["ticket_map_root"]);
  });

  const malformed = (change: (p: Proof) => void) => {
    const bad = structuredClone(proof);
    change(bad);
    return verifyDrawProof(bad).then(
      () => null,
      (e: unknown) => e as DrawProofFormatError,
    );
  };
  const free = proof.entries.findIndex((e: Entry) => e.kind === "free");

  it.each([
    ["a free entry with an amount", (p: Proof) => (p.entries[free].amount_cents = 100), `entries[${free}].amount_cents`, /a free entry's amount is 0, got 100/],
    ["a paid entry with amount 0", (p: Proof) => (p.entries[0].amount_cents = 0), "entries[0].amount_cents", /a paid entry's amount is at least 1 cent, got 0/],
    ["a negative amount", (p: Proof) => (p.entries[0].amount_cents = -5), "entries[0].amount_cents", /between 0 and 2\*\*53 - 1/],
    ["an amount as a string", (p: Proof) => (p.entries[0].amount_cents = "100"), "entries[0].amount_cents", /must be an integer, got string/],
    ["an amount as a boolean", (p: Proof) => (p.entries[0].amount_cents = true), "entries[0].amount_cents", /must be an integer, got boolean/],
    ["an amount past 2**53 - 1", (p: Proof) => (p.entries[0].amount_cents = 2 ** 53), "entries[0].amount_cents", /2\*\*53 - 1/],
    ["a missing amount", (p: Proof) => delete p.entries[1].amount_cents, "entries[1].amount_cents", /missing field/],
    ["a missing purchase seq", (p: Proof) => delete p.entries[1].purchase_seq, "entries[1].purchase_seq", /missing field/],
    ["purchase seq 0", (p: Proof) => (p.entries[0].purchase_seq = 0), "entries[0].purchase_seq", /between 1 and/],
    ["two entries sharing one purchase", (p: Proof) => (p.entries[3].purchase_seq = p.entries[1].purchase_seq), "entries[3].purchase_seq", /purchase_seq 13 is already entries\[1\]'s purchase/],
  ] as [string, (p: Proof) => void, string, RegExp][])("refuses %s as malformed, at its member", async (_what, change, path, message) => {
    const error = await malformed(change);
    expect(error).toBeInstanceOf(DrawProofFormatError);
    expect(error!.path).toBe(path);
    expect(error!.message).toMatch(message);
  });

  it("refuses amount_cents or purchase_seq on a named entry (unknown members: named maps stay byte-identical)", async () => {
    for (const member of ["amount_cents", "purchase_seq"]) {
      const named = structuredClone(v2Vectors[0]!.proof);
      named.entries[0][member] = 100;
      const error = await verifyDrawProof(named).catch((e: unknown) => e);
      expect((error as DrawProofFormatError).path).toBe(`entries[0].${member}`);
      expect((error as Error).message).toMatch(/unknown field/);
    }
  });

  it("leaves pseudonymous leaves with their amount and seq, named leaves as they were", () => {
    const leaf = new TextDecoder().decode(entryLeaf(proof.entries[0]));
    expect(leaf).toBe(`{"amount_cents":${proof.entries[0].amount_cents},"holder":"${proof.entries[0].holder}","purchase_seq":10,"tickets_end":${proof.entries[0].tickets_end},"tickets_start":1}`);
    const named = v2Vectors[0]!.proof.entries[0];
    expect(new TextDecoder().decode(entryLeaf(named))).toBe(`{"tickets_end":${named.tickets_end},"tickets_start":1,"user_id":"${named.user_id}"}`);
  });
});

/** Redraw a pseudonymous alot-v2 proof over its entries as they are (amounts untouched). */
function pseudonymousV2Keep(proof: Proof): Proof {
  const inputsHash = drawInputsHash(proof.draw_inputs);
  const randomness = proof.beacon ? sha256(fromHex(proof.beacon.signature)) : new Uint8Array(0);
  const seed = seedV2(proof.server_seed, inputsHash, randomness);
  const selection = selectV2(seed, proof.draw_inputs.total_tickets);
  const winner = proof.entries.find((e: Entry) => e.tickets_start <= selection.ticket && selection.ticket <= e.tickets_end)!;
  return { ...proof, draw_inputs_hash: inputsHash, seed: toHex(seed), selection_counter: selection.counter, winning_ticket: selection.ticket, winner_holder: winner.holder };
}

describe("a purchase's holder in the ledger", () => {
  const holder = "ab".repeat(32);
  it("must be the pseudonym the receipt gives on a pseudonymous lot", () => {
    expect(holderProblems({ user_id: "u", holder }, holder)).toEqual([]);
    expect(holderProblems({ user_id: "u", holder: "cd".repeat(32) }, holder)).toEqual([`it names holder ${"cd".repeat(32)}, not ${holder} as your receipt says`]);
    expect(holderProblems({ user_id: "u" }, holder)).toEqual(["it carries no holder pseudonym, but your receipt gives one for this lot"]);
  });
  it("is the ticket map's entry with that purchase seq, under that holder and with those tickets", () => {
    const map = [
      { holder, tickets_start: 1, tickets_end: 5, amount_cents: 500, purchase_seq: 7 },
      { holder: "cd".repeat(32), tickets_start: 6, tickets_end: 6, amount_cents: 0, purchase_seq: 9, kind: "free" },
    ];
    expect(ticketMapEntryProblems(map, 7, holder, ["tickets 1–5"])).toEqual([]);
    expect(ticketMapEntryProblems(map, 8, holder, ["tickets 1–5"])).toEqual(["no entry of the ticket map names this purchase (purchase_seq 8)"]);
    expect(ticketMapEntryProblems(map, 9, holder, ["ticket 6"])).toEqual([`the ticket map's entry for this purchase names holder ${"cd".repeat(32)}, not ${holder} as your receipt says`]);
    expect(ticketMapEntryProblems(map, 7, holder, ["tickets 1–4"])).toEqual(["the ticket map's entry for this purchase holds tickets 1–5, your receipt gives tickets 1–4"]);
    expect(ticketMapEntryProblems([...map, { ...map[0] }], 7, holder, ["tickets 1–5"])).toEqual(["2 entries of the ticket map name this purchase (purchase_seq 7)"]);
    // A named lot (no receipt holder) or no proof yet: nothing to match.
    expect(ticketMapEntryProblems(map, 8, null, [])).toEqual([]);
    expect(ticketMapEntryProblems(undefined, 7, holder, ["tickets 1–5"])).toEqual([]);
  });
  it("is absent on a lot naming holders by user id", () => {
    expect(holderProblems({ user_id: "u" }, null)).toEqual([]);
    expect(holderProblems({ user_id: "u", holder }, null)).toHaveLength(1);
  });
});
