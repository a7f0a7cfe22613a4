import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ConfirmDialog } from "../../admin/ConfirmDialog";
import { formatMoment } from "../../admin/datetime";
import { parseDollars } from "../../admin/money";
import { AdminProblem, Crumbs } from "../../admin/parts";
import { Field } from "../../components/Field";
import { ProblemAlert } from "../../components/ProblemAlert";
import { TableScroll } from "../../components/TableScroll";
import { formatCents } from "../../lib/money";
import "../../admin/admin.css";

type Payout = components["schemas"]["PayoutRead"];
type Owed = components["schemas"]["WinnerOwedRead"];

const STATUS_WORDS = { pending: "Being transferred", paid: "Paid", failed: "Failed" } as const;

/** Hosts' payouts (Stripe Connect transfers, a refused one retried here) and the winners
 * owed cash, paid by hand and recorded here (docs/platform/payouts.md). */
export default function PayoutsAdminPage() {
  const queryClient = useQueryClient();
  const [retrying, setRetrying] = useState<Payout | null>(null);
  const [paying, setPaying] = useState<Owed | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const payouts = useQuery({
    queryKey: ["admin", "payouts"],
    queryFn: async () => unwrap(await api.GET("/api/admin/payouts")),
  });

  const retry = useMutation({
    mutationFn: async (payout: Payout) =>
      unwrap(
        await api.POST("/api/admin/payouts/{payout_id}/retry", { params: { path: { payout_id: payout.id } } }),
      ),
    onSuccess: (payout) => {
      setNotice(`Payout of ${formatCents(payout.amount_cents)}: ${STATUS_WORDS[payout.status].toLowerCase()}.`);
      setRetrying(null);
      void queryClient.invalidateQueries({ queryKey: ["admin", "payouts"] });
    },
  });

  return (
    <section aria-labelledby="payouts-title" className="stack">
      <Crumbs trail={[{ to: "/admin/payouts", label: "Payouts" }]} />
      <h1 id="payouts-title">Payouts</h1>
      <p className="muted">
        A host's share is paid out by a Stripe transfer to its connected account once it is payable. A payout Stripe
        refused (the account cannot receive transfers) waits here: fix the cause with the host, then retry it. Winners
        whose prize never came are owed its value in cash: pay them by bank transfer (Stripe cannot pay a person
        without a connected account), then record the payment with its reference.
      </p>
      {notice && (
        <p role="status" className="alert ok">
          {notice}
        </p>
      )}
      {payouts.isPending && <p role="status">Loading…</p>}
      <ProblemAlert error={payouts.error} />

      <h2>Winners owed cash</h2>
      {payouts.data && payouts.data.winners_owed.length === 0 && <p>No winner is owed anything.</p>}
      {payouts.data && payouts.data.winners_owed.length > 0 && (
        <TableScroll label="Winners owed cash">
          <table className="admin-table">
            <caption className="muted table-caption">Cash owed on each winner's payable account</caption>
            <thead>
              <tr>
                <th scope="col">Winner</th>
                <th scope="col">Owed</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {payouts.data.winners_owed.map((owed) => (
                <tr key={owed.user_id}>
                  <td className="wrap">
                    {owed.username ?? "—"} <span className="mono muted">{owed.user_id}</span>
                  </td>
                  <td>{formatCents(owed.owed_cents)}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() => {
                        setNotice(null);
                        setPaying(owed);
                      }}
                      aria-label={`Record a payment to ${owed.username ?? owed.user_id}`}
                    >
                      Record payment
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {paying && (
        <WinnerPaymentForm
          owed={paying}
          onDone={(message) => {
            setPaying(null);
            setNotice(message);
            void queryClient.invalidateQueries({ queryKey: ["admin", "payouts"] });
          }}
          onCancel={() => setPaying(null)}
        />
      )}

      <h2>Host payouts</h2>
      {payouts.data && payouts.data.host_payouts.length === 0 && <p>No payouts yet.</p>}
      {payouts.data && payouts.data.host_payouts.length > 0 && (
        <TableScroll label="Host payouts">
          <table className="admin-table">
            <caption className="muted table-caption">The latest first</caption>
            <thead>
              <tr>
                <th scope="col">Made</th>
                <th scope="col">Host</th>
                <th scope="col">Amount</th>
                <th scope="col">Status</th>
                <th scope="col">Stripe transfer</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {payouts.data.host_payouts.map((payout) => (
                <tr key={payout.id}>
                  <td>{formatMoment(payout.created_at)}</td>
                  <td className="mono wrap">{payout.host_id}</td>
                  <td>{formatCents(payout.amount_cents)}</td>
                  <td className="wrap">
                    {STATUS_WORDS[payout.status]}
                    {payout.last_error && <span className="muted task-error"> — {payout.last_error}</span>}
                  </td>
                  <td className="mono wrap">{payout.stripe_transfer_id ?? "—"}</td>
                  <td>
                    {payout.status === "failed" ? (
                      <button
                        type="button"
                        className="secondary small"
                        onClick={() => {
                          retry.reset();
                          setNotice(null);
                          setRetrying(payout);
                        }}
                        aria-label={`Retry the payout of ${formatCents(payout.amount_cents)}`}
                      >
                        Retry
                      </button>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}

      <ConfirmDialog
        open={retrying !== null}
        title="Retry this payout?"
        confirmLabel="Retry payout"
        busy={retry.isPending}
        error={retry.error}
        onConfirm={() => retrying && retry.mutate(retrying)}
        onCancel={() => setRetrying(null)}
      >
        {retrying && (
          <p>
            Stripe is asked again for a transfer of <strong>{formatCents(retrying.amount_cents)}</strong> to the host's
            account. It refused before with: <span className="mono">{retrying.last_error}</span>
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}

function WinnerPaymentForm({
  owed,
  onDone,
  onCancel,
}: {
  owed: Owed;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const [amount, setAmount] = useState((owed.owed_cents / 100).toFixed(2));
  const [reference, setReference] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const record = useMutation({
    mutationFn: async (body: { user_id: string; amount_cents: number; reference: string }) =>
      unwrap(await api.POST("/api/admin/winner-payouts", { body })),
    onSuccess: (paid) =>
      onDone(
        `Recorded ${formatCents(paid.amount_cents)} paid to ${owed.username ?? owed.user_id}` +
          ` (ledger #${paid.ledger_seq}); still owed ${formatCents(paid.owed_cents)}.`,
      ),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseDollars(amount);
    if (!parsed.ok) {
      setProblem(parsed.message);
      return;
    }
    if (parsed.cents > owed.owed_cents) {
      setProblem(`That is more than the ${formatCents(owed.owed_cents)} owed.`);
      return;
    }
    setProblem(null);
    record.mutate({ user_id: owed.user_id, amount_cents: parsed.cents, reference: reference.trim() });
  }

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="winner-payment-title">
      <h3 id="winner-payment-title">Record a payment to {owed.username ?? owed.user_id}</h3>
      <p className="muted">Owed {formatCents(owed.owed_cents)}. Record only money already sent.</p>
      <Field
        label="Amount paid (USD)"
        inputMode="decimal"
        value={amount}
        onChange={(event) => setAmount(event.target.value)}
        error={problem ?? undefined}
        required
      />
      <Field
        label="Payment reference"
        hint="The bank transfer's own reference: letters, digits, . _ : / -"
        value={reference}
        onChange={(event) => setReference(event.target.value)}
        maxLength={100}
        required
      />
      <AdminProblem error={record.error} />
      <div className="row">
        <button type="submit" disabled={record.isPending}>
          Record payment
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
