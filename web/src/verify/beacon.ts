// drand beacons (docs/spec/draw.md, "drand beacons"): the League of Entropy chains the
// verifier knows, the message each round signs, and the BLS12-381 signature check. The
// pairing code (@noble/curves/bls12-381) is large, so it is imported only when a proof
// actually carries a beacon reading.
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, fromHex, u64 } from "./bytes";

export const SCHEME_UNCHAINED_G1 = "bls-unchained-g1-rfc9380";
export const SCHEME_CHAINED = "pedersen-bls-chained";

/** (signature bytes, public key bytes) per scheme. */
export const SCHEME_SIZES: Record<string, { signature: number; publicKey: number }> = {
  [SCHEME_UNCHAINED_G1]: { signature: 48, publicKey: 96 },
  [SCHEME_CHAINED]: { signature: 96, publicKey: 48 },
};

export type DrandChain = {
  name: string;
  chainHash: string;
  scheme: string;
  publicKey: string;
  genesisTime: number;
  period: number;
};

/** The chains of the spec's table, with the public keys from each chain's /info. */
export const KNOWN_CHAINS: Record<string, DrandChain> = Object.fromEntries(
  [
    {
      name: "quicknet",
      chainHash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
      scheme: SCHEME_UNCHAINED_G1,
      publicKey:
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
      genesisTime: 1692803367,
      period: 3,
    },
    {
      name: "default",
      chainHash: "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
      scheme: SCHEME_CHAINED,
      publicKey: "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
      genesisTime: 1595431050,
      period: 30,
    },
  ].map((chain) => [chain.chainHash, chain]),
);

/** Unix time (seconds) at which round `round` is due: round 1 at genesis. */
export function roundTime(chain: DrandChain, round: number): number {
  return chain.genesisTime + (round - 1) * chain.period;
}

/** The 32-byte message drand signs for `round`. */
export function beaconMessage(scheme: string, round: number, previousSignature: Uint8Array = new Uint8Array(0)): Uint8Array {
  const prefix = scheme === SCHEME_CHAINED ? previousSignature : new Uint8Array(0);
  return sha256(concat(prefix, u64(round)));
}

/**
 * Whether `signature` is the chain's BLS signature of `round` under `publicKey` (hex).
 * Points must decode, lie in the prime-order subgroup and not be the identity.
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
      // Signature on G1, key on G2; hash to G1 with BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_.
      const bls = bls12_381.shortSignatures;
      const sig = bls.Signature.fromBytes(args.signature);
      const key = bls12_381.G2.Point.fromBytes(publicKey);
      if (sig.is0() || key.is0()) return false;
      sig.assertValidity();
      key.assertValidity();
      return bls.verify(sig, bls.hash(message, "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"), key);
    }
    // Signature on G2, key on G1; hash to G2 with BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_.
    const bls = bls12_381.longSignatures;
    const sig = bls.Signature.fromBytes(args.signature);
    const key = bls12_381.G1.Point.fromBytes(publicKey);
    if (sig.is0() || key.is0()) return false;
    sig.assertValidity();
    key.assertValidity();
    return bls.verify(sig, bls.hash(message, "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"), key);
  } catch {
    return false; // not a point, not in the subgroup: not a valid signature
  }
}
