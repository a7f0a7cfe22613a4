// A ledger transaction's place in the signed log (docs/spec/proofs.md): the inclusion
// proof document the ledger serves at /api/ledger/proofs/inclusion, checked against a
// checkpoint signed by the ledger's verifier key, and (when the ledger shows it) the
// transaction itself, whose leaf hash is recomputed from its canonical body.
import { fromHex, isHex, toHex } from "./bytes";
import { canonicalJson, CanonicalJsonError } from "./canonical";
import { CheckpointFormatError, parseVerifierKey, verifyCheckpoint, type Checkpoint } from "./checkpoint";
import { leafHash, MerkleProofError, verifyInclusion } from "./merkle";
import type { Step } from "./steps";

type Obj = Record<string, unknown>;

export type InclusionCheck = {
  steps: Step[];
  ok: boolean;
  /** The transaction, when the document carried it and its hash verified. */
  transaction: Obj | null;
  checkpoint: Checkpoint | null;
};

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The RFC 9162 leaf hash of a transaction: SHA-256(0x00 || CJSON(body without `hash`)). */
export function transactionLeafHash(transaction: Obj): string {
  const body: Obj = { ...transaction };
  delete body.hash;
  return toHex(leafHash(canonicalJson(body)));
}

/**
 * Check an inclusion proof document for transaction `seq` against `verifierKey`:
 * the checkpoint's signature and size, the transaction (when shown), and the audit path.
 * Each is its own step; nothing the document does not carry is reported as passed.
 */
export function verifyInclusionDocument(document: unknown, verifierKey: string, seq: number): InclusionCheck {
  const steps: Step[] = [];
  const fail = (step: Omit<Step, "status">): InclusionCheck => {
    steps.push({ ...step, status: "fail" });
    return { steps, ok: false, transaction: null, checkpoint: null };
  };
  if (!isObj(document)) return fail({ id: "document", title: "The inclusion proof can be read", inputs: [], detail: "it is not a JSON object" });
  const { leaf_index: index, tree_size: size, leaf_hash: leafHex, proof, checkpoint: note, transaction } = document;
  if (
    typeof index !== "number" ||
    typeof size !== "number" ||
    !Array.isArray(proof) ||
    !proof.every((h) => isHex(h, 32)) ||
    typeof note !== "string" ||
    (leafHex !== undefined && !isHex(leafHex, 32))
  ) {
    return fail({ id: "document", title: "The inclusion proof can be read", inputs: [], detail: "a member is missing or has the wrong form" });
  }

  // 1. The checkpoint is signed by the ledger's key, and is of the proof's size.
  let checkpoint: Checkpoint | null = null;
  let keyText = verifierKey;
  try {
    keyText = parseVerifierKey(verifierKey).text;
    checkpoint = verifyCheckpoint(note, verifierKey);
    steps.push({
      id: "checkpoint.signature",
      title: `The ledger checkpoint of ${checkpoint.size} transactions is signed by the ledger's key`,
      formula: "Ed25519 over the checkpoint body (C2SP signed note)",
      inputs: [
        { label: "origin", value: checkpoint.origin },
        { label: "root", value: toHex(checkpoint.rootHash) },
        { label: "verifier key", value: keyText },
      ],
      expected: "a valid signature",
      computed: "a valid signature",
      status: "pass",
    });
  } catch (error) {
    const detail = error instanceof CheckpointFormatError ? `the checkpoint cannot be read: ${error.message}` : error instanceof Error ? error.message : String(error);
    steps.push({
      id: "checkpoint.signature",
      title: "The ledger checkpoint is signed by the ledger's key",
      formula: "Ed25519 over the checkpoint body (C2SP signed note)",
      inputs: [{ label: "verifier key", value: keyText }],
      expected: "a valid signature",
      computed: "does not verify",
      status: "fail",
      detail,
    });
  }
  if (checkpoint) {
    steps.push({
      id: "checkpoint.size",
      title: "The proof is for the tree the checkpoint signs",
      inputs: [],
      expected: `${checkpoint.size} transactions`,
      computed: `${size} transactions`,
      status: checkpoint.size === size ? "pass" : "fail",
      ...(checkpoint.size === size ? {} : { detail: `the proof is for a tree of ${size}, the checkpoint signs ${checkpoint.size}` }),
    });
  }

  // 2. The leaf is the transaction asked for.
  const indexOk = index === seq - 1;
  steps.push({
    id: "leaf_index",
    title: `The proof is for ledger transaction ${seq}`,
    inputs: [],
    expected: `leaf ${seq - 1}`,
    computed: `leaf ${index}`,
    status: indexOk ? "pass" : "fail",
    ...(indexOk ? {} : { detail: `the proof is for leaf ${index}, transaction ${seq} is leaf ${seq - 1}` }),
  });
  let leaf = typeof leafHex === "string" ? leafHex : null;
  let shown: Obj | null = null;
  if (isObj(transaction)) {
    let computed: string;
    try {
      computed = transactionLeafHash(transaction);
    } catch (error) {
      computed = error instanceof CanonicalJsonError ? `cannot be hashed: ${error.message}` : String(error);
    }
    const problems: string[] = [];
    if (transaction.hash !== computed) problems.push("the transaction's hash is not the hash of its content");
    if (leaf !== null && leaf !== computed) problems.push("the proof's leaf hash is not the transaction's hash");
    if (transaction.seq !== index + 1) problems.push(`the transaction's seq is ${String(transaction.seq)}, not ${index + 1}`);
    steps.push({
      id: "transaction.hash",
      title: "The transaction's content hashes to the leaf in the proof",
      formula: "SHA-256(0x00 || canonical JSON of the transaction without its hash)",
      inputs: [{ label: "transaction kind", value: String(transaction.kind) }],
      expected: String(leaf ?? transaction.hash),
      computed,
      status: problems.length ? "fail" : "pass",
      ...(problems.length ? { detail: problems.join("; ") } : {}),
    });
    if (!problems.length) shown = transaction;
    leaf ??= computed;
  } else {
    steps.push({
      id: "transaction.hash",
      title: "The transaction's content hashes to the leaf in the proof",
      inputs: [],
      status: "not_checked",
      detail: "the ledger did not show this transaction (it shows a transaction only to the player it names and to auditors), so only its hash is known, not what it says",
    });
  }

  // 3. The audit path leads from the leaf to the signed root.
  if (leaf === null || !isHex(leaf, 32)) {
    steps.push({ id: "inclusion", title: "The transaction is in the signed ledger", inputs: [], status: "fail", detail: "the proof has no leaf hash" });
  } else if (!checkpoint) {
    steps.push({ id: "inclusion", title: "The transaction is in the signed ledger", inputs: [], status: "not_checked", detail: "without a verified checkpoint there is no root to check the proof against" });
  } else {
    const path = (proof as string[]).map((h) => fromHex(h));
    let detail: string | undefined;
    try {
      verifyInclusion(fromHex(leaf), index, size, path, checkpoint.rootHash);
    } catch (error) {
      detail = error instanceof MerkleProofError ? error.message : String(error);
    }
    steps.push({
      id: "inclusion",
      title: `Transaction ${seq} is in the signed ledger of ${checkpoint.size} transactions`,
      formula: "RFC 9162 inclusion proof: leaf hash + audit path → root",
      inputs: [
        { label: "leaf hash", value: leaf },
        { label: "audit path", value: `${path.length} ${path.length === 1 ? "hash" : "hashes"}` },
      ],
      expected: toHex(checkpoint.rootHash),
      computed: detail ? "a different root" : toHex(checkpoint.rootHash),
      status: detail ? "fail" : "pass",
      ...(detail ? { detail } : {}),
    });
  }
  return { steps, ok: steps.every((s) => s.status !== "fail"), transaction: shown, checkpoint };
}

/**
 * The draw commitment in the ledger: the `draw_commitment` memo written when the lot
 * opened must name this lot and hold the same commitment as the proof. Only possible
 * when the ledger shows the transaction; otherwise the step says it was not checked.
 */
export function commitmentMemoStep(transaction: Obj | null, lotId: string, commitment: string, seq: number): Step {
  const base = {
    id: "ledger.draw_commitment",
    title: `The ledger's record from the lot's opening (transaction ${seq}) holds the same commitment`,
    inputs: [{ label: "ledger transaction", value: String(seq) }],
  };
  if (!transaction) {
    return {
      ...base,
      status: "not_checked",
      detail: "the ledger did not show this record, so the browser cannot read the commitment it holds; an auditor checks it with alot-verify",
    };
  }
  const refs = isObj(transaction.refs) ? transaction.refs : {};
  const metadata = isObj(transaction.metadata) ? transaction.metadata : {};
  const problems: string[] = [];
  if (transaction.kind !== "draw_commitment") problems.push(`it is a ${String(transaction.kind)} transaction, not draw_commitment`);
  if (refs.lot_id !== lotId) problems.push("it is about another lot");
  if (metadata.server_seed_commitment !== commitment) problems.push("it holds a different commitment");
  return {
    ...base,
    expected: commitment,
    computed: String(metadata.server_seed_commitment),
    status: problems.length ? "fail" : "pass",
    ...(problems.length ? { detail: problems.join("; ") } : {}),
  };
}

/** The drand chain frozen in an alot-v2 draw's inputs (null: the draw has no beacon). */
export type FrozenBeacon = { chainHash: string; scheme: string; round: number } | null;

/**
 * `draw.beacon_declared` (docs/spec/ledger.md), from the lot's opening memo as the
 * ledger shows it: a beacon-less alot-v2 draw is fair only if the lot was declared
 * beacon-less when it opened (`"beacon": null` in its `draw_commitment` memo), otherwise
 * the operator chose at funding to leave drand out; a draw with a beacon must use the
 * chain declared at opening. `memo` is the verified `draw_commitment` transaction of
 * this lot, or null when the ledger did not show it: then nothing is proven here.
 */
export function beaconDeclaredStep(memo: Obj | null, seq: number | null, frozen: FrozenBeacon): Step {
  const base = {
    id: "draw.beacon_declared",
    title: frozen === null ? "The lot was declared beacon-less when it opened" : "The drand chain is the one declared when the lot opened",
    inputs: [
      { label: "draw_inputs.beacon", value: frozen === null ? "null (no drand round frozen at funding)" : `${frozen.scheme}, chain ${frozen.chainHash}` },
      ...(seq === null ? [] : [{ label: "opening memo (ledger transaction)", value: String(seq) }]),
    ],
    expected: frozen === null ? 'the opening memo declares "beacon": null' : `the opening memo declares chain ${frozen.chainHash} (${frozen.scheme})`,
  };
  if (!memo) {
    return {
      ...base,
      status: "not_checked",
      detail:
        frozen === null
          ? "Not proven here: the draw proof alone cannot show whether this lot was declared beacon-less when it opened, " +
            "or whether the operator left drand out at funding. Only the ledger's opening record (the draw_commitment memo) " +
            "shows it, and it was not available here; an auditor checks it with `alot-verify ledger` (draw.beacon_declared)."
          : "Not proven here: the ledger did not show the opening record (the draw_commitment memo) to this browser; an auditor checks it with `alot-verify ledger` (draw.beacon_declared).",
    };
  }
  const metadata = isObj(memo.metadata) ? memo.metadata : {};
  const where = seq === null ? "the opening memo" : `the opening memo (transaction ${seq})`;
  if (!Object.prototype.hasOwnProperty.call(metadata, "beacon")) {
    // Lots opened before lots declared their beacon.
    if (frozen === null) {
      return {
        ...base,
        computed: "no declaration",
        status: "fail",
        detail: `${where} declares nothing about a beacon (the lot opened before beacons were declared), so the operator could still choose at funding to leave drand out`,
      };
    }
    return { ...base, computed: "no declaration", status: "not_checked", detail: `${where} predates beacon declarations; the drand round itself is checked above` };
  }
  const declared = metadata.beacon;
  if (declared === null) {
    return frozen === null
      ? { ...base, computed: 'declared "beacon": null', status: "pass" }
      : { ...base, computed: 'declared "beacon": null', status: "fail", detail: `${where} declared the lot beacon-less, but the draw inputs name a drand round` };
  }
  const d = isObj(declared) ? declared : {};
  const text = `chain ${String(d.chain_hash)} (${String(d.scheme)})`;
  if (frozen === null) {
    return { ...base, computed: `declared ${text}`, status: "fail", detail: `${where} declared drand ${text}, but the draw inputs froze no beacon: drand was left out at funding` };
  }
  const same = d.chain_hash === frozen.chainHash && d.scheme === frozen.scheme;
  return {
    ...base,
    computed: `declared ${text}`,
    status: same ? "pass" : "fail",
    ...(same ? {} : { detail: `${where} declared ${text}, the draw inputs froze chain ${frozen.chainHash} (${frozen.scheme})` }),
  };
}

/**
 * On a lot with pseudonymous holders the purchase carries `refs.holder`, the name the
 * public draw proof gives its tickets: it must be the pseudonym the player's receipt gives,
 * or the player would look for themself under a name the proof does not use.
 */
export function holderProblems(refs: Record<string, unknown>, receiptHolder: string | null): string[] {
  if (receiptHolder === null) return refs.holder === undefined ? [] : ["it carries a holder pseudonym, but your receipt gives none for this lot"];
  if (refs.holder === undefined) return ["it carries no holder pseudonym, but your receipt gives one for this lot"];
  if (refs.holder !== receiptHolder) return [`it names holder ${String(refs.holder)}, not ${receiptHolder} as your receipt says`];
  return [];
}

/**
 * On a pseudonymous map each entry names the ledger seq of its purchase: the player's
 * purchase at `seq` must be there, once, under the pseudonym their receipt gives and with
 * the tickets it gives. Otherwise their money stands behind no entry of the map (or behind
 * someone else's). A named map carries no purchase seqs (nothing to match): no problems.
 * The map is the proof's `entries` as served, not yet verified: read it defensively.
 */
export function ticketMapEntryProblems(ticketMap: unknown, seq: number, receiptHolder: string | null, receiptTickets: string[]): string[] {
  if (receiptHolder === null || !Array.isArray(ticketMap)) return [];
  const found = ticketMap.filter((e): e is Record<string, unknown> => typeof e === "object" && e !== null && (e as Record<string, unknown>).purchase_seq === seq);
  if (found.length === 0) return [`no entry of the ticket map names this purchase (purchase_seq ${seq})`];
  if (found.length > 1) return [`${found.length} entries of the ticket map name this purchase (purchase_seq ${seq})`];
  const entry = found[0]!;
  const problems: string[] = [];
  if (entry.holder !== receiptHolder) problems.push(`the ticket map's entry for this purchase names holder ${String(entry.holder)}, not ${receiptHolder} as your receipt says`);
  const tickets = entry.tickets_start === entry.tickets_end ? `ticket ${String(entry.tickets_start)}` : `tickets ${String(entry.tickets_start)}–${String(entry.tickets_end)}`;
  if (!receiptTickets.includes(tickets)) problems.push(`the ticket map's entry for this purchase holds ${tickets}, your receipt gives ${receiptTickets.join(", ")}`);
  return problems;
}
