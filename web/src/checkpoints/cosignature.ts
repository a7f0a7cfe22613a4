// Witness cosignatures (C2SP tlog-cosignature v1, Ed25519, docs/spec/checkpoint.md): a
// witness that checked a checkpoint against everything it saw before adds the line
//   — <name> base64(key id || uint64_be(timestamp) || Ed25519 signature)
// over "cosignature/v1\ntime <t>\n" + the checkpoint body. Its key is
// <name>+<key id hex>+<base64(0x04 || 32-byte public key)>, key id = the first 4 bytes of
// SHA-256(name || "\n" || 0x04 || public key). Pure code, no DOM.
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, equalBytes, fromBase64, toHex, utf8 } from "../verify/bytes";
import { parseSignedCheckpoint } from "../verify/checkpoint";

const COSIGNATURE_V1 = 0x04;

export type WitnessKey = { name: string; keyId: Uint8Array; publicKey: Uint8Array; text: string };

export class WitnessKeyError extends Error {
  override name = "WitnessKeyError";
}

export function witnessKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256(concat(utf8(name), utf8("\n"), Uint8Array.of(COSIGNATURE_V1), publicKey)).slice(0, 4);
}

/** `<name>+<id hex>+<base64(0x04 || key)>`; WitnessKeyError when malformed. */
export function parseWitnessKey(text: string): WitnessKey {
  const trimmed = text.trim();
  const first = trimmed.indexOf("+");
  const second = first < 0 ? -1 : trimmed.indexOf("+", first + 1);
  if (first <= 0 || second < 0) throw new WitnessKeyError("expected <name>+<id hex>+<base64 key>");
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  if (/\s/u.test(name)) throw new WitnessKeyError("the witness name has spaces");
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new WitnessKeyError("the key id must be 8 lowercase hex digits");
  let raw: Uint8Array;
  try {
    raw = fromBase64(trimmed.slice(second + 1));
  } catch {
    throw new WitnessKeyError("the key is not valid base64");
  }
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_V1) throw new WitnessKeyError("the key must be 0x04 (cosignature/v1) and 32 bytes");
  const publicKey = raw.slice(1);
  const keyId = witnessKeyId(name, publicKey);
  if (toHex(keyId) !== idHex) throw new WitnessKeyError("the key id does not match the name and key");
  return { name, keyId, publicKey, text: trimmed };
}

export function cosignedMessage(body: string, timestamp: bigint): Uint8Array {
  return utf8(`cosignature/v1\ntime ${timestamp}\n${body}`);
}

/**
 * The time (POSIX seconds) at which the witness `key` cosigned the checkpoint `note`, or
 * null when no line of the note by that key verifies. Other lines are ignored.
 */
export function verifyCosignature(note: string, key: WitnessKey): number | null {
  const signed = parseSignedCheckpoint(note);
  for (const line of signed.signatures) {
    if (line.keyName !== key.name || !equalBytes(line.keyId, key.keyId) || line.signature.length !== 72) continue;
    const timestamp = new DataView(line.signature.buffer, line.signature.byteOffset, 8).getBigUint64(0, false);
    if (timestamp >= 2n ** 63n) continue;
    let valid = false;
    try {
      valid = ed25519.verify(line.signature.slice(8), cosignedMessage(signed.body, timestamp), key.publicKey, { zip215: false });
    } catch {
      valid = false;
    }
    if (valid) return Number(timestamp);
  }
  return null;
}
