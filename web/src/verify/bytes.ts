// Byte helpers for the verifier: hex, base64, UTF-8, big-endian integers and the
// length-prefixed framing of alot-v2. Pure functions, no DOM: they run in Node (Vitest)
// and in the browser alike.

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

const HEX = /^(?:[0-9a-f]{2})*$/;

/** Lowercase hex to bytes; throws on anything else (uppercase, odd length, other chars). */
export function fromHex(text: string): Uint8Array {
  if (!HEX.test(text)) throw new Error("not lowercase hex of whole bytes");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function isHex(text: unknown, bytes?: number): text is string {
  return typeof text === "string" && HEX.test(text) && (bytes === undefined || text.length === 2 * bytes);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** `n` as an unsigned 4-byte big-endian integer. */
export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** `n` as an unsigned 8-byte big-endian integer (n up to 2^53 - 1). */
export function u64(n: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), false);
  return out;
}

/** enc(x) = u32(len(x)) || x: a length-prefixed byte string (docs/spec/draw.md). */
export function enc(data: Uint8Array): Uint8Array {
  return concat(u32(data.length), data);
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding, strictly (no whitespace, no URL alphabet). */
export function fromBase64(text: string): Uint8Array {
  if (!B64.test(text)) throw new Error("not valid base64");
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Bytes as an unsigned big-endian integer. */
export function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}
