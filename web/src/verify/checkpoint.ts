// Signed checkpoints (docs/spec/checkpoint.md): a C2SP tlog-checkpoint body (origin,
// size, base64 root, extension lines) in a C2SP signed note, signed with Ed25519.
// Parse errors (CheckpointFormatError) name the malformed part; a note that parses but
// does not verify under the key is a CheckpointVerificationError.
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, equalBytes, fromBase64, toBase64, toHex, utf8 } from "./bytes";

const ED25519 = 0x01;
const SIGNATURE_PREFIX = "\u2014 "; // em dash and a space

export class CheckpointFormatError extends Error {
  override name = "CheckpointFormatError";
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(`${where}: ${message}`);
  }
}

export class CheckpointVerificationError extends Error {
  override name = "CheckpointVerificationError";
}

export type Checkpoint = { origin: string; size: number; rootHash: Uint8Array; extensions: string[] };
export type NoteSignature = { keyName: string; keyId: Uint8Array; signature: Uint8Array };
export type SignedCheckpoint = { checkpoint: Checkpoint; signatures: NoteSignature[]; body: string; text: string };
export type VerifierKey = { name: string; keyId: Uint8Array; publicKey: Uint8Array; text: string };

function checkName(name: string, where: string) {
  if (!name || /\s/u.test(name) || name.includes("+")) throw new CheckpointFormatError("must be non-empty, without spaces or '+'", where);
}

/** key id = the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key). */
export function keyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256(concat(utf8(name), utf8("\n"), Uint8Array.of(ED25519), publicKey)).slice(0, 4);
}

function b64(text: string, where: string): Uint8Array {
  try {
    return fromBase64(text);
  } catch {
    throw new CheckpointFormatError("is not valid base64", where);
  }
}

/** `<name>+<key id, 8 hex>+<base64(0x01 || 32-byte public key)>` */
export function parseVerifierKey(text: string): VerifierKey {
  const where = "verifier key";
  const trimmed = text.trim();
  // Base64 may hold "+": split off the name and the id, the key data is the rest.
  const first = trimmed.indexOf("+");
  const second = first < 0 ? -1 : trimmed.indexOf("+", first + 1);
  if (first < 0 || second < 0) throw new CheckpointFormatError("expected <name>+<id hex>+<base64 key>", where);
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  checkName(name, where);
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw new CheckpointFormatError("key id must be 8 hex digits", where);
  const raw = b64(trimmed.slice(second + 1), where);
  if (raw.length !== 33 || raw[0] !== ED25519) throw new CheckpointFormatError("key must be 0x01 (Ed25519) followed by 32 bytes", where);
  const publicKey = raw.slice(1);
  const id = keyId(name, publicKey);
  if (toHex(id) !== idHex.toLowerCase()) throw new CheckpointFormatError("key id does not match the name and key", where);
  return { name, keyId: id, publicKey, text: trimmed };
}

/** The signed text of a checkpoint: origin, size, base64 root, extensions, each + "\n". */
export function checkpointBody(origin: string, size: number, rootHash: Uint8Array, extensions: string[] = []): string {
  return [origin, String(size), toBase64(rootHash), ...extensions].map((line) => `${line}\n`).join("");
}

function parseBody(body: string): Checkpoint {
  const lines = body.split("\n").slice(0, -1); // the body ends with "\n"
  if (lines.length < 3) throw new CheckpointFormatError("needs origin, size and root hash lines", "checkpoint body");
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!origin) throw new CheckpointFormatError("is empty", "checkpoint origin (line 1)");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new CheckpointFormatError(`${JSON.stringify(sizeText)} is not a decimal without leading zeros`, "checkpoint size (line 2)");
  }
  const rootHash = b64(rootText, "checkpoint root hash (line 3)");
  if (rootHash.length !== 32) throw new CheckpointFormatError("must decode to 32 bytes", "checkpoint root hash (line 3)");
  extensions.forEach((extension, i) => {
    if (!extension) throw new CheckpointFormatError("is empty", `checkpoint extension (line ${i + 4})`);
  });
  return { origin, size: Number(sizeText), rootHash, extensions };
}

/** Parse a signed checkpoint note; CheckpointFormatError names the malformed part. */
export function parseSignedCheckpoint(text: string): SignedCheckpoint {
  if (!text.endsWith("\n")) throw new CheckpointFormatError("must end with a newline", "signed note");
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new CheckpointFormatError("contains control characters", "signed note");
  const split = text.indexOf("\n\n");
  if (split < 0) throw new CheckpointFormatError("no blank line between body and signatures", "signed note");
  const body = text.slice(0, split + 1);
  const signatures: NoteSignature[] = [];
  text
    .slice(split + 2)
    .split("\n")
    .slice(0, -1)
    .forEach((line, i) => {
      const where = `signature line ${i + 1}`;
      if (!line.startsWith(SIGNATURE_PREFIX)) throw new CheckpointFormatError("must start with an em dash and a space", where);
      const rest = line.slice(SIGNATURE_PREFIX.length);
      const space = rest.indexOf(" ");
      const keyName = space < 0 ? "" : rest.slice(0, space);
      const encoded = space < 0 ? "" : rest.slice(space + 1);
      if (!keyName || !encoded || encoded.includes(" ")) throw new CheckpointFormatError("expected '\u2014 <key name> <base64 signature>'", where);
      const raw = b64(encoded, where);
      if (raw.length < 5) throw new CheckpointFormatError("signature too short", where);
      signatures.push({ keyName, keyId: raw.slice(0, 4), signature: raw.slice(4) });
    });
  if (!signatures.length) throw new CheckpointFormatError("has no signature lines", "signed note");
  return { checkpoint: parseBody(body), signatures, body, text };
}

/**
 * The checkpoint, if a signature by `key` verifies over the body (final newline
 * included); otherwise a CheckpointVerificationError. Other keys' signatures are ignored.
 */
export function verifyCheckpoint(text: string, key: VerifierKey | string): Checkpoint {
  const verifier = typeof key === "string" ? parseVerifierKey(key) : key;
  const signed = parseSignedCheckpoint(text);
  if (signed.checkpoint.origin !== verifier.name) {
    throw new CheckpointVerificationError(
      `the checkpoint's origin ${JSON.stringify(signed.checkpoint.origin)} is not the key's name ${JSON.stringify(verifier.name)}`,
    );
  }
  const candidates = signed.signatures.filter((s) => s.keyName === verifier.name && equalBytes(s.keyId, verifier.keyId));
  if (!candidates.length) throw new CheckpointVerificationError(`no signature by key ${verifier.name}+${toHex(verifier.keyId)}`);
  const message = utf8(signed.body);
  for (const candidate of candidates) {
    // Strict RFC 8032 verification (not ZIP 215), as the reference's OpenSSL does.
    let valid = false;
    try {
      valid = ed25519.verify(candidate.signature, message, verifier.publicKey, { zip215: false });
    } catch {
      valid = false;
    }
    if (valid) return signed.checkpoint;
  }
  throw new CheckpointVerificationError(`the signature by key ${verifier.name}+${toHex(verifier.keyId)} does not verify`);
}
