// drand beacons (docs/spec/draw.md, "drand beacons" and "Pinned chains"), ported from
// the reference verifier (packages/alot-verify, alot_verify.beacon) so both agree on
// every vector: the League of Entropy chains pinned by their info, each chain hash
// recomputed from that info, the message each round signs, and the BLS12-381 signature
// check. The pairing code (@noble/curves/bls12-381) is large, so it is imported only
// when a proof actually carries a beacon reading.
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, fromHex, toHex, u32, u64, utf8 } from "./bytes";

export const SCHEME_UNCHAINED_G1 = "bls-unchained-g1-rfc9380";
export const SCHEME_CHAINED = "pedersen-bls-chained";

/** (signature bytes, public key bytes) per scheme. */
export const SCHEME_SIZES: Record<string, { signature: number; publicKey: number }> = {
  [SCHEME_UNCHAINED_G1]: { signature: 48, publicKey: 96 },
  [SCHEME_CHAINED]: { signature: 96, publicKey: 48 },
};

/** The RFC 9380 hash-to-curve suites drand uses: G1 for the unchained scheme, G2 for the chained one. */
export const DST_G1 = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";
export const DST_G2 = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";

// drand's beacon id of its first chain, left out of the chain hash.
const DEFAULT_BEACON_ID = "default";

/**
 * Public parameters of a drand chain, as served at `/<chain hash>/info`. `genesisSeed`
 * is the info's `groupHash` (the chained scheme's "previous signature" of round 1) and
 * `beaconId` its `metadata.beaconID`.
 */
export type DrandChain = {
  name: string;
  chainHash: string;
  scheme: string;
  publicKey: string;
  genesisTime: number;
  period: number;
  genesisSeed: string;
  beaconId: string;
};

/**
 * The chain hash as drand derives it from the chain's info: SHA-256(u32(period) ||
 * u64(genesis_time) || public key || genesis seed || beacon id), the beacon id left out
 * for drand's `default` one. Reproduces both League of Entropy mainnet hashes.
 */
export function computedChainHash(chain: DrandChain): string {
  const parts = [u32(chain.period), u64(chain.genesisTime), fromHex(chain.publicKey), fromHex(chain.genesisSeed)];
  if (chain.beaconId !== "" && chain.beaconId !== DEFAULT_BEACON_ID) parts.push(utf8(chain.beaconId));
  return toHex(sha256(concat(...parts)));
}

export const QUICKNET: DrandChain = {
  name: "quicknet",
  chainHash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
  scheme: SCHEME_UNCHAINED_G1,
  publicKey:
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
  genesisTime: 1692803367,
  period: 3,
  genesisSeed: "f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e",
  beaconId: "quicknet",
};

export const DEFAULT_CHAIN: DrandChain = {
  name: "default",
  chainHash: "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
  scheme: SCHEME_CHAINED,
  publicKey: "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
  genesisTime: 1595431050,
  period: 30,
  genesisSeed: "176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
  beaconId: "default",
};

/** The League of Entropy mainnet chains, by chain hash: pinned, checked by default. */
export const KNOWN_CHAINS: Record<string, DrandChain> = Object.fromEntries([QUICKNET, DEFAULT_CHAIN].map((chain) => [chain.chainHash, chain]));

/** Malformed drand chain info (the auditor's input, not a failed draw). */
export class ChainInfoError extends Error {
  override name = "ChainInfoError";
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function infoHex(value: unknown, size: number | null, where: string): string {
  if (typeof value !== "string") throw new ChainInfoError("must be a hex string", where);
  // As Python's bytes.fromhex: either case, whole bytes; kept lowercase.
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(value)) throw new ChainInfoError("not hex", where);
  if (size !== null && value.length !== 2 * size) throw new ChainInfoError(`must be ${size} bytes`, where);
  return value.toLowerCase();
}

function infoInt(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new ChainInfoError("must be a non-negative integer", where);
  return value;
}

/**
 * A chain pinned from drand's `/<chain hash>/info` JSON. The info's `hash` must be the
 * hash of the rest of the info (`computedChainHash`): a pinned hash then stands for one
 * public key, period and genesis.
 */
export function chainFromInfo(info: unknown, where = "chain info"): DrandChain {
  if (!isObject(info)) throw new ChainInfoError("drand chain info is a JSON object", where);
  for (const name of ["hash", "public_key", "genesis_time", "period", "groupHash"]) {
    if (!(name in info)) throw new ChainInfoError(`missing member '${name}'`, where);
  }
  const metadata = isObject(info.metadata) ? info.metadata : {};
  const beaconId = metadata.beaconID ? String(metadata.beaconID) : DEFAULT_BEACON_ID;
  const chain: DrandChain = {
    name: beaconId,
    chainHash: infoHex(info.hash, 32, `${where}.hash`),
    scheme: info.schemeID ? String(info.schemeID) : SCHEME_CHAINED,
    publicKey: infoHex(info.public_key, null, `${where}.public_key`),
    genesisTime: infoInt(info.genesis_time, `${where}.genesis_time`),
    period: infoInt(info.period, `${where}.period`),
    genesisSeed: infoHex(info.groupHash, null, `${where}.groupHash`),
    beaconId,
  };
  const sizes = SCHEME_SIZES[chain.scheme];
  if (!sizes) throw new ChainInfoError(`unsupported drand scheme ${JSON.stringify(chain.scheme)} (supported: ${Object.keys(SCHEME_SIZES).sort().join(", ")})`, "beacon.scheme");
  if (chain.publicKey.length !== 2 * sizes.publicKey) throw new ChainInfoError(`a ${chain.scheme} public key is ${sizes.publicKey} bytes`, `${where}.public_key`);
  if (chain.period < 1) throw new ChainInfoError("must be at least 1 second", `${where}.period`);
  const computed = computedChainHash(chain);
  if (computed !== chain.chainHash) throw new ChainInfoError(`hash ${chain.chainHash} is not the hash of this info (${computed})`, `${where}.hash`);
  return chain;
}

/** The chains a verifier accepts: the League of Entropy's and those the auditor pins. */
export function pinnedChains(extra: Record<string, DrandChain> = {}): Record<string, DrandChain> {
  return { ...KNOWN_CHAINS, ...extra };
}

/** Unix time (seconds) at which `round` is due to be published: round 1 at genesis. */
export function roundTime(chain: DrandChain, round: number): number {
  return chain.genesisTime + (round - 1) * chain.period;
}

/** The first round due strictly after `unixTime`: one that cannot exist yet. */
export function firstRoundAfter(chain: DrandChain, unixTime: number): number {
  if (unixTime < chain.genesisTime) return 1;
  return Math.floor((unixTime - chain.genesisTime) / chain.period) + 2;
}

/** The spec's margin: the beacon round is the first due strictly more than this many seconds after funding. */
export const BEACON_MARGIN_SECONDS = 30;

/** The round the spec's rule gives (C4): the first due strictly after floor(funded_at) + 30 s. */
export function firstRoundForFunding(chain: DrandChain, fundedAtMicros: number): number {
  return firstRoundAfter(chain, Math.floor(fundedAtMicros / 1_000_000) + BEACON_MARGIN_SECONDS);
}

/** The 32-byte message drand signs for `round`. */
export function beaconMessage(scheme: string, round: number, previousSignature: Uint8Array = new Uint8Array(0)): Uint8Array {
  const prefix = scheme === SCHEME_CHAINED ? previousSignature : new Uint8Array(0);
  return sha256(concat(prefix, u64(round)));
}

/**
 * Why a chained round's `previous_signature` cannot be the chain's, or null. Round 1
 * follows the chain's genesis seed; every later round follows the previous round's
 * signature, which has the scheme's signature size. (Its content is bound by the round's
 * own signature, which signs it.)
 */
export function previousSignatureMismatch(chain: DrandChain, round: number, previousSignature: Uint8Array): string | null {
  if (chain.scheme !== SCHEME_CHAINED) return null;
  if (round === 1) return toHex(previousSignature) === chain.genesisSeed ? null : `round 1 follows the genesis seed ${chain.genesisSeed}`;
  const size = SCHEME_SIZES[chain.scheme]!.signature;
  if (previousSignature.length !== size) return `a ${chain.scheme} signature is ${size} bytes, got ${previousSignature.length}`;
  return null;
}

/**
 * Whether `signature` is the chain's BLS signature of `round` under `publicKey` (hex).
 * Points must decode, lie in the prime-order subgroup and not be the identity. A key or
 * signature of the wrong size for the scheme (a scheme that is not the chain's) is not
 * a valid signature either.
 */
export async function verifyBeaconSignature(args: {
  scheme: string;
  round: number;
  signature: Uint8Array;
  publicKey: string;
  previousSignature?: Uint8Array;
}): Promise<boolean> {
  const sizes = SCHEME_SIZES[args.scheme];
  if (!sizes) throw new Error(`unsupported drand scheme ${args.scheme}`);
  const publicKey = fromHex(args.publicKey);
  if (publicKey.length !== sizes.publicKey || args.signature.length !== sizes.signature) return false;
  const { bls12_381 } = await import("@noble/curves/bls12-381.js");
  const message = beaconMessage(args.scheme, args.round, args.previousSignature);
  try {
    if (args.scheme === SCHEME_UNCHAINED_G1) {
      // Signature on G1, key on G2: e(signature, g2) = e(H(m), pk), H to G1.
      const bls = bls12_381.shortSignatures;
      const sig = bls.Signature.fromBytes(args.signature);
      const key = bls12_381.G2.Point.fromBytes(publicKey);
      if (sig.is0() || key.is0()) return false;
      sig.assertValidity();
      key.assertValidity();
      return bls.verify(sig, bls.hash(message, DST_G1), key);
    }
    // Signature on G2, key on G1: e(g1, signature) = e(pk, H(m)), H to G2.
    const bls = bls12_381.longSignatures;
    const sig = bls.Signature.fromBytes(args.signature);
    const key = bls12_381.G1.Point.fromBytes(publicKey);
    if (sig.is0() || key.is0()) return false;
    sig.assertValidity();
    key.assertValidity();
    return bls.verify(sig, bls.hash(message, DST_G2), key);
  } catch {
    return false; // not a point, not in the subgroup: not a valid signature
  }
}
