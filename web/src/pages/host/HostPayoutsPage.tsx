// A host's payouts: Stripe Connect onboarding, the balances from the ledger (held until
// the winner has the prize, payable, paid out) and every payout with its transfer id
// (docs/platform/payouts.md).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";
import { formatMoment } from "../../admin/datetime";
import { ProblemAlert } from "../../components/ProblemAlert";
import { TableScroll } from "../../components/TableScroll";
import { formatCents } from "../../lib/money";

const CONNECT_WORDS = {
  none: "Not connected: connect a Stripe account to be paid.",
  pending: "Onboarding not finished: Stripe needs more details before it can pay you.",
  enabled: "Connected: payouts are sent to your Stripe account.",
} as const;

const PAYOUT_WORDS = { pending: "Being transferred", paid: "Paid", failed: "Failed" } as const;

export default function HostPayoutsPage() {
  const queryClient = useQueryClient();
  const [search] = useSearchParams();
  const [notice, setNotice] = useState<string | null>(null);
  const mine = useQuery({
    queryKey: ["host", "payouts"],
    queryFn: async () => unwrap(await api.GET("/api/hosts/me/payouts")),
    retry: false,
  });

  const connect = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/hosts/me/connect")),
    onSuccess: (link) => {
      if (link.test_mode && link.status === "enabled") {
        // The sandbox onboards at once: nothing to fill in at Stripe.
        setNotice("Test mode: your account is connected at once (no money moves).");
        void queryClient.invalidateQueries({ queryKey: ["host", "payouts"] });
        return;
      }
      window.location.assign(link.url);
    },
  });

  const notHost = mine.error instanceof ApiError && mine.error.code === "not_a_host";
  const back = search.get("onboarding");
  const data = mine.data;

  return (
    <section aria-labelledby="payouts-title" className="stack">
      <p>
        <Link to="/host">← Host portal</Link>
      </p>
      <h1 id="payouts-title">Payouts</h1>
      <p className="muted">
        Your share of a lot is held until its winner has the prize, then it becomes payable and is sent to your Stripe
        account, all of it at once, usually within minutes.
      </p>
      {mine.isPending && <p role="status">Loading your payouts…</p>}
      {notHost ? (
        <p role="alert" className="alert error">
          You have no host profile yet. <Link to="/host/apply">Apply to become a host</Link> first.
        </p>
      ) : (
        <ProblemAlert error={mine.error} />
      )}
      {notice && (
        <p role="status" className="alert ok">
          {notice}
        </p>
      )}
      {back === "refresh" && !notice && (
        <p role="status" className="alert">
          The onboarding link expired: connect again for a fresh one.
        </p>
      )}
      {back === "return" && data?.connect.status === "pending" && !notice && (
        <p role="status" className="alert">
          Welcome back. Stripe is checking your details; this page shows when payouts are enabled.
        </p>
      )}

      {data && (
        <>
          <section className="card" aria-labelledby="connect-title">
            <h2 id="connect-title">Stripe account</h2>
            <p data-testid="connect-status">{CONNECT_WORDS[data.connect.status]}</p>
            {data.connect.test_mode && (
              <p className="muted">
                <strong>Test mode</strong>: no real money moves.
              </p>
            )}
            {data.connect.account_id && (
              <p className="muted">
                Account <span className="mono">{data.connect.account_id}</span>
              </p>
            )}
            {data.connect.status !== "enabled" && (
              <button type="button" onClick={() => connect.mutate()} disabled={connect.isPending}>
                {data.connect.status === "none" ? "Connect with Stripe" : "Continue onboarding"}
              </button>
            )}
            <ProblemAlert error={connect.error} />
          </section>

          <section className="card" aria-labelledby="balances-title">
            <h2 id="balances-title">Balances</h2>
            <dl className="facts">
              <dt>Held until delivery</dt>
              <dd data-testid="held">{formatCents(data.balances.held_cents)}</dd>
              <dt>Payable</dt>
              <dd data-testid="payable">{formatCents(data.balances.payable_cents)}</dd>
              <dt>Being transferred</dt>
              <dd>{formatCents(data.balances.pending_cents)}</dd>
              <dt>Paid out</dt>
              <dd data-testid="paid-out">{formatCents(data.balances.paid_out_cents)}</dd>
            </dl>
            <p className="muted">Payouts start at {formatCents(data.minimum_payout_cents)}.</p>
          </section>

          <h2>Payout history</h2>
          {data.payouts.length === 0 ? (
            <p>No payouts yet.</p>
          ) : (
            <TableScroll label="Payouts">
              <table>
                <caption className="visually-hidden">Payouts, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Made</th>
                    <th scope="col">Amount</th>
                    <th scope="col">Status</th>
                    <th scope="col">Stripe transfer</th>
                  </tr>
                </thead>
                <tbody>
                  {data.payouts.map((payout) => (
                    <tr key={payout.id}>
                      <td>{formatMoment(payout.created_at)}</td>
                      <td>{formatCents(payout.amount_cents)}</td>
                      <td>
                        {PAYOUT_WORDS[payout.status]}
                        {payout.status === "failed" && payout.last_error && (
                          <span className="muted"> — {payout.last_error}</span>
                        )}
                      </td>
                      <td className="mono wrap">{payout.stripe_transfer_id ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
        </>
      )}
    </section>
  );
}
