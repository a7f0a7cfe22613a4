// /ledger (public): what this browser remembers of the ledger — the last checkpoint it
// verified (size, root, when it saw it, the witnesses that cosigned it), the result of
// the last check, and any fork it has seen, with the evidence to download.
import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { api, unwrap } from "../api/client";
import { EvidenceButtons, useLedgerCheck, useLedgerMemory } from "../checkpoints/LedgerWatch";
import { runLedgerCheck, type CheckResult } from "../checkpoints/status";
import { forgetLedger } from "../checkpoints/store";

const when = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "medium" });

function describe(last: CheckResult | null, checking: boolean): string {
  if (checking) return "Checking the ledger's latest checkpoint…";
  if (!last) return "Not checked yet in this tab.";
  if (last.kind === "no_checkpoint") return "The ledger has not signed a checkpoint yet.";
  if (last.kind === "error") return `The ledger could not be asked: ${last.message}`;
  const o = last.outcome;
  switch (o.kind) {
    case "first":
      return `First visit: this browser now remembers checkpoint ${o.checkpoint.size}, signed by the ledger's key.`;
    case "same":
      return `The ledger showed the checkpoint this browser remembers (size ${o.checkpoint.size}): the same history.`;
    case "grew":
      return `The ledger grew from ${o.from} to ${o.checkpoint.size} transactions, and its consistency proof shows the new checkpoint extends the one remembered.`;
    case "older":
      return `The ledger showed an earlier checkpoint (size ${o.shownSize}); its consistency proof shows it is a past state of the one remembered (size ${o.checkpoint.size}), which stays remembered.`;
    case "fork":
      return `Fork: ${o.fork.reason}.`;
    case "unverified":
      return `The checkpoint the ledger showed was not accepted (${o.reason}); the one remembered stays.`;
    case "unchecked":
      return `Not concluded: ${o.reason}. The checkpoint remembered stays.`;
  }
}

/** When the ledger says it signed the checkpoint of `size` (its own clock: the witnesses' times are independent). */
function SignedAt({ size }: { size: number }) {
  const signed = useQuery({
    queryKey: ["ledger", "checkpoint", size],
    queryFn: async () => unwrap(await api.GET("/api/ledger/checkpoints/{size}", { params: { path: { size } } })).created_at,
    staleTime: Infinity,
  });
  if (signed.data) return <>{when.format(new Date(signed.data))} (the ledger's clock)</>;
  return <>{signed.isError ? "not known" : "…"}</>;
}

export default function LedgerPage() {
  const memory = useLedgerMemory();
  const { last, checking } = useLedgerCheck();
  useEffect(() => {
    if (!last) void runLedgerCheck();
    // Only on arrival; the button checks again.
  }, []);
  const ledgers = Object.entries(memory.ledgers);
  return (
    <article className="stack" aria-labelledby="ledger-title">
      <h1 id="ledger-title">Ledger</h1>
      <p>
        Every purchase, refund and draw commitment is written to a public ledger whose state the platform signs in
        <em> checkpoints</em>. Your browser remembers the last checkpoint it saw and accepts a newer one only with a proof
        that it extends the old one, so the platform cannot show you one history and someone else another without
        your browser noticing. Independent witnesses cosign checkpoints too: each one vouches that it saw no other
        history either.
      </p>

      <h2>Last check</h2>
      <p role="status">{describe(last, checking)}</p>
      {last?.kind === "checked" && last.notes.length > 0 && (
        <ul>
          {last.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
      <p>
        <button type="button" onClick={() => void runLedgerCheck()} disabled={checking}>
          Check again
        </button>
      </p>

      {memory.forks.length > 0 && (
        <section aria-labelledby="forks-title">
          <h2 id="forks-title">Two histories seen</h2>
          {memory.forks.map((fork) => (
            <div key={fork.id} className="alert error">
              <p>
                <strong>{when.format(new Date(fork.detectedAt))}:</strong> {fork.reason}.
              </p>
              <dl className="ledger-facts">
                <dt>Remembered</dt>
                <dd>
                  size {fork.remembered.size}, root <code className="hash">{fork.remembered.root}</code>
                </dd>
                <dt>Shown</dt>
                <dd>
                  size {fork.shown.size}, root <code className="hash">{fork.shown.root}</code>
                </dd>
              </dl>
              <p className="fork-actions">
                <EvidenceButtons fork={fork} verifierKey={memory.ledgers[fork.origin]?.verifierKey ?? null} />
              </p>
            </div>
          ))}
        </section>
      )}

      <h2>The checkpoint this browser remembers</h2>
      {ledgers.length === 0 && <p>None yet.</p>}
      {ledgers.map(([origin, ledger]) => {
        const c = ledger.checkpoint;
        return (
          <section key={origin} aria-label={`Remembered checkpoint of ${origin}`}>
            {c ? (
              <dl className="ledger-facts">
                <dt>Ledger</dt>
                <dd>
                  <code>{origin}</code>
                </dd>
                <dt>Size</dt>
                <dd data-testid="remembered-size">{c.size} transactions</dd>
                <dt>Root</dt>
                <dd>
                  <code className="hash" data-testid="remembered-root">
                    {c.root}
                  </code>
                </dd>
                <dt>Signed</dt>
                <dd>
                  <SignedAt size={c.size} />
                </dd>
                <dt>First seen here</dt>
                <dd>{when.format(new Date(c.seenAt))}</dd>
                <dt>Witnesses</dt>
                <dd data-testid="remembered-witnesses">
                  {c.witnesses.length === 0
                    ? "not witnessed: no witness cosignature on this checkpoint"
                    : c.witnesses.map((w) => `${w.name} (cosigned ${when.format(new Date(w.cosignedAt * 1000))})`).join(", ")}
                </dd>
                <dt>Verifier key</dt>
                <dd>
                  <code className="hash">{ledger.verifierKey}</code>
                </dd>
              </dl>
            ) : (
              <p>No checkpoint remembered for {origin}.</p>
            )}
            <details>
              <summary>Forget this ledger</summary>
              <p>
                Only if the ledger was reset on purpose (a development server): your browser will trust the next checkpoint
                and key it sees, as on a first visit.
              </p>
              <button type="button" className="secondary" onClick={() => forgetLedger(origin)}>
                Forget what this browser remembers of {origin}
              </button>
            </details>
          </section>
        );
      })}
      <p>
        Auditors check the same with <code>alot-verify checkpoint</code>; see the docs for auditors.
      </p>
    </article>
  );
}
