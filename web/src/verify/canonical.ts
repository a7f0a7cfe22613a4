// Canonical JSON (docs/spec/canonical-json.md): RFC 8785 restricted to objects, arrays,
// strings, safe integers, booleans and null. Also a strict JSON reader, because
// JSON.parse cannot tell `1e2` or `1.0` from 100 or 1, nor see a duplicate member: the
// spec refuses all of them, so text that will be hashed is read with `parseStrictJson`.
import { utf8 } from "./bytes";

export const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER; // 2^53 - 1

export type Json = null | boolean | number | string | Json[] | { [name: string]: Json };

/** Input that is not allowed in hashed data; `path` names where (`$.a[2].b`). */
export class CanonicalJsonError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "CanonicalJsonError";
  }
}

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return true;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

function encodeString(text: string, path: string): string {
  if (hasLoneSurrogate(text)) throw new CanonicalJsonError("string is not valid Unicode (lone surrogate)", path);
  // ECMAScript's JSON.stringify writes exactly the spec's escapes: \" \\ \b \f \n \r \t,
  // other controls as lowercase \u00xx, everything else (U+007F, U+2028, non-ASCII) as is.
  return JSON.stringify(text);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function encode(value: unknown, path: string, out: string[]): void {
  if (value === null) out.push("null");
  else if (value === true) out.push("true");
  else if (value === false) out.push("false");
  else if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new CanonicalJsonError("floats are not allowed in hashed data", path);
    if (!Number.isSafeInteger(value)) throw new CanonicalJsonError("integer outside +/-(2**53 - 1)", path);
    out.push(Object.is(value, -0) ? "0" : String(value));
  } else if (typeof value === "string") out.push(encodeString(value, path));
  else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((item, i) => {
      if (i) out.push(",");
      encode(item, `${path}[${i}]`, out);
    });
    out.push("]");
  } else if (isPlainObject(value)) {
    const record = value as Record<string, unknown>;
    // Default string comparison in JavaScript is by UTF-16 code units: what RFC 8785 wants.
    const names = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    out.push("{");
    names.forEach((name, i) => {
      if (i) out.push(",");
      out.push(encodeString(name, path), ":");
      encode(record[name], `${path}.${name}`, out);
    });
    out.push("}");
  } else {
    throw new CanonicalJsonError(`a ${typeof value} cannot be canonicalized`, path);
  }
}

/** The canonical JSON text of `value`; throws CanonicalJsonError on disallowed data. */
export function canonicalJsonText(value: unknown): string {
  const out: string[] = [];
  encode(value, "$", out);
  return out.join("");
}

/** The canonical JSON bytes (UTF-8) of `value`: what ALOT! hashes. */
export function canonicalJson(value: unknown): Uint8Array {
  return utf8(canonicalJsonText(value));
}

// --- strict reader -----------------------------------------------------------------

/** Malformed JSON text, or JSON the spec does not allow (floats, big integers, ...). */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at character ${offset}`);
    this.name = "JsonSyntaxError";
  }
}

/**
 * Parse JSON text (RFC 8259) keeping to the canonical subset: numbers must be integers
 * written without fraction or exponent and within +/-(2^53 - 1); member names unique;
 * no lone surrogates. Everything else is a JsonSyntaxError.
 */
export function parseStrictJson(text: string): Json {
  let at = 0;
  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, at);
  };
  const ws = () => {
    while (at < text.length && " \t\n\r".includes(text[at]!)) at++;
  };
  const value = (): Json => {
    ws();
    const c = text[at];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return number();
    for (const [word, result] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return result;
      }
    }
    return fail("unexpected character");
  };
  const object = (): Json => {
    at++; // {
    // Members are defined as own properties, so even "__proto__" is kept as data.
    const out: Record<string, Json> = {};
    ws();
    if (text[at] === "}") {
      at++;
      return out;
    }
    for (;;) {
      ws();
      if (text[at] !== '"') fail("expected a member name");
      const name = string();
      if (Object.prototype.hasOwnProperty.call(out, name)) fail(`duplicate member ${JSON.stringify(name)}`);
      ws();
      if (text[at] !== ":") fail("expected ':'");
      at++;
      Object.defineProperty(out, name, { value: value(), enumerable: true, writable: true, configurable: true });
      ws();
      if (text[at] === ",") {
        at++;
        continue;
      }
      if (text[at] === "}") {
        at++;
        break;
      }
      fail("expected ',' or '}'");
    }
    return out;
  };
  const array = (): Json => {
    at++; // [
    const out: Json[] = [];
    ws();
    if (text[at] === "]") {
      at++;
      return out;
    }
    for (;;) {
      out.push(value());
      ws();
      if (text[at] === ",") {
        at++;
        continue;
      }
      if (text[at] === "]") {
        at++;
        return out;
      }
      fail("expected ',' or ']'");
    }
  };
  const string = (): string => {
    const start = at;
    at++; // "
    for (;;) {
      const c = text[at];
      if (c === undefined) return fail("unterminated string");
      if (c === '"') break;
      if (c === "\\") {
        const e = text[at + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) fail("bad \\u escape");
          at += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) at += 2;
        else fail("bad escape");
        continue;
      }
      if (c < " ") fail("control character in string");
      at++;
    }
    at++;
    const result = JSON.parse(text.slice(start, at)) as string;
    if (hasLoneSurrogate(result)) {
      at = start;
      fail("string is not valid Unicode (lone surrogate)");
    }
    return result;
  };
  const number = (): number => {
    const match = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(at));
    if (!match || match[0] === "-") return fail("bad number");
    if (match[1] !== undefined || match[2] !== undefined) fail("floats are not allowed (integers only)");
    const n = Number(match[0]);
    if (!Number.isSafeInteger(n)) fail("integer outside +/-(2**53 - 1)");
    at += match[0].length;
    return n;
  };
  const result = value();
  ws();
  if (at !== text.length) fail("unexpected text after the JSON value");
  return result;
}
