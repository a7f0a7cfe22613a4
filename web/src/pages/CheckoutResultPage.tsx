// Where Stripe Checkout sends the buyer back: /checkout/success?purchase=<id> waits for
// the payment's webhook by polling the player's entries until the purchase's tickets
// appear (or says plainly that it is taking long); /checkout/cancel says nothing was
// charged.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useLocation, useParams, useSearchParams } from "react-router";
import { api, unwrap } from "../api/client";
import { loginPath, useMe } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatCents } from "../lib/money";
import type { Entry } from "../lots/api";
import { plural, ticketRange } from "../lots/format";
import "../lots/lots.css";

const POLL_MS = 2000;
const GIVE_UP_MS = 90_000;

async function entriesOf(purchaseId: string): Promise<Entry[]> {
  // Newest first: a purchase just paid is on the first page.
  const page = unwrap(await api.GET("/api/users/me/entries", { params: { query: { limit: 50 } } }));
  return page.items.filter((entry) => entry.purchase_id === purchaseId);
}

function Waiting({ purchaseId }: { purchaseId: string }) {
  const [started] = useState(() => Date.now());
  const [timedOut, setTimedOut] = useState(false);
  useEffect(() => {
    const timer = window.setTimeout(() => setTimedOut(true), GIVE_UP_MS);
    return () => window.clearTimeout(timer);
  }, [started]);
  const entries = useQuery({
    queryKey: ["me", "entries", "purchase", purchaseId],
    queryFn: () => entriesOf(purchaseId),
    refetchInterval: (query) => ((query.state.data?.length ?? 0) > 0 || timedOut ? false : POLL_MS),
  });
  const found = entries.data ?? [];

  if (found.length > 0) {
    const tickets = found.reduce((sum, entry) => sum + entry.ticket_count, 0);
    const first = found[0]!;
    return (
      <section className="card receipt stack" role="status" aria-labelledby="paid-title">
        <h2 id="paid-title">Payment confirmed: you're in!</h2>
        <p>
          Your {plural(tickets, "ticket")} in <Link to={`/lots/${first.lot_id}`}>{first.lot_title}</Link>:{" "}
          <strong>{found.map((entry) => ticketRange(entry.tickets_start, entry.tickets_end)).join(", ")}</strong>
        </p>
        <dl className="facts">
          <dt>Paid</dt>
          <dd>{formatCents(found.reduce((sum, entry) => sum + entry.amount_paid_cents, 0))}</dd>
          <dt>Receipt</dt>
          <dd className="mono">{purchaseId}</dd>
          {first.ledger_seq !== null && (
            <>
              <dt>Ledger entry</dt>
              <dd>#{first.ledger_seq}</dd>
            </>
          )}
        </dl>
      </section>
    );
  }
  if (timedOut) {
    return (
      <div role="alert" className="alert info">
        <p>
          Your payment is taking longer than usual to confirm. If you paid, your tickets will appear in{" "}
          <Link to="/me/entries">My entries</Link> shortly: you are never charged twice. If the lot filled up before your
          payment arrived, it is refunded in full and we email you.
        </p>
        <button type="button" className="secondary" onClick={() => { setTimedOut(false); void entries.refetch(); }}>
          Keep waiting
        </button>
      </div>
    );
  }
  return (
    <div className="stack">
      <p role="status">Confirming your payment with the bank… this usually takes a few seconds.</p>
      {entries.isError && <ProblemAlert error={entries.error} />}
    </div>
  );
}

export default function CheckoutResultPage() {
  const { outcome } = useParams();
  const [params] = useSearchParams();
  const location = useLocation();
  const me = useMe();
  const purchaseId = params.get("purchase");

  if (outcome === "cancel") {
    return (
      <section className="stack" aria-labelledby="checkout-title">
        <h1 id="checkout-title">Payment cancelled</h1>
        <p className="alert ok">Nothing was charged. Your tickets were not bought.</p>
        <p>
          <Link to="/">Back to the lots</Link>
        </p>
      </section>
    );
  }
  if (outcome !== "success" || !purchaseId) {
    return (
      <section aria-labelledby="checkout-title">
        <h1 id="checkout-title">Payment</h1>
        <p>This payment link is incomplete. Your purchases are listed in <Link to="/me/entries">My entries</Link>.</p>
      </section>
    );
  }
  return (
    <section className="stack" aria-labelledby="checkout-title">
      <h1 id="checkout-title">Thank you</h1>
      {me.isPending ? (
        <p role="status">Checking your session…</p>
      ) : !me.data ? (
        <p>
          <Link to={loginPath(location)}>Log in</Link> to see your tickets: your payment is safe either way.
        </p>
      ) : (
        <Waiting purchaseId={purchaseId} />
      )}
    </section>
  );
}
