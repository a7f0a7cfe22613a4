import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatMoment } from "../../admin/datetime";
import { SelectField } from "../../admin/fields";
import { Crumbs, Pager, useCursorPages } from "../../admin/parts";

// What each kind of event needing attention means, and what to do about it
// (docs/platform/payments.md).
const OUTCOMES: { value: string; label: string; meaning: string }[] = [
  {
    value: "unapplied",
    label: "Not applied yet",
    meaning:
      "The platform stored the provider's event but has not applied it (it failed or is waiting). The scheduler retries it every minute; `alot payments retry-events` retries now. Look at the last error if the attempts keep growing.",
  },
  {
    value: "unmatched",
    label: "Matches no purchase",
    meaning:
      "The provider reported a payment no purchase here knows of (e.g. made from the provider's dashboard, or for another platform on the same account). Check it in the provider's dashboard; refund it there if it is not ours.",
  },
  {
    value: "refund_mismatch",
    label: "Refund we didn't make",
    meaning:
      "The provider reports refunds the platform did not make (a refund from the provider's dashboard). The buyer keeps their tickets here: decide whether to cancel them, and answer the buyer.",
  },
  {
    value: "disputed",
    label: "Disputed",
    meaning:
      "The buyer disputed the charge with their bank. The purchase keeps its tickets (the draw's inputs are fixed). Answer the dispute in the provider's dashboard; if this purchase wins, hold the prize until the dispute is resolved.",
  },
];

function kindOf(event: { processed_at: string | null; outcome: string | null }) {
  if (!event.processed_at) return OUTCOMES[0]!;
  return OUTCOMES.find((o) => o.value === event.outcome) ?? { value: event.outcome ?? "", label: event.outcome ?? "", meaning: "" };
}

export default function PaymentsPage() {
  const [outcome, setOutcome] = useState("");
  const pages = useCursorPages();
  const events = useQuery({
    queryKey: ["admin", "payment-events", outcome, pages.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/admin/payments/events", {
          params: { query: { outcome: outcome && outcome !== "unapplied" ? outcome : undefined, limit: 25, cursor: pages.cursor } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const items = (events.data?.items ?? []).filter((e) => outcome !== "unapplied" || !e.processed_at);

  return (
    <section aria-labelledby="payments-title" className="stack">
      <Crumbs trail={[{ to: "/admin/payments", label: "Payment events" }]} />
      <h1 id="payments-title">Payment events needing attention</h1>
      <p className="muted">
        Events from the payment provider that a person must look at. Everything else the platform applies by itself.
        For a full comparison with the provider's records, run <code>alot payments reconcile</code> on the server.
      </p>
      <details className="card">
        <summary>What each kind means</summary>
        <dl className="facts" style={{ gridTemplateColumns: "1fr" }}>
          {OUTCOMES.map((o) => (
            <div key={o.value}>
              <dt>{o.label}</dt>
              <dd style={{ fontWeight: 400 }}>{o.meaning}</dd>
            </div>
          ))}
        </dl>
      </details>
      <div style={{ maxWidth: "20rem" }}>
        <SelectField
          label="Show"
          value={outcome}
          onChange={(e) => {
            pages.reset();
            setOutcome(e.target.value);
          }}
          options={[{ value: "", label: "Everything needing attention" }, ...OUTCOMES.map((o) => ({ value: o.value, label: o.label }))]}
        />
      </div>
      {events.isPending && <p role="status">Loading…</p>}
      <ProblemAlert error={events.error} />
      {events.data && items.length === 0 && (
        <p role="status" className="alert ok">
          Nothing needs attention{outcome ? " of this kind" : ""}.
        </p>
      )}
      {items.length > 0 && (
        <ul className="stack" style={{ listStyle: "none", padding: 0 }}>
          {items.map((event) => {
            const kind = kindOf(event);
            return (
              <li key={event.id} className="card">
                <h2 style={{ margin: 0, fontSize: "1.05rem" }}>
                  {kind.label} <span className="badge">{event.type}</span>
                </h2>
                <p style={{ margin: "0.25rem 0" }}>{kind.meaning}</p>
                <dl className="facts">
                  <dt>Event</dt>
                  <dd className="mono">{event.id}</dd>
                  <dt>Received</dt>
                  <dd>{formatMoment(event.received_at)}</dd>
                  <dt>Purchase</dt>
                  <dd className="mono">{event.purchase_id ?? "none"}</dd>
                  <dt>Attempts</dt>
                  <dd>{event.attempts}</dd>
                  {event.detail && (
                    <>
                      <dt>Detail</dt>
                      <dd>{event.detail}</dd>
                    </>
                  )}
                  {event.last_error && (
                    <>
                      <dt>Last error</dt>
                      <dd className="mono">{event.last_error}</dd>
                    </>
                  )}
                </dl>
              </li>
            );
          })}
        </ul>
      )}
      <Pager
        page={pages.page}
        nextCursor={events.data?.next_cursor}
        onNext={pages.next}
        onPrevious={pages.previous}
        busy={events.isFetching}
      />
    </section>
  );
}
