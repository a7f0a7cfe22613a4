import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatCredits } from "../../lib/money";
import { formatMoment } from "../../admin/datetime";
import { Crumbs } from "../../admin/parts";
import { TableScroll } from "../../components/TableScroll";

/** The signature lines of a C2SP signed note: after the blank line, "— <key name> <base64>". */
function signatures(note: string): string[] {
  const [, rest = ""] = note.split("\n\n");
  return rest.split("\n").filter((line) => line.startsWith("—"));
}

export default function LedgerPage() {
  const checkpoint = useQuery({
    queryKey: ["ledger", "checkpoint"],
    queryFn: async () => unwrap(await api.GET("/api/ledger/checkpoint")),
    retry: false,
  });
  const reconciliation = useQuery({
    queryKey: ["admin", "reconciliation"],
    queryFn: async () => unwrap(await api.GET("/api/admin/reconciliation")),
    staleTime: 0,
  });
  const noCheckpoint = checkpoint.error instanceof ApiError && checkpoint.error.status === 404;

  return (
    <section aria-labelledby="ledger-title" className="stack">
      <Crumbs trail={[{ to: "/admin/ledger", label: "Ledger" }]} />
      <h1 id="ledger-title">Ledger</h1>

      <section aria-labelledby="checkpoint-title" className="card">
        <h2 id="checkpoint-title" style={{ marginTop: 0 }}>
          Latest signed checkpoint
        </h2>
        {checkpoint.isPending && <p role="status">Loading…</p>}
        {noCheckpoint ? (
          <p>No checkpoint is signed yet.</p>
        ) : (
          <ProblemAlert error={checkpoint.error} />
        )}
        {checkpoint.data && (
          <dl className="facts">
            <dt>Size</dt>
            <dd>{checkpoint.data.size.toLocaleString("en-US")} transactions</dd>
            <dt>Signed</dt>
            <dd>{formatMoment(checkpoint.data.created_at)}</dd>
            <dt>Origin</dt>
            <dd className="mono">{checkpoint.data.origin}</dd>
            <dt>Root hash</dt>
            <dd className="mono">{checkpoint.data.root_hash}</dd>
            <dt>Signature</dt>
            <dd className="mono">{signatures(checkpoint.data.note).join(" ") || "—"}</dd>
          </dl>
        )}
        {checkpoint.data && (
          <details>
            <summary>The signed note, as alot-verify reads it</summary>
            <pre className="mono-block">{checkpoint.data.note}</pre>
          </details>
        )}
        <p className="muted">
          Checkpoints are signed by the platform's scheduler on its own (every{" "}
          <code>ALOT_LEDGER_CHECKPOINT_INTERVAL_SECONDS</code>, when the ledger has grown); nobody can write the ledger
          over HTTP, so there is no button to make one.
        </p>
      </section>

      <section aria-labelledby="reconcile-title" className="card">
        <h2 id="reconcile-title" style={{ marginTop: 0 }}>
          Credits reconciliation
        </h2>
        <p className="muted">
          Every player's credit balance checked against their ledger account (what <code>alot reconcile</code> does).
          Payments are compared with the provider's records by <code>alot payments reconcile</code> on the server: it
          asks the provider about every purchase, too slow for this page.
        </p>
        {reconciliation.isFetching && (
          <p role="status" className="muted">
            Checking…
          </p>
        )}
        <ProblemAlert error={reconciliation.error} />
        {reconciliation.data && !reconciliation.isFetching && (
          <>
            {reconciliation.data.ok ? (
              <p role="status" className="alert ok">
                OK: every credit balance agrees with the ledger (checked {formatMoment(reconciliation.data.checked_at)}).
              </p>
            ) : (
              <div role="alert" className="alert error">
                <p>
                  {reconciliation.data.differences.length} credit{" "}
                  {reconciliation.data.differences.length === 1 ? "balance differs" : "balances differ"} from the ledger
                  (checked {formatMoment(reconciliation.data.checked_at)}). The ledger is the truth: this is a bug to
                  investigate, never to paper over.
                </p>
              </div>
            )}
            {reconciliation.data.differences.length > 0 && (
              <TableScroll label="Reconciliation differences">
                <table className="admin-table">
                  <thead>
                    <tr>
                      <th scope="col">Account</th>
                      <th scope="col">Ledger</th>
                      <th scope="col">Platform's balance</th>
                    </tr>
                  </thead>
                  <tbody>
                    {reconciliation.data.differences.map((d) => (
                      <tr key={`${d.account}/${d.asset}`}>
                        <td className="wrap mono">{d.account}</td>
                        <td>{formatCredits(d.ledger_balance_credits)}</td>
                        <td>
                          {d.projected_balance_credits === null ? "no row" : formatCredits(d.projected_balance_credits)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </>
        )}
        <button type="button" className="secondary" onClick={() => void reconciliation.refetch()} disabled={reconciliation.isFetching}>
          Check again
        </button>
      </section>
    </section>
  );
}
