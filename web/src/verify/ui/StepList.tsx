// A verifier's steps as an ordered list of text: each says "Passed", "Failed" or "Not
// checked" in words (the colour and the mark only repeat it), with the inputs, the
// published value and the value computed in this browser one click away.
import { Fragment } from "react";
import { CHECK_PURPOSE, type Step, type StepStatus } from "../steps";

const WORDS: Record<StepStatus, { mark: string; text: string }> = {
  pass: { mark: "✓", text: "Passed" },
  fail: { mark: "✗", text: "Failed" },
  not_checked: { mark: "–", text: "Not checked" },
};

export function StepList({ steps, label }: { steps: Step[]; label: string }) {
  return (
    <ol className="verify-steps" aria-label={label}>
      {steps.map((step, i) => (
        <li key={`${step.id}-${i}`} className={`verify-step ${step.status}`}>
          <p className="verify-step-head">
            <span className="verify-mark" aria-hidden="true">
              {WORDS[step.status].mark}
            </span>
            <strong className="verify-status">{WORDS[step.status].text}:</strong> <span>{step.title}</span>
          </p>
          {step.detail && <p className="verify-detail">{step.detail}</p>}
          {(step.formula || step.inputs.length > 0 || step.expected !== undefined) && (
            <details>
              <summary>
                How it was checked<span className="visually-hidden"> ({step.title})</span>
              </summary>
              <dl className="facts verify-facts">
                <dt>Check</dt>
                <dd>
                  <code>{step.id}</code>
                </dd>
                {CHECK_PURPOSE[step.id] && (
                  <>
                    <dt>Why it matters</dt>
                    <dd>{CHECK_PURPOSE[step.id]}</dd>
                  </>
                )}
                {step.formula && (
                  <>
                    <dt>Formula</dt>
                    <dd>
                      <code>{step.formula}</code>
                    </dd>
                  </>
                )}
                {step.inputs.map((input) => (
                  <Fragment key={input.label}>
                    <dt>{input.label}</dt>
                    <dd>
                      <code>{input.value}</code>
                    </dd>
                  </Fragment>
                ))}
                {step.expected !== undefined && (
                  <>
                    <dt>Published</dt>
                    <dd>
                      <code>{step.expected}</code>
                    </dd>
                  </>
                )}
                {step.computed !== undefined && (
                  <>
                    <dt>Computed in your browser</dt>
                    <dd>
                      <code>{step.computed}</code>
                    </dd>
                  </>
                )}
              </dl>
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}
