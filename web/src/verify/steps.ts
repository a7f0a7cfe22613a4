// The step-by-step report every verifier here returns, so the page can show what was
// recomputed, from which inputs, and whether it matched. A step that could not be done
// says "not_checked" and why; it never passes silently.

export type StepStatus = "pass" | "fail" | "not_checked";

export type Step = {
  /** The spec's check name (e.g. `server_seed_commitment`, `beacon.signature`). */
  id: string;
  /** What is checked, in plain words. */
  title: string;
  /** How the value is computed (the spec's formula). */
  formula?: string;
  /** The inputs the computation used, as shown to the reader. */
  inputs: { label: string; value: string }[];
  /** The published value (what the proof or the ledger says). */
  expected?: string;
  /** What this verifier computed. */
  computed?: string;
  status: StepStatus;
  /** Why it failed, or why it could not be checked. */
  detail?: string;
};

export function summarize(steps: Step[]): { passed: number; failed: number; notChecked: number } {
  return {
    passed: steps.filter((s) => s.status === "pass").length,
    failed: steps.filter((s) => s.status === "fail").length,
    notChecked: steps.filter((s) => s.status === "not_checked").length,
  };
}

/** A step comparing a published value with the recomputed one. */
export function compareStep(step: Omit<Step, "status" | "expected" | "computed">, expected: string | number, computed: string | number, detail?: string): Step {
  const pass = String(expected) === String(computed);
  return {
    ...step,
    expected: String(expected),
    computed: String(computed),
    status: pass ? "pass" : "fail",
    ...(pass ? {} : { detail: detail ?? `the published value is ${expected}, the browser computed ${computed}` }),
  };
}

/**
 * What a passing check rules out, in plain words (docs/spec/draw.md, "Threat model"),
 * shown with the step so a player knows why it is there.
 */
export const CHECK_PURPOSE: Record<string, string> = {
  "beacon.chain":
    "The chain hash names one public key, period and genesis (it is their hash), and the chain is one this verifier pins: the operator cannot run its own drand-like network and call it drand.",
  "beacon.chosen_before_published": "The round could not be known when the draw's inputs were frozen.",
  "beacon.first_round":
    "The round is the one the spec's rule gives (the first due more than 30 s after funding), so the operator had no rounds to choose from.",
  "beacon.previous_signature": "The chained round follows the chain's genesis seed or a real previous signature, as drand's rounds do.",
  "beacon.signature":
    "The League of Entropy's threshold of nodes signed this round. BLS signatures are unique per round, so the operator cannot try signatures until the winner suits it.",
  "beacon.randomness": "The randomness mixed into the draw is the hash of the signature, so nothing else could be substituted.",
  "beacon.witnessed":
    "Witnesses outside the operator cosigned a ledger checkpoint holding the frozen draw inputs, each with its own clock: the inputs existed by then, whatever the operator's clock says, and every reader was shown the same ledger.",
  "beacon.witnessed_before_round":
    "The witnesses saw the frozen inputs before the drand round was due, so the inputs were fixed before the randomness existed: the operator could not choose them knowing the result.",
  "entries.amounts":
    "Every ticket in the map is paid for: the amounts the entries say their purchases put in escrow add up to the escrow the draw froze, so no unpaid (sock-puppet) ticket was slipped in. Free entries are marked and count 0.",
  "draw.beacon_declared":
    "A lot declares at opening whether its draw will use drand, and which chain. Without that, the operator could choose at funding to leave drand out.",
};
