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
