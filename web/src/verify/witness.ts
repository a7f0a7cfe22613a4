// Witnessed timing (docs/spec/draw.md, C5): the frozen draw inputs existed by T, a time
// the operator's clock does not decide. T comes from witnesses: each cosigned a ledger
// checkpoint that holds the freeze memo, with its own timestamp. The browser counts every
// witness whose cosignature verifies (K = their number), so T = the K-th smallest
// timestamp = the latest: every witness that cosigned saw the freeze by then, and T is a
// true bound if any one of them is honest. Mirrors `alot-verify draw --ledger --cosigned
// --witness --quorum K`. Pure code, no DOM.
import { parseWitnessKey, verifyCosignature, type WitnessKey } from "../checkpoints/cosignature";
import { pinnedChains, roundTime, type DrandChain } from "./beacon";
import { toHex } from "./bytes";
import { CheckpointFormatError, verifyCheckpoint, type Checkpoint } from "./checkpoint";
import type { FrozenBeacon, InclusionCheck } from "./ledger";
import type { Step } from "./steps";

export const WITNESSED = "beacon.witnessed";
export const WITNESSED_BEFORE_ROUND = "beacon.witnessed_before_round";

/**
 * Which witnesses count: those this browser remembered for the ledger (first seen on an
 * earlier visit), or, with none remembered, those the ledger's own response names. The
 * browser has no independent list of witnesses, so the step says which it used.
 */
export type WitnessKeySource = "remembered" | "served";

export type WitnessedTimingInput = {
  lotId: string;
  /** The ledger seq of the lot's freeze memo (draw_inputs). */
  freezeSeq: number;
  /** The cosigned checkpoint note as served (ledger signature and cosignature lines). */
  note: string;
  /** The ledger's verifier key. */
  verifierKey: string;
  witnessKeys: string[];
  keySource: WitnessKeySource;
  /** The inclusion proof of the freeze memo at the checkpoint's size, already checked; null when it could not be fetched. */
  inclusion: InclusionCheck | null;
  /** alot-v2: the frozen beacon (null: beacon-less); undefined for alot-v1. */
  frozenBeacon: FrozenBeacon | undefined;
  /** alot-v2: draw_inputs.funded_at. */
  fundedAt: string | undefined;
  chains?: Record<string, DrandChain>;
};

const iso = (unix: number) => new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

const WITNESSED_TITLE = "Independent witnesses saw the frozen draw inputs in the signed ledger";
const BEFORE_ROUND_TITLE = "The witnesses saw the frozen inputs before the drand round existed";

function beforeRoundNotApplicable(frozenBeacon: FrozenBeacon | undefined): Step {
  return {
    id: WITNESSED_BEFORE_ROUND,
    title: BEFORE_ROUND_TITLE,
    inputs: [],
    status: "not_checked",
    detail:
      frozenBeacon === undefined
        ? "does not apply: this draw (alot-v1) uses no drand round"
        : "does not apply: this lot was drawn without a drand beacon, so there is no round to be witnessed before",
  };
}

function beforeRoundStep(frozenBeacon: FrozenBeacon | undefined, fundedAt: string | undefined, witnessedAt: number | null, chains?: Record<string, DrandChain>): Step {
  if (!frozenBeacon) return beforeRoundNotApplicable(frozenBeacon);
  const base = {
    id: WITNESSED_BEFORE_ROUND,
    title: BEFORE_ROUND_TITLE,
    formula: "floor(funded_at) ≤ T < genesis + (round − 1) × period",
  };
  if (witnessedAt === null) {
    return { ...base, inputs: [], status: "fail", detail: `${WITNESSED} did not pass, so there is no witnessed time T` };
  }
  const chain = pinnedChains(chains)[frozenBeacon.chainHash];
  if (!chain) return { ...base, inputs: [], status: "fail", detail: `the beacon's chain ${frozenBeacon.chainHash} is not a pinned chain, so its round time is unknown` };
  const fundedMs = fundedAt === undefined ? Number.NaN : Date.parse(fundedAt);
  const due = roundTime(chain, frozenBeacon.round);
  const inputs = [
    { label: "funded at (the operator's clock)", value: fundedAt ?? "(none)" },
    { label: "T (witnessed)", value: `${iso(witnessedAt)} (${witnessedAt})` },
    { label: `round ${frozenBeacon.round} due at`, value: `${iso(due)} (${due})` },
  ];
  const problems: string[] = [];
  if (Number.isNaN(fundedMs)) problems.push("funded_at cannot be read");
  else if (Math.floor(fundedMs / 1000) > witnessedAt) problems.push(`the witnesses saw the freeze at ${iso(witnessedAt)}, before the time it states (${fundedAt})`);
  if (witnessedAt >= due) problems.push(`the frozen inputs are only witnessed at ${iso(witnessedAt)}, when round ${frozenBeacon.round} (due ${iso(due)}) could already be known`);
  return {
    ...base,
    inputs,
    expected: `funded_at ≤ T < ${iso(due)}`,
    computed: `T = ${iso(witnessedAt)}`,
    status: problems.length ? "fail" : "pass",
    ...(problems.length ? { detail: problems.join("; ") } : {}),
  };
}

/** The two steps when the ledger has no cosigned checkpoint holding the freeze (404 no_cosigned_checkpoint). */
export function noCosignedCheckpointSteps(freezeSeq: number, frozenBeacon: FrozenBeacon | undefined): Step[] {
  return [
    {
      id: WITNESSED,
      title: WITNESSED_TITLE,
      inputs: [{ label: "freeze memo", value: `ledger transaction ${freezeSeq}` }],
      status: "fail",
      detail: "no witness has cosigned a checkpoint holding the freeze",
    },
    frozenBeacon ? beforeRoundStep(frozenBeacon, undefined, null) : beforeRoundNotApplicable(frozenBeacon),
  ];
}

/** `beacon.witnessed` and `beacon.witnessed_before_round` for one cosigned checkpoint. */
export function witnessedTimingSteps(input: WitnessedTimingInput): Step[] {
  const problems: string[] = [];
  const inputs: Step["inputs"] = [{ label: "freeze memo", value: `ledger transaction ${input.freezeSeq}` }];

  // 1. The checkpoint is the ledger's (its signature), and it holds the freeze.
  let checkpoint: Checkpoint | null = null;
  try {
    checkpoint = verifyCheckpoint(input.note, input.verifierKey);
    inputs.push({ label: "cosigned checkpoint", value: `${checkpoint.size} transactions, root ${toHex(checkpoint.rootHash)}` });
  } catch (error) {
    problems.push(
      error instanceof CheckpointFormatError ? `the cosigned checkpoint cannot be read: ${error.message}` : `the cosigned checkpoint is not signed by the ledger's key: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (checkpoint) {
    if (checkpoint.size < input.freezeSeq) {
      problems.push(`the checkpoint of ${checkpoint.size} transactions does not cover the freeze memo (transaction ${input.freezeSeq})`);
    } else if (!input.inclusion) {
      problems.push(`no inclusion proof of transaction ${input.freezeSeq} in the checkpoint`);
    } else if (!input.inclusion.ok || !input.inclusion.checkpoint) {
      const failed = input.inclusion.steps.find((s) => s.status === "fail");
      problems.push(`the freeze memo is not proven in the checkpoint${failed?.detail ? `: ${failed.detail}` : ""}`);
    } else if (input.inclusion.checkpoint.size !== checkpoint.size || toHex(input.inclusion.checkpoint.rootHash) !== toHex(checkpoint.rootHash)) {
      problems.push(
        `the inclusion proof is for another checkpoint (${input.inclusion.checkpoint.size} transactions, root ${toHex(input.inclusion.checkpoint.rootHash)}) than the cosigned one`,
      );
    } else {
      const memo = input.inclusion.transaction;
      if (memo) {
        const refs = (memo.refs ?? {}) as Record<string, unknown>;
        if (memo.kind !== "draw_inputs") problems.push(`transaction ${input.freezeSeq} is a ${String(memo.kind)} transaction, not the freeze memo (draw_inputs)`);
        else if (refs.lot_id !== input.lotId) problems.push(`transaction ${input.freezeSeq} freezes another lot`);
      }
      inputs.push({ label: "inclusion", value: `transaction ${input.freezeSeq} is leaf ${input.freezeSeq - 1} of the cosigned checkpoint${memo ? " (a draw_inputs memo of this lot)" : ""}` });
    }
  }

  // 2. Which cosignatures verify, one per distinct witness key.
  const keys: WitnessKey[] = [];
  for (const text of input.witnessKeys) {
    try {
      const key = parseWitnessKey(text);
      if (!keys.some((k) => k.text === key.text)) keys.push(key);
    } catch {
      // A malformed key counts as no witness.
    }
  }
  const times: { name: string; at: number }[] = [];
  if (checkpoint) {
    for (const key of keys) {
      let at: number | null = null;
      try {
        at = verifyCosignature(input.note, key);
      } catch {
        at = null;
      }
      if (at !== null) times.push({ name: key.name, at });
    }
  }
  const sourceText =
    input.keySource === "remembered"
      ? `the ${keys.length} witness key(s) this browser remembered for this ledger`
      : `the ${keys.length} witness key(s) the ledger's response names (this browser remembered none; it has no independent list)`;
  inputs.push({ label: "witnesses counted", value: sourceText });
  for (const t of times) inputs.push({ label: `cosigned by ${t.name}`, value: `${iso(t.at)} (${t.at})` });
  if (checkpoint && !times.length) problems.push(`no valid cosignature by ${sourceText}`);

  times.sort((a, b) => a.at - b.at);
  const quorum = times.length;
  const witnessedAt = !problems.length && quorum >= 1 ? times[quorum - 1]!.at : null;
  const witnessed: Step = {
    id: WITNESSED,
    title: WITNESSED_TITLE,
    formula: "ledger signature + Ed25519 cosignature/v1 by each witness over a checkpoint of size ≥ seq; T = the K-th smallest cosignature time, K = valid cosignatures",
    inputs,
    expected: `at least 1 valid cosignature on a checkpoint holding transaction ${input.freezeSeq}`,
    computed: witnessedAt !== null ? `${quorum} valid cosignature(s); T = ${iso(witnessedAt)}` : problems.join("; ") || "none",
    status: witnessedAt !== null ? "pass" : "fail",
    ...(witnessedAt !== null ? {} : { detail: problems.join("; ") }),
  };
  return [witnessed, beforeRoundStep(input.frozenBeacon, input.fundedAt, witnessedAt, input.chains)];
}
