// RFC 9162 Merkle trees over SHA-256 (docs/spec/merkle.md): leaf and node hashing, the
// tree hash, and the verification algorithms of §2.1.3.2 (inclusion) and §2.1.4.2
// (consistency). Verifiers throw MerkleProofError naming what did not match.
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, equalBytes, toHex } from "./bytes";

export const EMPTY_ROOT = sha256(new Uint8Array(0));

export class MerkleProofError extends Error {
  override name = "MerkleProofError";
}

export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(concat(Uint8Array.of(0), data));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/** MTH over already-hashed leaves: a tree of n > 1 splits at the largest power of two < n. */
export function merkleRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  // A streaming fold over "peaks" (perfect subtrees), largest first: O(log n) memory.
  const peaks: { level: number; hash: Uint8Array }[] = [];
  for (const leaf of leaves) {
    let level = 0;
    let current = leaf;
    while (peaks.length && peaks[peaks.length - 1]!.level === level) {
      current = nodeHash(peaks.pop()!.hash, current);
      level++;
    }
    peaks.push({ level, hash: current });
  }
  let root = peaks[peaks.length - 1]!.hash;
  for (let i = peaks.length - 2; i >= 0; i--) root = nodeHash(peaks[i]!.hash, root);
  return root;
}

function checkHash(value: Uint8Array, what: string) {
  if (value.length !== 32) throw new MerkleProofError(`${what} must be 32 bytes, got ${value.length}`);
}

/** The root that `proof` gives for `leaf` at `index` in a tree of `size` (RFC 9162 §2.1.3.2). */
export function rootFromInclusionProof(leaf: Uint8Array, index: number, size: number, proof: Uint8Array[]): Uint8Array {
  checkHash(leaf, "leaf hash");
  proof.forEach((h, i) => checkHash(h, `proof[${i}]`));
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) {
    throw new MerkleProofError(`leaf index ${index} is not inside a tree of size ${size}`);
  }
  // Bit operations on numbers are 32-bit in JavaScript: use BigInt for any tree size.
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let current = leaf;
  for (const sibling of proof) {
    if (sn === 0n) throw new MerkleProofError("the inclusion proof has more hashes than the path needs");
    if (fn & 1n || fn === sn) {
      current = nodeHash(sibling, current);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      current = nodeHash(current, sibling);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new MerkleProofError("the inclusion proof has fewer hashes than the path needs");
  return current;
}

/** Throws unless `leaf` is at `index` in the tree of `size` whose root is `root`. */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: Uint8Array[], root: Uint8Array): void {
  checkHash(root, "root");
  const computed = rootFromInclusionProof(leaf, index, size, proof);
  if (!equalBytes(computed, root)) {
    throw new MerkleProofError(`the inclusion proof for index ${index} gives root ${toHex(computed)}, expected ${toHex(root)}`);
  }
}

/** Throws unless the tree (newSize, newRoot) extends (oldSize, oldRoot) (RFC 9162 §2.1.4.2). */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  proof: Uint8Array[],
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): void {
  checkHash(oldRoot, "old root");
  checkHash(newRoot, "new root");
  proof.forEach((h, i) => checkHash(h, `proof[${i}]`));
  if (!(oldSize >= 0 && oldSize <= newSize)) throw new MerkleProofError(`old size ${oldSize} is larger than new size ${newSize}`);
  if (oldSize === newSize) {
    if (proof.length) throw new MerkleProofError("equal sizes need an empty consistency proof");
    if (!equalBytes(oldRoot, newRoot)) throw new MerkleProofError("equal sizes but different roots");
    return;
  }
  if (oldSize === 0) {
    if (proof.length) throw new MerkleProofError("a proof from the empty tree must be empty");
    if (!equalBytes(oldRoot, EMPTY_ROOT)) throw new MerkleProofError("the old root of the empty tree is not SHA-256('')");
    return;
  }
  if (!proof.length) throw new MerkleProofError("the consistency proof is empty");
  const old = BigInt(oldSize);
  const path = (old & (old - 1n)) === 0n ? [oldRoot, ...proof] : [...proof];
  let fn = old - 1n;
  let sn = BigInt(newSize) - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let first = path[0]!;
  let second = path[0]!;
  for (const value of path.slice(1)) {
    if (sn === 0n) throw new MerkleProofError("the consistency proof has more hashes than needed");
    if (fn & 1n || fn === sn) {
      first = nodeHash(value, first);
      second = nodeHash(value, second);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      second = nodeHash(second, value);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new MerkleProofError("the consistency proof has fewer hashes than needed");
  if (!equalBytes(first, oldRoot)) throw new MerkleProofError(`the consistency proof gives old root ${toHex(first)}, expected ${toHex(oldRoot)}`);
  if (!equalBytes(second, newRoot)) throw new MerkleProofError(`the consistency proof gives new root ${toHex(second)}, expected ${toHex(newRoot)}`);
}
