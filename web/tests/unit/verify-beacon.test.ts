// drand beacons in the in-browser verifier, as the reference verifier checks them
// (alot_verify.beacon, docs/spec/draw.md "drand beacons"): chains pinned by their info,
// the BLS signature always verified, previous_signature's format, and the spec's rule
// that the frozen round is the FIRST one due more than 30 s after funding.
//
// Pure-JS pairings cost tens of milliseconds each: every verifyDrawProof of a beacon
// proof runs one signature check (two pairings), so the tests here keep to a handful.
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ChainInfoError,
  DEFAULT_CHAIN,
  QUICKNET,
  SCHEME_CHAINED,
  SCHEME_UNCHAINED_G1,
  beaconDeclaredStep,
  beaconMessage,
  chainFromInfo,
  computedChainHash,
  drawInputsHash,
  firstRoundAfter,
  firstRoundForFunding,
  fromHex,
  previousSignatureMismatch,
  seedV2,
  selectV2,
  timestampMicros,
  toHex,
  verifyBeaconSignature,
  verifyDrawProof,
  type DrawVerification,
} from "../../src/verify";

const vectors = resolve(import.meta.dirname, "..", "..", "..", "docs", "spec", "vectors");
const v2 = (name: string) =>
  structuredClone(JSON.parse(readFileSync(join(vectors, "draw-alot-v2.json"), "utf8")).vectors.find((v: { name: string }) => v.name === name).proof);
const failed = (r: DrawVerification) => r.steps.filter((s) => s.status === "fail").map((s) => s.id);
const status = (r: DrawVerification, id: string) => r.steps.find((s) => s.id === id)?.status;

/**
 * The proof an operator who controls everything but drand would publish for changed
 * inputs: inputs hash, seed, selection and winner all recomputed, so only a check about
 * the beacon itself can object.
 */
function recomputed(proof: any) {
  proof.draw_inputs_hash = drawInputsHash(proof.draw_inputs);
  const randomness = proof.beacon ? sha256(fromHex(proof.beacon.signature)) : new Uint8Array(0);
  if (proof.beacon) proof.beacon.randomness = toHex(randomness);
  const seed = seedV2(proof.server_seed, proof.draw_inputs_hash, randomness);
  proof.seed = toHex(seed);
  const selection = selectV2(seed, proof.draw_inputs.total_tickets);
  proof.winning_ticket = selection.ticket;
  proof.selection_counter = selection.counter;
  proof.winner_user_id = proof.entries.find((e: any) => e.tickets_start <= selection.ticket && selection.ticket <= e.tickets_end).user_id;
  return proof;
}

const isoMicros = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, ".000000Z");

describe("the beacon round rule (beacon.first_round)", () => {
  it("is the first round due strictly after floor(funded_at) + 30 s", () => {
    // quicknet round 1000 is due at genesis + 999 × 3 = 1692806364.
    const due = QUICKNET.genesisTime + 999 * 3;
    expect(firstRoundForFunding(QUICKNET, timestampMicros(isoMicros(due - 31))!)).toBe(1000); // due - 1 > funded + 30
    expect(firstRoundForFunding(QUICKNET, timestampMicros(isoMicros(due - 30))!)).toBe(1001); // not strictly after: the next
    // The fraction of a second is dropped before adding the margin.
    expect(firstRoundForFunding(QUICKNET, timestampMicros("2023-08-23T15:58:52.999999Z")!)).toBe(1000);
    // Before genesis, the first round is round 1.
    expect(firstRoundAfter(DEFAULT_CHAIN, DEFAULT_CHAIN.genesisTime - 1)).toBe(1);
    expect(firstRoundAfter(DEFAULT_CHAIN, DEFAULT_CHAIN.genesisTime)).toBe(2);
  });

  it("fails a round later than the rule's, with everything else recomputed (the late-round attack)", async () => {
    // Funded 10 minutes earlier, the inputs still naming round 1000: the round is still in
    // the future (chosen_before_published passes) but it is not the first one due, so the
    // operator had ~200 rounds to choose from.
    const proof = v2("quicknet-beacon");
    proof.draw_inputs.funded_at = "2023-08-23T15:48:52.000000Z";
    const r = await verifyDrawProof(recomputed(proof));
    expect(failed(r)).toEqual(["beacon.first_round"]);
    expect(status(r, "beacon.chosen_before_published")).toBe("pass");
    expect(status(r, "beacon.signature")).toBe("pass");
    expect(r.steps.find((s) => s.id === "beacon.first_round")?.detail).toMatch(/rule gives round 800\b/);
  });

  it("fails a round published before funding on both timing checks", async () => {
    const proof = v2("quicknet-beacon");
    proof.draw_inputs.funded_at = "2023-08-23T16:50:00.000000Z";
    const r = await verifyDrawProof(recomputed(proof));
    expect(failed(r)).toEqual(["beacon.chosen_before_published", "beacon.first_round"]);
  });
});

describe("BLS signatures of both schemes", () => {
  it("the messages are the spec's: SHA-256(u64(round)) and SHA-256(previous || u64(round))", () => {
    expect(toHex(beaconMessage(SCHEME_UNCHAINED_G1, 1000))).toBe(toHex(sha256(fromHex("00000000000003e8"))));
    expect(toHex(beaconMessage(SCHEME_CHAINED, 1, fromHex(DEFAULT_CHAIN.genesisSeed)))).toBe(toHex(sha256(fromHex(`${DEFAULT_CHAIN.genesisSeed}0000000000000001`))));
  });

  it("a chained round's previous_signature is the genesis seed for round 1 (else both checks fail)", async () => {
    const proof = v2("default-chain-beacon");
    proof.beacon.previous_signature = "00".repeat(96);
    const r = await verifyDrawProof(recomputed(proof));
    expect(failed(r)).toEqual(["beacon.previous_signature", "beacon.signature"]);
    expect(r.steps.find((s) => s.id === "beacon.previous_signature")?.detail).toContain(DEFAULT_CHAIN.genesisSeed);
  });

  it("a later chained round follows a 96-byte signature", () => {
    expect(previousSignatureMismatch(DEFAULT_CHAIN, 2, new Uint8Array(96))).toBeNull();
    expect(previousSignatureMismatch(DEFAULT_CHAIN, 2, new Uint8Array(48))).toMatch(/96 bytes, got 48/);
    expect(previousSignatureMismatch(QUICKNET, 2, new Uint8Array(0))).toBeNull();
  });

  it("a scheme that is not the chain's fails beacon.chain and the signature", async () => {
    const proof = v2("quicknet-beacon");
    proof.draw_inputs.beacon.scheme = SCHEME_CHAINED;
    proof.beacon.signature = proof.beacon.signature.repeat(2);
    proof.beacon.previous_signature = "ab".repeat(96);
    const r = await verifyDrawProof(recomputed(proof));
    expect(failed(r)).toEqual(["beacon.chain", "beacon.signature"]);
  });

  it("the identity, a point off the curve and a wrong key are not signatures", async () => {
    const round = 1000;
    const real = fromHex(v2("quicknet-beacon").beacon.signature);
    const args = { scheme: SCHEME_UNCHAINED_G1, round, publicKey: QUICKNET.publicKey };
    const identity = new Uint8Array(48);
    identity[0] = 0xc0; // compressed point at infinity
    expect(await verifyBeaconSignature({ ...args, signature: identity })).toBe(false);
    expect(await verifyBeaconSignature({ ...args, signature: new Uint8Array(48).fill(0xff) })).toBe(false);
    expect(await verifyBeaconSignature({ ...args, round: 1001, signature: real })).toBe(false);
  });

  it("a key given by the auditor must be the pinned one", async () => {
    const proof = v2("quicknet-beacon");
    const r = await verifyDrawProof(proof, { beaconPublicKey: DEFAULT_CHAIN.publicKey });
    expect(failed(r)).toEqual(["beacon.signature"]);
  });
});

describe("chains pinned from their info", () => {
  const info = (chain: typeof QUICKNET) => ({
    public_key: chain.publicKey,
    period: chain.period,
    genesis_time: chain.genesisTime,
    hash: chain.chainHash,
    groupHash: chain.genesisSeed,
    schemeID: chain.scheme,
    metadata: { beaconID: chain.beaconId },
  });

  it("reproduces the League of Entropy chains from their /info", () => {
    expect(chainFromInfo(info(QUICKNET))).toEqual(QUICKNET);
    expect(chainFromInfo(info(DEFAULT_CHAIN))).toEqual(DEFAULT_CHAIN);
  });

  it("refuses info whose hash is not the hash of the rest, and malformed info", () => {
    expect(() => chainFromInfo({ ...info(QUICKNET), period: 4 })).toThrow(/is not the hash of this info/);
    expect(() => chainFromInfo({ ...info(QUICKNET), public_key: DEFAULT_CHAIN.publicKey })).toThrow(/public key is 96 bytes/);
    expect(() => chainFromInfo({ ...info(QUICKNET), schemeID: "bls-unchained-on-g1" })).toThrow(/unsupported drand scheme/);
    const { groupHash: _dropped, ...missing } = info(QUICKNET);
    expect(() => chainFromInfo(missing)).toThrow(ChainInfoError);
    expect(() => chainFromInfo([])).toThrow(/JSON object/);
  });

  it("a chain the auditor pins by its info is checked like a League of Entropy one", async () => {
    // A chain of our own: a key, its info, its hash, and round 7 signed with it.
    const secret = sha256(new TextEncoder().encode("an auditor-pinned test chain"));
    const bls = bls12_381.shortSignatures;
    const publicKey = toHex(bls.getPublicKey(secret).toBytes());
    const chain = { ...QUICKNET, name: "testnet", beaconId: "testnet", publicKey, genesisTime: 1_700_000_000, period: 3 };
    chain.chainHash = computedChainHash(chain);
    const pinned = chainFromInfo(info(chain));
    const proof = v2("quicknet-beacon");
    proof.draw_inputs.beacon = { chain_hash: chain.chainHash, scheme: SCHEME_UNCHAINED_G1, round: 7 };
    proof.draw_inputs.funded_at = isoMicros(chain.genesisTime + 6 * 3 - 31);
    const signature = bls.sign(bls.hash(beaconMessage(SCHEME_UNCHAINED_G1, 7), "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"), secret);
    proof.beacon = { round: 7, randomness: "", signature: toHex(signature.toBytes()) };
    recomputed(proof);
    const unpinned = await verifyDrawProof(proof);
    expect(failed(unpinned)).toEqual(["beacon.chain", "beacon.chosen_before_published", "beacon.signature"]);
    const r = await verifyDrawProof(proof, { chains: { [pinned.chainHash]: pinned } });
    expect(failed(r)).toEqual([]);
    expect(status(r, "beacon.signature")).toBe("pass");
    expect(status(r, "beacon.first_round")).toBe("pass");
  });
});

describe("draw.beacon_declared: what the lot declared at opening (the ledger's draw_commitment memo)", () => {
  const quicknet = { chainHash: QUICKNET.chainHash, scheme: QUICKNET.scheme, round: 1000 };
  const memo = (beacon?: unknown) => ({
    kind: "draw_commitment",
    refs: { lot_id: "21bade02-6a6a-4768-b2ed-66ffdcc99396" },
    metadata: { server_seed_commitment: "ab".repeat(32), ...(beacon === undefined ? {} : { beacon }) },
  });

  it("a beacon-less draw of a lot declared beacon-less passes", () => {
    expect(beaconDeclaredStep(memo(null), 3, null).status).toBe("pass");
  });
  it("a beacon-less draw of a lot that declared a chain, or declared nothing (legacy), fails", () => {
    expect(beaconDeclaredStep(memo({ chain_hash: QUICKNET.chainHash, scheme: QUICKNET.scheme }), 3, null).status).toBe("fail");
    const legacy = beaconDeclaredStep(memo(), 3, null);
    expect(legacy.status).toBe("fail");
    expect(legacy.detail).toMatch(/declares nothing about a beacon/);
  });
  it("a draw with a beacon must use the declared chain", () => {
    expect(beaconDeclaredStep(memo({ chain_hash: QUICKNET.chainHash, scheme: QUICKNET.scheme }), 3, quicknet).status).toBe("pass");
    expect(beaconDeclaredStep(memo({ chain_hash: DEFAULT_CHAIN.chainHash, scheme: DEFAULT_CHAIN.scheme }), 3, quicknet).status).toBe("fail");
    expect(beaconDeclaredStep(memo({ chain_hash: QUICKNET.chainHash, scheme: SCHEME_CHAINED }), 3, quicknet).status).toBe("fail");
    expect(beaconDeclaredStep(memo(null), 3, quicknet).status).toBe("fail");
  });
  it("without the memo nothing is proven, and the step says so plainly (never a pass)", () => {
    const step = beaconDeclaredStep(null, null, null);
    expect(step.status).toBe("not_checked");
    expect(step.detail).toMatch(/^Not proven here: /);
    expect(step.detail).toMatch(/alot-verify ledger/);
  });
});
