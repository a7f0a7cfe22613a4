// What "Verify in your browser" and "Check my purchase is in the ledger" do: fetch the
// published documents through the API client (same origin, session cookies) and run the
// verifier on them. Loaded on demand by the draw page, with the verifier library.
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ApiError } from "../../api/problem";
import { parseStrictJson, JsonSyntaxError } from "../canonical";
import { DrawProofFormatError, verifyDrawProof, type DrawVerification } from "../draw";
import { beaconDeclaredStep, commitmentMemoStep, holderProblems, ticketMapEntryProblems, verifyInclusionDocument, type InclusionCheck } from "../ledger";
import { compareStep, type Step } from "../steps";
import { noCosignedCheckpointSteps, witnessedTimingSteps, WITNESSED, WITNESSED_BEFORE_ROUND, type WitnessKeySource } from "../witness";
import { readMemory } from "../../checkpoints/store";

export type Phase = (text: string) => void;

export type DrawReport =
  | { kind: "verified"; draw: DrawVerification; publication: Step[]; verifierKey: string | null }
  | { kind: "malformed"; message: string };

type TextResult = { data?: string; error?: unknown; response: Response };

/** The body of a GET as text (so it is parsed strictly), or an ApiError. */
function text(result: TextResult): string {
  if (!result.response.ok) {
    let problem: unknown = result.error;
    if (typeof problem === "string") {
      try {
        problem = JSON.parse(problem);
      } catch {
        problem = undefined;
      }
    }
    throw ApiError.from(result.response, problem);
  }
  return result.data ?? "";
}

let verifierKeyCache: Promise<string> | null = null;
/** The ledger's verifier key as this server publishes it (auditors pin it out of band). */
export function ledgerVerifierKey(): Promise<string> {
  verifierKeyCache ??= api
    .GET("/api/ledger/verifier-key")
    .then((r) => unwrap(r).verifier_key)
    .catch((error) => {
      verifierKeyCache = null;
      throw error;
    });
  return verifierKeyCache;
}

/** The inclusion proof of ledger transaction `seq` in the checkpoint of `treeSize`, verified. */
export async function checkInclusion(seq: number, treeSize: number): Promise<InclusionCheck> {
  const [key, body] = await Promise.all([
    ledgerVerifierKey(),
    api.GET("/api/ledger/proofs/inclusion", { params: { query: { seq, tree_size: treeSize } }, parseAs: "text" }).then((r) => text(r as TextResult)),
  ]);
  return verifyInclusionDocument(parseStrictJson(body), key, seq);
}

export type LatestCheckpoint = { size: number; created_at: string };

export async function latestCheckpoint(): Promise<LatestCheckpoint | null> {
  try {
    return unwrap(await api.GET("/api/ledger/checkpoint"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/**
 * Recompute the lot's draw from its published proof (fetched as the offline verifier
 * fetches it), and check that the proof's commitment is the one published at opening:
 * in the lot record, and in the ledger's draw_commitment transaction when the ledger
 * lets this player read it.
 */
export async function verifyLotDraw(
  lotId: string,
  published: { lotCommitment: string | null; recordCommitment: string | null; commitmentSeq: number | null },
  phase: Phase,
): Promise<DrawReport> {
  phase("Fetching the draw proof…");
  const body = text((await api.GET("/api/lots/{lot_id}/draw/proof", { params: { path: { lot_id: lotId } }, parseAs: "text" })) as TextResult);
  phase("Recomputing the draw…");
  let draw: DrawVerification;
  try {
    draw = await verifyDrawProof(parseStrictJson(body));
  } catch (error) {
    if (error instanceof DrawProofFormatError || error instanceof JsonSyntaxError) return { kind: "malformed", message: error.message };
    throw error;
  }
  const commitment = draw.published.serverSeedCommitment;
  const publication: Step[] = [];
  const sources = [
    { label: "the lot page (published when the lot opened)", value: published.lotCommitment },
    { label: "the draw record", value: published.recordCommitment },
  ];
  for (const source of sources) {
    publication.push(
      source.value === null
        ? { id: "published_commitment", title: `The commitment in the proof is the one shown on ${source.label}`, inputs: [], status: "not_checked", detail: "no commitment is shown there" }
        : compareStep(
            { id: "published_commitment", title: `The commitment in the proof is the one shown on ${source.label}`, inputs: [] },
            source.value,
            commitment,
            "the proof's commitment is not the one published",
          ),
    );
  }
  let verifierKey: string | null = null;
  let openingMemo: Record<string, unknown> | null = null;
  if (published.commitmentSeq === null) {
    publication.push({ id: "ledger.draw_commitment", title: "The ledger recorded the commitment when the lot opened", inputs: [], status: "not_checked", detail: "the draw record names no ledger transaction" });
  } else {
    phase("Checking the ledger's record of the commitment…");
    const seq = published.commitmentSeq;
    try {
      verifierKey = await ledgerVerifierKey();
      const checkpoint = await latestCheckpoint();
      if (!checkpoint || checkpoint.size < seq) {
        publication.push({
          id: "ledger.draw_commitment",
          title: `The ledger's record from the lot's opening (transaction ${seq}) holds the same commitment`,
          inputs: [],
          status: "not_checked",
          detail: "that transaction is not covered by a signed checkpoint yet; try again in a few minutes",
        });
      } else {
        const inclusion = await checkInclusion(seq, checkpoint.size);
        if (!inclusion.ok) {
          publication.push(...inclusion.steps.filter((s) => s.status === "fail"));
        } else if (inclusion.transaction) {
          // Only when the transaction's content verified and is in the signed ledger.
          publication.push(...inclusion.steps.filter((s) => s.id === "inclusion"));
        }
        const memoStep = commitmentMemoStep(inclusion.ok ? inclusion.transaction : null, lotId, commitment, seq);
        publication.push(memoStep);
        // Only this lot's opening memo, verified in the signed ledger, can say what the
        // lot declared about its beacon when it opened.
        if (memoStep.status === "pass") openingMemo = inclusion.transaction;
      }
    } catch (error) {
      publication.push({
        id: "ledger.draw_commitment",
        title: `The ledger's record from the lot's opening (transaction ${seq}) holds the same commitment`,
        inputs: [],
        status: "not_checked",
        detail: `the ledger could not be asked: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  if (draw.frozenBeacon !== undefined) {
    // alot-v2: whether the lot's beacon (or its lack of one) was declared at opening is
    // about the opening memo, so it is shown with the other opening checks: decided from
    // the ledger when it showed the memo, and "not proven here" when it did not.
    const frozen = draw.frozenBeacon;
    if (openingMemo || frozen === null) {
      draw = { ...draw, steps: draw.steps.filter((s) => s.id !== "draw.beacon_declared") };
      publication.push(beaconDeclaredStep(openingMemo, published.commitmentSeq, frozen));
    }
  }
  phase("Checking when witnesses saw the frozen inputs…");
  const witnessed = await witnessedTiming(lotId, draw, verifierKey);
  draw = { ...draw, steps: [...draw.steps, ...witnessed], ok: draw.ok && witnessed.every((s) => s.status !== "fail") };
  return { kind: "verified", draw, publication, verifierKey };
}

const notChecked = (id: string, title: string, detail: string): Step => ({ id, title, inputs: [], status: "not_checked", detail });

/**
 * `beacon.witnessed` and `beacon.witnessed_before_round`: the earliest cosigned checkpoint
 * holding the lot's freeze memo, its ledger signature and cosignatures, and the memo's
 * inclusion proof at its size (docs/spec/draw.md, witnessed timing).
 */
async function witnessedTiming(lotId: string, draw: DrawVerification, knownKey: string | null): Promise<Step[]> {
  const title = "Independent witnesses saw the frozen draw inputs in the signed ledger";
  const notApplicable = (why: string) => [notChecked(WITNESSED, title, why), notChecked(WITNESSED_BEFORE_ROUND, "The witnesses saw the frozen inputs before the drand round existed", why)];
  try {
    const record = unwrap(await api.GET("/api/lots/{lot_id}/draw", { params: { path: { lot_id: lotId } } }));
    const seq = record.inputs_ledger_seq;
    if (seq === null) return notApplicable("the draw record names no freeze memo (draw_inputs) in the ledger");
    let cosigned: components["schemas"]["CosignedCheckpoint"];
    try {
      cosigned = unwrap(await api.GET("/api/ledger/checkpoint/cosigned", { params: { query: { covering: seq } } }));
    } catch (error) {
      // Only the ledger's own answer counts as "none": any other error is "not checked".
      if (error instanceof ApiError && error.status === 404 && error.code === "no_cosigned_checkpoint") return noCosignedCheckpointSteps(seq, draw.frozenBeacon);
      throw error;
    }
    const verifierKey = knownKey ?? (await ledgerVerifierKey());
    let inclusion: InclusionCheck | null = null;
    if (cosigned.size >= seq) {
      try {
        inclusion = await checkInclusion(seq, cosigned.size);
      } catch {
        inclusion = null;
      }
    }
    const remembered = Object.values(readMemory().ledgers[cosigned.origin]?.witnessKeys ?? {});
    const keySource: WitnessKeySource = remembered.length ? "remembered" : "served";
    const witnessKeys = remembered.length ? remembered : cosigned.cosignatures.map((c) => c.witness_key);
    return witnessedTimingSteps({
      lotId,
      freezeSeq: seq,
      note: cosigned.note,
      verifierKey,
      witnessKeys,
      keySource,
      inclusion,
      frozenBeacon: draw.frozenBeacon,
      fundedAt: draw.fundedAt,
    });
  } catch (error) {
    return notApplicable(`the ledger could not be asked: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export type PurchaseCheck = {
  seq: number;
  tickets: string;
  outcome: { kind: "checked"; check: InclusionCheck; mine: Step | null } | { kind: "not_yet"; latest: number | null } | { kind: "error"; error: unknown };
};

/**
 * The player's purchases in this lot, each checked for inclusion in the latest checkpoint
 * and, on a pseudonymous lot, found in the draw proof's ticket map (`ticketMap`: the
 * proof's entries as served) by its purchase seq.
 */
export async function checkMyPurchases(lotId: string, userId: string, phase: Phase, ticketMap?: unknown): Promise<PurchaseCheck[]> {
  phase("Finding your purchases in this lot…");
  const purchases = new Map<number, string[]>();
  // The pseudonym the player's receipt gives for each purchase (null: a lot naming holders by user id).
  const receiptHolders = new Map<number, string | null>();
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const result: components["schemas"]["EntryPage"] = unwrap(await api.GET("/api/users/me/entries", { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }));
    for (const entry of result.items) {
      if (entry.lot_id !== lotId || entry.ledger_seq === null) continue;
      const list = purchases.get(entry.ledger_seq) ?? [];
      list.push(entry.tickets_start === entry.tickets_end ? `ticket ${entry.tickets_start}` : `tickets ${entry.tickets_start}–${entry.tickets_end}`);
      purchases.set(entry.ledger_seq, list);
      receiptHolders.set(entry.ledger_seq, entry.holder);
    }
    cursor = result.next_cursor;
    if (!cursor) break;
  }
  if (!purchases.size) return [];
  phase("Fetching the latest signed checkpoint…");
  const latest = await latestCheckpoint();
  const checks: PurchaseCheck[] = [];
  for (const [seq, tickets] of [...purchases.entries()].sort((a, b) => a[0] - b[0])) {
    phase(`Checking ledger transaction ${seq}…`);
    const base = { seq, tickets: tickets.join(", ") };
    if (!latest || latest.size < seq) {
      checks.push({ ...base, outcome: { kind: "not_yet", latest: latest?.size ?? null } });
      continue;
    }
    try {
      const check = await checkInclusion(seq, latest.size);
      let mine: Step | null = null;
      if (check.transaction) {
        const refs = (check.transaction.refs ?? {}) as Record<string, unknown>;
        const problems: string[] = [];
        if (check.transaction.kind !== "entry_purchase") problems.push(`it is a ${String(check.transaction.kind)} transaction`);
        if (refs.lot_id !== lotId) problems.push("it is for another lot");
        if (refs.user_id !== userId) problems.push("it names another player");
        problems.push(...holderProblems(refs, receiptHolders.get(seq) ?? null));
        problems.push(...ticketMapEntryProblems(ticketMap, seq, receiptHolders.get(seq) ?? null, tickets));
        mine = {
          id: "transaction.purchase",
          title: "The transaction is your purchase in this lot",
          inputs: [],
          expected: "your purchase in this lot",
          computed: problems.length ? problems.join("; ") : "your purchase in this lot",
          status: problems.length ? "fail" : "pass",
          ...(problems.length ? { detail: problems.join("; ") } : {}),
        };
      }
      checks.push({ ...base, outcome: { kind: "checked", check, mine } });
    } catch (error) {
      checks.push({ ...base, outcome: { kind: "error", error } });
    }
  }
  return checks;
}
