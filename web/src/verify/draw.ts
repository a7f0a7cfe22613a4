// Draw proofs (docs/spec/draw.md): recompute an alot-v1 or alot-v2 draw from the proof's
// inputs and compare every derived value with the published one, step by step.
//
// As the reference verifier (packages/alot-verify, alot_verify.draw) does, each derived
// value is recomputed from the *inputs*, never from another stored derived value, so a
// tampered derived value fails alone and a tampered input fails everything built on it.
// All checks run; a proof that cannot be read at all is a DrawProofFormatError naming the
// member (`entries[3].tickets_end: missing field`), not a failed draw.
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  BEACON_MARGIN_SECONDS,
  DST_G1,
  DST_G2,
  SCHEME_CHAINED,
  SCHEME_SIZES,
  firstRoundForFunding,
  pinnedChains,
  previousSignatureMismatch,
  roundTime,
  verifyBeaconSignature,
  type DrandChain,
} from "./beacon";
import { concat, enc, fromHex, toBigInt, toHex, u64, utf8 } from "./bytes";
import { canonicalJson, canonicalJsonText, MAX_SAFE_INTEGER } from "./canonical";
import { beaconDeclaredStep, type FrozenBeacon } from "./ledger";
import { leafHash, merkleRoot } from "./merkle";
import { compareStep, type Step } from "./steps";

export const ALGORITHM_V1 = "alot-v1";
export const ALGORITHM_V2 = "alot-v2";

export const TAG_COMMIT = utf8("ALOT-DRAW-V2/commit");
export const TAG_INPUTS = utf8("ALOT-DRAW-V2/inputs");
export const TAG_SEED = utf8("ALOT-DRAW-V2/seed");
export const TAG_SELECT = utf8("ALOT-DRAW-V2/select");
export const TAG_HOLDER = utf8("ALOT-DRAW-V2/holder");

/** One entry of the ticket map; `kind` is "free" for a free entry (no purchase
 * necessary) and absent for a paid one, so a paid entry's JSON never changed.
 * An entry names its holder either by `holder`, the player's per-lot pseudonym (64 hex),
 * or, on lots drawn before pseudonyms, by `user_id`: exactly one of the two, and one
 * ticket map never mixes them. A pseudonymous entry also carries what its purchase put in
 * the lot's escrow (`amount_cents`, 0 for a free entry) and the ledger seq of that
 * purchase (`purchase_seq`), tying its tickets to money; a named entry carries neither, so
 * named maps and their roots are unchanged. */
export type Entry = { tickets_start: number; tickets_end: number; kind?: "free" } & (
  | { user_id: string; holder?: undefined; amount_cents?: undefined; purchase_seq?: undefined }
  | { holder: string; user_id?: undefined; amount_cents: number; purchase_seq: number }
);

/** How the entry names its holder: the pseudonym, or the user id of a named entry. */
export const namedAs = (entry: Entry): string => entry.holder ?? entry.user_id!;

/** The ticket map names holders by per-lot pseudonym (else by user id). */
export const isPseudonymous = (list: Entry[]): boolean => list.length > 0 && list[0]!.holder !== undefined;

export const MIXED_MAP_MESSAGE = "the ticket map mixes names and pseudonyms: every entry has a holder, or every entry has a user_id";

export const ENTRY_KIND_FREE = "free";

export class DrawProofFormatError extends Error {
  override name = "DrawProofFormatError";
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export type DrawVerification = {
  algorithm: typeof ALGORITHM_V1 | typeof ALGORITHM_V2;
  lotId: string;
  steps: Step[];
  /** The ticket this verifier computed from the inputs. */
  winningTicket: number;
  /** The ticket map names holders by per-lot pseudonym (`holder`), not by user id. */
  pseudonymous: boolean;
  /** Named map: the user id of the one entry holding the computed ticket (null when none or several do, and on a pseudonymous map). */
  winnerUserId: string | null;
  /** Pseudonymous map: the holder of the one entry holding the computed ticket (null when none or several do, and on a named map). */
  winnerHolder: string | null;
  published: { winningTicket: number; winnerUserId: string | null; winnerHolder: string | null; serverSeedCommitment: string; serverSeed: string };
  /** No step failed (steps that could not be checked are listed, not passed). */
  ok: boolean;
  /** alot-v2: the drand round frozen in the draw inputs (null: none); undefined for alot-v1. */
  frozenBeacon?: FrozenBeacon;
  /** alot-v2: the draw inputs' funded_at (RFC 3339, as frozen); undefined for alot-v1. */
  fundedAt?: string;
};

export type DrawOptions = {
  /**
   * drand chains the auditor pins besides the League of Entropy's, by chain hash (build
   * each with `chainFromInfo`, which checks its hash). A beacon of any other chain fails.
   */
  chains?: Record<string, DrandChain>;
  /** When given, the pinned chain's public key must also be this one (hex). */
  beaconPublicKey?: string;
};

// --- the formulas --------------------------------------------------------------------

/** alot-v1: hex(SHA-256(ASCII(server_seed))), the 64 characters hashed, not the bytes. */
export const commitmentV1 = (serverSeed: string): string => toHex(sha256(utf8(serverSeed)));

export const clientSeedV1 = (lotId: string, createdAt: string, totalTickets: number, escrowBalance: string): string =>
  toHex(sha256(utf8(`${lotId}:${createdAt}:${totalTickets}:${escrowBalance}`)));

export const combinedSeedV1 = (serverSeed: string, clientSeed: string, nonce = 0): string =>
  toHex(sha256(utf8(`${serverSeed}${clientSeed}${nonce}`)));

/** 1 + int(combined_seed[0:8], 16) mod total_tickets */
export const winningTicketV1 = (combinedSeed: string, totalTickets: number): number =>
  1 + (parseInt(combinedSeed.slice(0, 8), 16) % totalTickets);

/** alot-v2: hex(SHA-256(enc(TAG_COMMIT) || enc(server_seed bytes))) */
export const commitmentPreimageV2 = (serverSeed: string): Uint8Array => concat(enc(TAG_COMMIT), enc(fromHex(serverSeed)));
export const commitmentV2 = (serverSeed: string): string => toHex(sha256(commitmentPreimageV2(serverSeed)));

export const entryLeaf = (entry: Entry): Uint8Array =>
  canonicalJson({
    ...(entry.holder !== undefined ? { holder: entry.holder } : { user_id: entry.user_id }),
    tickets_start: entry.tickets_start,
    tickets_end: entry.tickets_end,
    ...(entry.kind === undefined ? {} : { kind: entry.kind }),
    ...(entry.holder !== undefined ? { amount_cents: entry.amount_cents, purchase_seq: entry.purchase_seq } : {}),
  });

/** The RFC 9162 root over the canonical JSON of each entry, in ticket order. */
export const ticketMapRoot = (entries: Entry[]): string => toHex(merkleRoot(entries.map((e) => leafHash(entryLeaf(e)))));

export const drawInputsHashPreimage = (drawInputs: unknown): Uint8Array => concat(enc(TAG_INPUTS), enc(canonicalJson(drawInputs)));
export const drawInputsHash = (drawInputs: unknown): string => toHex(sha256(drawInputsHashPreimage(drawInputs)));

export const seedMessageV2 = (inputsHash: string, randomness: Uint8Array): Uint8Array =>
  concat(enc(TAG_SEED), enc(fromHex(inputsHash)), enc(randomness));

/** seed = HMAC(server_seed bytes, enc(TAG_SEED) || enc(inputs hash bytes) || enc(R)) */
export const seedV2 = (serverSeed: string, inputsHash: string, randomness: Uint8Array): Uint8Array =>
  hmac(sha256, fromHex(serverSeed), seedMessageV2(inputsHash, randomness));

/**
 * A player's pseudonym in one lot: hex(HMAC-SHA256(holder secret, enc(TAG_HOLDER) ||
 * enc(lot id as its lowercase UUID string))). Only the platform holds the secret; the
 * browser needs this only to check the spec's vectors.
 */
export const holderPseudonym = (holderSecret: Uint8Array, lotId: string): string => toHex(hmac(sha256, holderSecret, concat(enc(TAG_HOLDER), enc(utf8(lotId)))));

/** bit_length(n - 1): 0 when n = 1. */
export const selectionBits = (totalTickets: number): number => (totalTickets <= 1 ? 0 : (totalTickets - 1).toString(2).length);

export type SelectionRound = { counter: number; block: string; candidate: number; accepted: boolean };

/** HMAC counter mode with rejection sampling: every ticket has probability 1/N. */
export function selectV2(seed: Uint8Array, totalTickets: number): { ticket: number; counter: number; rounds: SelectionRound[] } {
  if (!(Number.isSafeInteger(totalTickets) && totalTickets >= 1)) throw new RangeError("total_tickets must be at least 1");
  const bits = selectionBits(totalTickets);
  const rounds: SelectionRound[] = [];
  for (let counter = 0; ; counter++) {
    const block = hmac(sha256, seed, concat(enc(TAG_SELECT), u64(counter)));
    const candidate = Number(toBigInt(block) >> BigInt(256 - bits));
    const accepted = candidate < totalTickets;
    rounds.push({ counter, block: toHex(block), candidate, accepted });
    if (accepted) return { ticket: candidate + 1, counter, rounds };
  }
}

// --- reading a proof -------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;
const DOLLARS = /^(0|[1-9][0-9]*)\.[0-9]{2}$/;
const HEX = /^(?:[0-9a-f]{2})*$/;

type Obj = Record<string, unknown>;

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function exactMembers(value: unknown, names: readonly string[], where: string): Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DrawProofFormatError("must be a JSON object", where || "$");
  }
  const prefix = where ? `${where}.` : "";
  for (const name of names) if (!Object.prototype.hasOwnProperty.call(value, name)) throw new DrawProofFormatError("missing field", `${prefix}${name}`);
  for (const name of Object.keys(value)) if (!names.includes(name)) throw new DrawProofFormatError("unknown field", `${prefix}${name}`);
  return value as Obj;
}

function str(value: unknown, where: string): string {
  if (typeof value !== "string") throw new DrawProofFormatError(`must be a string, got ${jsonType(value)}`, where);
  return value;
}

function integer(value: unknown, where: string, minimum: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new DrawProofFormatError(`must be an integer, got ${jsonType(value)}`, where);
  if (value < minimum || value > MAX_SAFE_INTEGER) throw new DrawProofFormatError(`must be between ${minimum} and 2**53 - 1, got ${value}`, where);
  return value;
}

const ticketNumber = (value: unknown, where: string) => integer(value, where, 1);

function hex(value: unknown, where: string, size?: number): string {
  const text = str(value, where);
  if (size !== undefined && text.length !== 2 * size) throw new DrawProofFormatError(`must be ${2 * size} lowercase hex characters, got ${text.length}`, where);
  if (!HEX.test(text)) throw new DrawProofFormatError("must be lowercase hex (0-9a-f, whole bytes)", where);
  return text;
}

function uuid(value: unknown, where: string): string {
  const text = str(value, where);
  if (!UUID.test(text)) throw new DrawProofFormatError(`must be a lowercase hyphenated UUID, got ${JSON.stringify(text)}`, where);
  return text;
}

/** Microseconds since the Unix epoch of a spec timestamp, or null if it is not one. */
export function timestampMicros(text: string): number | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s, us] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // A real calendar date and time: nothing rolled over (no Feb 30, hour 24, second 60).
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== s) {
    return null;
  }
  return ms * 1000 + us;
}

function timestamp(value: unknown, where: string): string {
  const text = str(value, where);
  if (!TIMESTAMP.test(text)) throw new DrawProofFormatError(`must be YYYY-MM-DDTHH:MM:SS.ffffffZ, got ${JSON.stringify(text)}`, where);
  if (timestampMicros(text) === null) throw new DrawProofFormatError(`not a valid date and time: ${JSON.stringify(text)}`, where);
  return text;
}

function dollars(value: unknown, where: string): string {
  const text = str(value, where);
  if (!DOLLARS.test(text)) throw new DrawProofFormatError(`must be dollars with exactly two decimals (e.g. 5123.50), got ${JSON.stringify(text)}`, where);
  return text;
}

const has = (item: unknown, name: string): boolean => typeof item === "object" && item !== null && Object.prototype.hasOwnProperty.call(item, name);

function entries(value: unknown, where: string): Entry[] {
  if (!Array.isArray(value) || value.length === 0) throw new DrawProofFormatError("must be a non-empty array of entries", where);
  // The first entry decides whether the map names holders or pseudonyms; any entry that
  // does otherwise makes the map unreadable (a map with both would let one player appear
  // twice, once by name and once by pseudonym).
  const pseudonymous = has(value[0], "holder");
  const seqs = new Map<number, number>();
  return value.map((item, i) => {
    const here = `${where}[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new DrawProofFormatError("must be a JSON object", here);
    const byHolder = has(item, "holder");
    if (byHolder && has(item, "user_id")) throw new DrawProofFormatError("an entry names its holder by exactly one of user_id and holder", `${here}.holder`);
    // As the reference verifier reads it: an entry without a holder is a named entry.
    const named = byHolder ? "holder" : "user_id";
    if (byHolder !== pseudonymous) throw new DrawProofFormatError(MIXED_MAP_MESSAGE, `${here}.${named}`);
    // A named entry never carries amount_cents or purchase_seq: there they are unknown members.
    const fields = [named, "tickets_start", "tickets_end", ...(pseudonymous ? ["amount_cents", "purchase_seq"] : []), ...(has(item, "kind") ? ["kind"] : [])];
    const e = exactMembers(item, fields, here);
    // Members are read in the reference verifier's order (kind, amount_cents, purchase_seq,
    // then the holder's name and tickets, holder last), so a proof wrong in two places is
    // refused at the same member by both.
    const kind = has(item, "kind") ? entryKind(e.kind, `${here}.kind`) : undefined;
    const money = pseudonymous
      ? { amount_cents: entryAmount(e.amount_cents, `${here}.amount_cents`, kind), purchase_seq: purchaseSeq(e.purchase_seq, `${here}.purchase_seq`, seqs, where, i) }
      : null;
    const userId = pseudonymous ? undefined : uuid(e.user_id, `${here}.user_id`);
    const position = {
      tickets_start: ticketNumber(e.tickets_start, `${here}.tickets_start`),
      tickets_end: ticketNumber(e.tickets_end, `${here}.tickets_end`),
    };
    const entry: Entry = money === null ? { user_id: userId!, ...position } : { holder: hex(e.holder, `${here}.holder`, 32), ...position, ...money };
    if (kind !== undefined) entry.kind = kind;
    return entry;
  });
}

// A free entry put nothing in escrow; a paid entry put at least a cent (else its tickets
// would be free tickets not called free, which is what the amounts are there to expose).
function entryAmount(value: unknown, where: string, kind: "free" | undefined): number {
  const amount = integer(value, where, 0);
  if (kind === ENTRY_KIND_FREE && amount !== 0) throw new DrawProofFormatError(`a free entry's amount is 0, got ${amount}`, where);
  if (kind === undefined && amount === 0) throw new DrawProofFormatError("a paid entry's amount is at least 1 cent, got 0", where);
  return amount;
}

// One purchase is one entry: two entries naming one ledger transaction would count its money twice.
function purchaseSeq(value: unknown, where: string, seen: Map<number, number>, list: string, index: number): number {
  const seq = integer(value, where, 1);
  const first = seen.get(seq);
  if (first !== undefined) throw new DrawProofFormatError(`purchase_seq ${seq} is already ${list}[${first}]'s purchase`, where);
  seen.set(seq, index);
  return seq;
}

/**
 * The published winner: `winner_holder` on a pseudonymous map, `winner_user_id` on a
 * named one (a proof over a pseudonymous map names no user at all).
 */
function publishedWinner(p: Obj, pseudonymous: boolean): string {
  return pseudonymous ? hex(p.winner_holder, "winner_holder", 32) : uuid(p.winner_user_id, "winner_user_id");
}

const publishedWinners = (pseudonymous: boolean, winner: string) =>
  pseudonymous ? { winnerUserId: null, winnerHolder: winner } : { winnerUserId: winner, winnerHolder: null };

/**
 * The proof's top-level members: its winner member follows the map it draws from (decided
 * by the first entry, as the reference verifier decides it). A proof naming its winner the
 * other way is refused at that member, not as a mere missing one.
 */
function proofFields(proof: Obj, base: readonly string[]): string[] {
  const pseudonymous = Array.isArray(proof.entries) && has(proof.entries[0], "holder");
  const [expected, other] = pseudonymous ? ["winner_holder", "winner_user_id"] : ["winner_user_id", "winner_holder"];
  if (has(proof, other) && !has(proof, expected)) {
    throw new DrawProofFormatError(`a proof over a ${pseudonymous ? "pseudonymous" : "named"} ticket map names its winner by ${expected}`, other);
  }
  return [...base, expected];
}

// A paid entry has no kind at all ("paid" or null would give one ticket map two encodings).
function entryKind(value: unknown, where: string): "free" {
  const text = str(value, where);
  if (text !== ENTRY_KIND_FREE) throw new DrawProofFormatError(`must be "free" (absent: paid), got ${JSON.stringify(text)}`, where);
  return ENTRY_KIND_FREE;
}

// --- shared checks ---------------------------------------------------------------------

/** Every way the entries fail to tile 1..total exactly (empty: they tile). */
export function tilingProblems(list: Entry[], total: number): string[] {
  const problems: string[] = [];
  let expectedStart = 1;
  let held = 0;
  list.forEach((entry, i) => {
    if (entry.tickets_start !== expectedStart) {
      const kind = entry.tickets_start > expectedStart ? "a gap" : "an overlap or entries out of order";
      problems.push(`entries[${i}] starts at ticket ${entry.tickets_start}, expected ${expectedStart} (${kind})`);
    }
    if (entry.tickets_end < entry.tickets_start) problems.push(`entries[${i}] ends at ${entry.tickets_end}, before it starts at ${entry.tickets_start}`);
    if (entry.kind === ENTRY_KIND_FREE && entry.tickets_end !== entry.tickets_start) {
      problems.push(`entries[${i}] is a free entry holding tickets ${entry.tickets_start}-${entry.tickets_end}: a free entry holds exactly one ticket`);
    }
    held += Math.max(0, entry.tickets_end - entry.tickets_start + 1);
    expectedStart = entry.tickets_end + 1;
  });
  const last = list[list.length - 1]!;
  if (last.tickets_end !== total) problems.push(`the last entry ends at ticket ${last.tickets_end}, not at the last ticket ${total}`);
  if (held !== total) problems.push(`the entries hold ${held} tickets, not ${total}`);
  return problems;
}

/** Who holds `ticket`: pseudonyms on a pseudonymous map, user ids on a named one. */
export const holders = (list: Entry[], ticket: number): string[] =>
  list.filter((e) => e.tickets_start <= ticket && ticket <= e.tickets_end).map(namedAs);

function tilingStep(list: Entry[], total: number): Step {
  const problems = tilingProblems(list, total);
  return {
    id: "entries",
    title: `The entries cover tickets 1 to ${total} exactly, with no gap or overlap`,
    inputs: [
      { label: "entries", value: `${list.length} ${list.length === 1 ? "entry" : "entries"}` },
      { label: "total tickets", value: String(total) },
    ],
    expected: `tickets 1..${total}, each held once`,
    computed: problems.length ? problems.join("; ") : `tickets 1..${total}, each held once`,
    status: problems.length ? "fail" : "pass",
    ...(problems.length ? { detail: problems.join("; ") } : {}),
  };
}

/** alot-v1's escrow_balance ("5123.50", exactly two decimals) in cents, without floating point. */
export function dollarsToCents(text: string): bigint {
  const [whole, cents] = text.split(".") as [string, string];
  return BigInt(whole) * 100n + BigInt(cents);
}

/**
 * Pseudonymous maps only: the entries' amounts add up to the escrow frozen at the draw, so
 * no ticket is unpaid for (a sock-puppet entry would have to be paid into escrow). Summed
 * as bigint: many amounts within 2**53 may add up past it.
 */
function amountsStep(list: Entry[], escrowCents: bigint, escrowLabel: { label: string; value: string }): Step {
  const sum = list.reduce((total, e) => total + BigInt(e.amount_cents ?? 0), 0n);
  const free = list.filter((e) => e.kind === ENTRY_KIND_FREE).length;
  return compareStep(
    {
      id: "entries.amounts",
      title: "The entries' amounts add up to the escrow frozen at the draw",
      formula: "Σ entries[*].amount_cents = escrow (cents)",
      inputs: [
        { label: "entries", value: `${list.length} (${free} free, amount 0)` },
        escrowLabel,
      ],
    },
    escrowCents.toString(),
    sum.toString(),
    `the entries' amounts add up to ${sum} cents, but the escrow is ${escrowCents} cents: some tickets are not paid for as the map says`,
  );
}

function winnerStep(list: Entry[], ticket: number, published: string): { step: Step; winner: string | null } {
  const found = holders(list, ticket);
  const winner = found.length === 1 ? found[0]! : null;
  const pseudonymous = isPseudonymous(list);
  const base = {
    id: pseudonymous ? "winner_holder" : "winner_user_id",
    title: `The winner is the player holding ticket ${ticket}`,
    inputs: [
      { label: "winning ticket (computed)", value: String(ticket) },
      { label: "entries", value: `${list.length}` },
      ...(pseudonymous ? [{ label: "holders named by", value: "per-lot pseudonym (winner_holder)" }] : []),
    ],
  };
  if (winner === null) {
    const detail = found.length ? `${found.length} entries hold ticket ${ticket}` : `no entry holds ticket ${ticket}`;
    return { step: { ...base, expected: published, computed: detail, status: "fail", detail }, winner };
  }
  return { step: compareStep(base, published, winner, `the proof names ${published}, but ticket ${ticket} is held by ${winner}`), winner };
}

// --- alot-v1 ---------------------------------------------------------------------------

const V1_FIELDS = [
  "algorithm",
  "lot_id",
  "created_at",
  "total_tickets",
  "escrow_balance",
  "server_seed_commitment",
  "server_seed",
  "client_seed",
  "nonce",
  "combined_seed",
  "winning_ticket",
  "entries",
] as const;

function verifyV1(proof: Obj): DrawVerification {
  const p = exactMembers(proof, proofFields(proof, V1_FIELDS), "");
  const lotId = uuid(p.lot_id, "lot_id");
  const createdAt = timestamp(p.created_at, "created_at");
  const total = ticketNumber(p.total_tickets, "total_tickets");
  const escrow = dollars(p.escrow_balance, "escrow_balance");
  const commitment = hex(p.server_seed_commitment, "server_seed_commitment", 32);
  const serverSeed = hex(p.server_seed, "server_seed", 32);
  const clientSeed = hex(p.client_seed, "client_seed", 32);
  const nonce = integer(p.nonce, "nonce", 0);
  const combinedSeed = hex(p.combined_seed, "combined_seed", 32);
  const winningTicket = ticketNumber(p.winning_ticket, "winning_ticket");
  const list = entries(p.entries, "entries");
  const pseudonymous = isPseudonymous(list);
  const publishedWinnerId = publishedWinner(p, pseudonymous);

  const client = clientSeedV1(lotId, createdAt, total, escrow);
  const combined = combinedSeedV1(serverSeed, client, 0);
  const ticket = winningTicketV1(combined, total);
  const { step: winner, winner: computedWinner } = winnerStep(list, ticket, publishedWinnerId);
  const steps: Step[] = [
    compareStep(
      {
        id: "server_seed_commitment",
        title: "The revealed server seed matches the commitment published when the lot opened",
        formula: "hex(SHA-256(ASCII(server_seed)))",
        inputs: [{ label: "server seed (revealed)", value: serverSeed }],
      },
      commitment,
      commitmentV1(serverSeed),
      "the revealed server seed does not hash to the published commitment",
    ),
    compareStep({ id: "nonce", title: "The nonce is 0 (an alot-v1 draw is never redrawn)", inputs: [] }, nonce, 0),
    compareStep(
      {
        id: "client_seed",
        title: "The client seed follows from the lot's public data",
        formula: "hex(SHA-256(ASCII(lot_id:created_at:total_tickets:escrow_balance)))",
        inputs: [
          { label: "lot id", value: lotId },
          { label: "created at", value: createdAt },
          { label: "total tickets", value: String(total) },
          { label: "escrow balance (dollars)", value: escrow },
        ],
      },
      clientSeed,
      client,
    ),
    compareStep(
      {
        id: "combined_seed",
        title: "The combined seed mixes the server seed, the client seed and the nonce",
        formula: "hex(SHA-256(ASCII(server_seed client_seed nonce)))",
        inputs: [
          { label: "server seed", value: serverSeed },
          { label: "client seed (computed)", value: client },
          { label: "nonce", value: "0" },
        ],
      },
      combinedSeed,
      combined,
    ),
    compareStep(
      {
        id: "winning_ticket",
        title: "The winning ticket follows from the combined seed",
        formula: "1 + int(combined_seed[0:8], 16) mod total_tickets",
        inputs: [
          { label: "combined seed (computed), first 8 hex digits", value: `${combined.slice(0, 8)} = ${parseInt(combined.slice(0, 8), 16)}` },
          { label: "total tickets", value: String(total) },
        ],
      },
      winningTicket,
      ticket,
    ),
    tilingStep(list, total),
    ...(pseudonymous ? [amountsStep(list, dollarsToCents(escrow), { label: "escrow balance (dollars)", value: escrow })] : []),
    winner,
  ];
  return {
    algorithm: ALGORITHM_V1,
    lotId,
    steps,
    winningTicket: ticket,
    pseudonymous,
    winnerUserId: pseudonymous ? null : computedWinner,
    winnerHolder: pseudonymous ? computedWinner : null,
    published: { winningTicket, ...publishedWinners(pseudonymous, publishedWinnerId), serverSeedCommitment: commitment, serverSeed },
    ok: steps.every((s) => s.status !== "fail"),
  };
}

// --- alot-v2 ---------------------------------------------------------------------------

const V2_FIELDS = ["algorithm", "draw_inputs", "draw_inputs_hash", "server_seed", "beacon", "seed", "selection_counter", "winning_ticket", "entries"] as const;
const DRAW_INPUT_FIELDS = ["algorithm", "lot_id", "funded_at", "total_tickets", "escrow_cents", "ticket_map_root", "server_seed_commitment", "beacon"] as const;

type BeaconChoice = { chainHash: string; scheme: string; round: number };
type BeaconReading = { round: number; randomness: string; signature: Uint8Array; previousSignature: Uint8Array };

function parseDrawInputs(value: unknown, where = "draw_inputs") {
  const v = exactMembers(value, DRAW_INPUT_FIELDS, where);
  if (v.algorithm !== ALGORITHM_V2) throw new DrawProofFormatError(`must be "${ALGORITHM_V2}"`, `${where}.algorithm`);
  let beacon: BeaconChoice | null = null;
  if (v.beacon !== null) {
    const b = exactMembers(v.beacon, ["chain_hash", "scheme", "round"], `${where}.beacon`);
    const scheme = str(b.scheme, `${where}.beacon.scheme`);
    if (!(scheme in SCHEME_SIZES)) {
      throw new DrawProofFormatError(`unsupported drand scheme ${JSON.stringify(scheme)} (supported: ${Object.keys(SCHEME_SIZES).sort().join(", ")})`, `${where}.beacon.scheme`);
    }
    beacon = { chainHash: hex(b.chain_hash, `${where}.beacon.chain_hash`, 32), scheme, round: integer(b.round, `${where}.beacon.round`, 1) };
  }
  return {
    lotId: uuid(v.lot_id, `${where}.lot_id`),
    fundedAt: timestamp(v.funded_at, `${where}.funded_at`),
    totalTickets: ticketNumber(v.total_tickets, `${where}.total_tickets`),
    escrowCents: integer(v.escrow_cents, `${where}.escrow_cents`, 0),
    ticketMapRoot: hex(v.ticket_map_root, `${where}.ticket_map_root`, 32),
    serverSeedCommitment: hex(v.server_seed_commitment, `${where}.server_seed_commitment`, 32),
    beacon,
  };
}

function parseBeaconReading(value: unknown, scheme: string, where = "beacon"): BeaconReading {
  const chained = scheme === SCHEME_CHAINED;
  const r = exactMembers(value, chained ? ["round", "randomness", "signature", "previous_signature"] : ["round", "randomness", "signature"], where);
  const signature = hex(r.signature, `${where}.signature`, SCHEME_SIZES[scheme]!.signature);
  let previous: Uint8Array = new Uint8Array(0);
  if (chained) {
    const previousHex = hex(r.previous_signature, `${where}.previous_signature`);
    if (!previousHex) throw new DrawProofFormatError("must not be empty", `${where}.previous_signature`);
    previous = fromHex(previousHex);
  }
  return {
    round: integer(r.round, `${where}.round`, 1),
    randomness: hex(r.randomness, `${where}.randomness`, 32),
    signature: fromHex(signature),
    previousSignature: previous,
  };
}

const isoSeconds = (unix: number) => new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, ".000000Z");

/**
 * The beacon checks of docs/spec/draw.md ("v2 checks"), in the reference verifier's
 * order and with its names: every check runs, and a chain that is not pinned fails each
 * check that needs the chain (whoever runs an unknown chain holds its key).
 */
async function beaconSteps(choice: BeaconChoice, fundedAt: string, reading: BeaconReading, chains: Record<string, DrandChain>, publicKeyOption: string | undefined): Promise<Step[]> {
  const randomness = toHex(sha256(reading.signature));
  const steps: Step[] = [
    compareStep({ id: "beacon.round", title: `The reading is of drand round ${choice.round}, the round frozen at funding`, inputs: [] }, choice.round, reading.round),
    compareStep(
      {
        id: "beacon.randomness",
        title: "The beacon's randomness is the SHA-256 of its signature",
        formula: "SHA-256(signature)",
        inputs: [{ label: "signature", value: toHex(reading.signature) }],
      },
      reading.randomness,
      randomness,
    ),
  ];
  const chain = chains[choice.chainHash];
  if (!chain) {
    const pinned = Object.values(chains)
      .map((c) => c.name)
      .sort()
      .join(", ");
    const unpinned = `drand chain ${choice.chainHash} is not pinned: whoever runs it holds its key, so its rounds prove nothing`;
    steps.push(
      {
        id: "beacon.chain",
        title: "The draw inputs name a pinned drand chain",
        inputs: [{ label: "chain hash", value: choice.chainHash }],
        expected: `a pinned chain (${pinned})`,
        computed: choice.chainHash,
        status: "fail",
        detail: unpinned,
      },
      {
        id: "beacon.chosen_before_published",
        title: `Round ${choice.round} was not yet published when the inputs were frozen`,
        inputs: [{ label: "chain hash", value: choice.chainHash }],
        expected: "a round of a pinned chain",
        computed: String(choice.round),
        status: "fail",
        detail: "the chain is not pinned, so nothing says when its rounds are published",
      },
      {
        id: "beacon.signature",
        title: `The beacon signature is the chain's signature of round ${choice.round}`,
        inputs: [{ label: "signature", value: toHex(reading.signature) }],
        expected: "a signature by a pinned chain's key",
        computed: "the chain is not pinned",
        status: "fail",
        detail: "the chain is not pinned, so no key it could be checked against is trusted",
      },
    );
    return steps;
  }
  steps.push(
    compareStep(
      {
        id: "beacon.chain",
        title: `The draw inputs name drand ${chain.name}, pinned with its scheme and key`,
        inputs: [
          { label: "chain hash", value: chain.chainHash },
          { label: "public key (pinned)", value: chain.publicKey },
          { label: "genesis time, period", value: `${chain.genesisTime}, ${chain.period} s` },
        ],
      },
      chain.scheme,
      choice.scheme,
      `drand ${chain.name} uses ${chain.scheme}; the draw inputs say ${choice.scheme}`,
    ),
  );
  const fundedMicros = timestampMicros(fundedAt)!;
  const due = roundTime(chain, choice.round);
  const early = due * 1_000_000 <= fundedMicros;
  steps.push({
    id: "beacon.chosen_before_published",
    title: `Round ${choice.round} of drand ${chain.name} was not yet published when the inputs were frozen`,
    formula: "genesis + (round − 1) × period > funded_at",
    inputs: [
      { label: "funded at", value: fundedAt },
      { label: `round ${choice.round} due at`, value: isoSeconds(due) },
    ],
    expected: `a ${chain.name} round due after funded_at ${fundedAt}`,
    computed: `due at ${isoSeconds(due)}`,
    status: early ? "fail" : "pass",
    ...(early ? { detail: `round ${choice.round} was due at ${isoSeconds(due)}, not after funding at ${fundedAt}` } : {}),
  });
  const first = firstRoundForFunding(chain, fundedMicros);
  steps.push(
    compareStep(
      {
        id: "beacon.first_round",
        title: `Round ${choice.round} is the first round of drand ${chain.name} due more than ${BEACON_MARGIN_SECONDS} s after funding`,
        formula: `the first r with genesis + (r − 1) × period > floor(funded_at) + ${BEACON_MARGIN_SECONDS} s`,
        inputs: [
          { label: "funded at", value: fundedAt },
          { label: `first round due after ${isoSeconds(Math.floor(fundedMicros / 1_000_000) + BEACON_MARGIN_SECONDS)}`, value: `${first} (due at ${isoSeconds(roundTime(chain, first))})` },
        ],
      },
      first,
      choice.round,
      `the rule gives round ${first}, the draw inputs froze round ${choice.round}: a later round than the rule's leaves the operator a choice`,
    ),
  );
  if (chain.scheme === SCHEME_CHAINED) {
    const reason = previousSignatureMismatch(chain, choice.round, reading.previousSignature);
    steps.push({
      id: "beacon.previous_signature",
      title: `The previous signature is what round ${choice.round} of drand ${chain.name} follows`,
      formula: choice.round === 1 ? "round 1 follows the chain's genesis seed (groupHash)" : "a 96-byte G2 signature (the previous round's)",
      inputs: [{ label: "previous signature", value: toHex(reading.previousSignature) }],
      status: reason === null ? "pass" : "fail",
      ...(reason === null ? {} : { detail: reason }),
    });
  }
  const problems: string[] = [];
  if (publicKeyOption !== undefined && publicKeyOption.toLowerCase() !== chain.publicKey) problems.push(`the key given (${publicKeyOption}) is not the pinned key`);
  const valid = await verifyBeaconSignature({
    scheme: choice.scheme,
    round: choice.round,
    signature: reading.signature,
    publicKey: chain.publicKey,
    previousSignature: reading.previousSignature,
  });
  if (!valid) problems.push(`the BLS signature does not verify under drand ${chain.name}'s pinned public key`);
  steps.push({
    id: "beacon.signature",
    title: `The beacon signature is drand ${chain.name}'s signature of round ${choice.round}`,
    formula:
      choice.scheme === SCHEME_CHAINED
        ? `BLS on BLS12-381, signature on G2 over SHA-256(previous_signature || u64(round)), ${DST_G2}`
        : `BLS on BLS12-381, signature on G1 over SHA-256(u64(round)), ${DST_G1}`,
    inputs: [
      { label: "scheme", value: choice.scheme },
      { label: "public key", value: `${chain.publicKey} (drand ${chain.name}, pinned)` },
    ],
    expected: "a valid signature",
    computed: valid ? "a valid signature" : "does not verify",
    status: problems.length ? "fail" : "pass",
    ...(problems.length ? { detail: problems.join("; ") } : {}),
  });
  return steps;
}

async function verifyV2(proof: Obj, options: DrawOptions): Promise<DrawVerification> {
  const p = exactMembers(proof, proofFields(proof, V2_FIELDS), "");
  const inputs = parseDrawInputs(p.draw_inputs);
  let reading: BeaconReading | null = null;
  if (p.beacon !== null) {
    if (inputs.beacon === null) {
      // Without a frozen scheme the reading's shape is unknown; the beacon step reports it.
      if (typeof p.beacon !== "object" || Array.isArray(p.beacon)) throw new DrawProofFormatError("must be an object or null", "beacon");
    } else {
      reading = parseBeaconReading(p.beacon, inputs.beacon.scheme);
    }
  }
  const publishedInputsHash = hex(p.draw_inputs_hash, "draw_inputs_hash", 32);
  const serverSeed = hex(p.server_seed, "server_seed", 32);
  const publishedSeed = hex(p.seed, "seed", 32);
  const selectionCounter = integer(p.selection_counter, "selection_counter", 0);
  const winningTicket = ticketNumber(p.winning_ticket, "winning_ticket");
  const list = entries(p.entries, "entries");
  const pseudonymous = isPseudonymous(list);
  const publishedWinnerId = publishedWinner(p, pseudonymous);
  const total = inputs.totalTickets;

  const inputsHash = drawInputsHash(p.draw_inputs);
  const root = ticketMapRoot(list);
  const steps: Step[] = [
    compareStep(
      {
        id: "server_seed_commitment",
        title: "The revealed server seed matches the commitment published when the lot opened",
        formula: 'hex(SHA-256(enc("ALOT-DRAW-V2/commit") || enc(server_seed bytes)))',
        inputs: [{ label: "server seed (revealed)", value: serverSeed }],
      },
      inputs.serverSeedCommitment,
      commitmentV2(serverSeed),
      "the revealed server seed does not hash to the commitment frozen in the draw inputs",
    ),
    compareStep(
      {
        id: "draw_inputs_hash",
        title: "The draw inputs hash is the hash of the inputs frozen at funding",
        formula: 'hex(SHA-256(enc("ALOT-DRAW-V2/inputs") || enc(CJSON(draw_inputs))))',
        inputs: [{ label: "canonical JSON of the draw inputs", value: canonicalJsonText(p.draw_inputs) }],
      },
      publishedInputsHash,
      inputsHash,
    ),
    compareStep(
      {
        id: "ticket_map_root",
        title: "The entries hash to the ticket map root frozen at funding",
        formula: "RFC 9162 Merkle root of SHA-256(0x00 || CJSON(entry)), in ticket order",
        inputs: [{ label: "entries (leaves)", value: String(list.length) }],
      },
      inputs.ticketMapRoot,
      root,
      "the entries in the proof are not the ticket map frozen at funding",
    ),
    tilingStep(list, total),
  ];
  if (pseudonymous) steps.push(amountsStep(list, BigInt(inputs.escrowCents), { label: "escrow (cents, frozen in the draw inputs)", value: String(inputs.escrowCents) }));

  let randomness: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  const choice = inputs.beacon;
  if (choice === null) {
    if (p.beacon !== null) {
      steps.push({
        id: "beacon",
        title: "The beacon is null, as frozen at funding",
        inputs: [],
        expected: "null (no drand round frozen at funding)",
        computed: "a reading",
        status: "fail",
        detail: "the proof carries a beacon reading although no drand round was frozen at funding",
      });
    }
    // A proof alone cannot show that this lot was declared beacon-less when it opened:
    // only the ledger's opening memo can. Say so, rather than pass it.
    steps.push(beaconDeclaredStep(null, null, null));
  } else if (reading === null) {
    steps.push({
      id: "beacon",
      title: `The proof carries the reading of drand round ${choice.round}, frozen at funding`,
      inputs: [],
      expected: `the reading of drand round ${choice.round}`,
      computed: "null",
      status: "fail",
      detail: "the draw inputs name a drand round but the proof has no reading of it",
    });
  } else {
    randomness = sha256(reading.signature);
    steps.push(...(await beaconSteps(choice, inputs.fundedAt, reading, pinnedChains(options.chains), options.beaconPublicKey)));
  }
  const seed = seedV2(serverSeed, inputsHash, randomness);
  const selection = selectV2(seed, total);
  const rejected = selection.rounds.filter((r) => !r.accepted).map((r) => r.candidate);
  steps.push(
    compareStep(
      {
        id: "seed",
        title: "The seed mixes the server seed, the draw inputs and the beacon",
        formula: 'HMAC-SHA256(server_seed, enc("ALOT-DRAW-V2/seed") || enc(draw_inputs_hash) || enc(beacon randomness))',
        inputs: [
          { label: "server seed", value: serverSeed },
          { label: "draw inputs hash (computed)", value: inputsHash },
          { label: "beacon randomness", value: randomness.length ? toHex(randomness) : "(none: empty string)" },
        ],
      },
      publishedSeed,
      toHex(seed),
    ),
    compareStep(
      {
        id: "winning_ticket",
        title: "The winning ticket follows from the seed, without bias",
        formula: `block = HMAC-SHA256(seed, enc("ALOT-DRAW-V2/select") || u64(counter)); candidate = first ${selectionBits(total)} bits; accept when < ${total}`,
        inputs: [
          { label: "seed (computed)", value: toHex(seed) },
          { label: "total tickets", value: String(total) },
          { label: "candidates rejected", value: rejected.length ? rejected.join(", ") : "none" },
        ],
      },
      `ticket ${winningTicket} at counter ${selectionCounter}`,
      `ticket ${selection.ticket} at counter ${selection.counter}`,
    ),
  );
  const { step: winner, winner: computedWinner } = winnerStep(list, selection.ticket, publishedWinnerId);
  steps.push(winner);
  return {
    algorithm: ALGORITHM_V2,
    lotId: inputs.lotId,
    steps,
    winningTicket: selection.ticket,
    pseudonymous,
    winnerUserId: pseudonymous ? null : computedWinner,
    winnerHolder: pseudonymous ? computedWinner : null,
    published: { winningTicket, ...publishedWinners(pseudonymous, publishedWinnerId), serverSeedCommitment: inputs.serverSeedCommitment, serverSeed },
    ok: steps.every((s) => s.status !== "fail"),
    frozenBeacon: inputs.beacon,
    fundedAt: inputs.fundedAt,
  };
}

/**
 * Recompute a draw proof and compare every published value with its recomputation.
 * Throws DrawProofFormatError when the proof is malformed (unreadable, not a failed draw).
 */
export async function verifyDrawProof(proof: unknown, options: DrawOptions = {}): Promise<DrawVerification> {
  if (typeof proof !== "object" || proof === null || Array.isArray(proof)) throw new DrawProofFormatError("a draw proof is a JSON object", "$");
  const algorithm = (proof as Obj).algorithm;
  if (algorithm === ALGORITHM_V1) return verifyV1(proof as Obj);
  if (algorithm === ALGORITHM_V2) return verifyV2(proof as Obj, options);
  if (algorithm === undefined) throw new DrawProofFormatError("missing field", "algorithm");
  throw new DrawProofFormatError(`unsupported algorithm ${JSON.stringify(algorithm)} (supported: ${ALGORITHM_V1}, ${ALGORITHM_V2})`, "algorithm");
}
