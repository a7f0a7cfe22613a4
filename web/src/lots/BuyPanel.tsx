// Buying tickets, with cash (the sandbox completes at once; Stripe goes to Checkout)
// or with credits. ONE Idempotency-Key per intended purchase: made when the player
// picks what to buy, reused by every retry and repeated click, replaced after success,
// so a double click buys once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, newIdempotencyKey, unwrap } from "../api/client";
import { ProblemAlert } from "../components/ProblemAlert";
import { PlayProblemLink } from "../play/PlayProblemLink";
import { ApiError } from "../api/problem";
import { AcceptTermsPanel } from "../compliance/AcceptTerms";
import { needsAcceptance } from "../compliance/terms";
import { useMe } from "../auth/session";
import { formatCents, formatCredits } from "../lib/money";
import {
  CREDITS_KEY,
  MY_ENTRIES_KEY,
  PAYMENT_CONFIG_KEY,
  fetchCredits,
  fetchPaymentConfig,
  lotKey,
  myOddsKey,
  type Lot,
  type Purchase,
} from "./api";
import { plural, ticketRange } from "./format";
import { FreeEntryPanel } from "./FreeEntryPanel";

const CREDITS_PER_TICKET = 100;
const PURCHASE_WORDS: Record<string, string> = {
  succeeded: "Paid",
  pending: "Waiting for the payment",
  failed: "Not paid",
  refunded: "Refunded",
};

export function TestModeNote() {
  return (
    <p className="alert info">
      <span className="badge test-mode">Test mode</span> — no real money moves.
    </p>
  );
}

function Receipt({ purchase, lot }: { purchase: Purchase; lot: Lot }) {
  const pending = purchase.status === "pending";
  return (
    <section className="card receipt stack" aria-labelledby="receipt-title" role="status">
      <h3 id="receipt-title">{pending ? "Payment started" : "You're in!"}</h3>
      {purchase.tickets_start !== null && purchase.tickets_end !== null ? (
        <p>
          Your {plural(purchase.tickets, "ticket")}: <strong>{ticketRange(purchase.tickets_start, purchase.tickets_end)}</strong>
        </p>
      ) : (
        <p>Your tickets appear as soon as the payment is confirmed.</p>
      )}
      <dl className="facts">
        <dt>Paid</dt>
        <dd>{purchase.method === "credits" ? formatCredits(purchase.spent_credits) : formatCents(purchase.amount_cents)}</dd>
        <dt>Status</dt>
        <dd>{PURCHASE_WORDS[purchase.status] ?? purchase.status}</dd>
        <dt>Receipt</dt>
        <dd className="mono">{purchase.id}</dd>
        {purchase.ledger_seq !== null && (
          <>
            <dt>Ledger entry</dt>
            <dd>#{purchase.ledger_seq}</dd>
          </>
        )}
      </dl>
      {purchase.payment?.test_mode && <TestModeNote />}
      {purchase.lot_status === "funded" && <p>Your purchase funded the lot: the draw runs now.</p>}
      <p>
        <Link to="/me/entries">See all my entries</Link> · {lot.title}
      </p>
    </section>
  );
}

export function BuyPanel({ lot }: { lot: Lot }) {
  const queryClient = useQueryClient();
  const ids = useId();
  const config = useQuery({ queryKey: PAYMENT_CONFIG_KEY, queryFn: fetchPaymentConfig, staleTime: Infinity });
  const credits = useQuery({ queryKey: CREDITS_KEY, queryFn: fetchCredits });
  const [receipt, setReceipt] = useState<Purchase | null>(null);

  // Cash: the bundle and the key of the purchase the player is about to make.
  const [bundle, setBundle] = useState<number | null>(lot.entry_bundles.length === 1 ? 0 : null);
  const cashKey = useRef<string>(newIdempotencyKey());
  // Credits: the ticket count and its purchase's key.
  const [tickets, setTickets] = useState(1);
  const creditKey = useRef<string>(newIdempotencyKey());

  function refreshAfter(purchase: Purchase) {
    setReceipt(purchase);
    void queryClient.invalidateQueries({ queryKey: lotKey(lot.id) });
    void queryClient.invalidateQueries({ queryKey: MY_ENTRIES_KEY });
    void queryClient.invalidateQueries({ queryKey: CREDITS_KEY });
    void queryClient.invalidateQueries({ queryKey: myOddsKey(lot.id) });
    void queryClient.invalidateQueries({ queryKey: ["lots"] });
  }

  const cash = useMutation({
    mutationFn: async ({ index, key }: { index: number; key: string }) => {
      const header = { "Idempotency-Key": key };
      if (config.data && !config.data.completes_at_once) {
        return unwrap(
          await api.POST("/api/payments/create-checkout-session", {
            params: { header },
            body: { lot_id: lot.id, bundle_index: index },
          }),
        );
      }
      return unwrap(
        await api.POST("/api/lots/{lot_id}/entries/purchase", {
          params: { path: { lot_id: lot.id }, header },
          body: { bundle_index: index },
        }),
      );
    },
    onSuccess: (purchase) => {
      if (purchase.status === "pending" && purchase.payment?.checkout_url) {
        // Stripe Checkout: the player pays there and comes back to /checkout/success.
        window.location.assign(purchase.payment.checkout_url);
        return;
      }
      cashKey.current = newIdempotencyKey(); // the next purchase is another one
      refreshAfter(purchase);
    },
  });

  const withCredits = useMutation({
    mutationFn: async ({ count, key }: { count: number; key: string }) =>
      unwrap(
        await api.POST("/api/lots/{lot_id}/entries/purchase-with-credits", {
          params: { path: { lot_id: lot.id }, header: { "Idempotency-Key": key } },
          body: { tickets: count },
        }),
      ),
    onSuccess: (purchase) => {
      creditKey.current = newIdempotencyKey();
      refreshAfter(purchase);
    },
  });

  const busy = cash.isPending || withCredits.isPending;
  const refusal = [cash.error, withCredits.error].find((error) => error instanceof ApiError);
  // Refused for new terms: accept them here, then buy again (the same key: nothing was bought).
  const termsRefused = refusal instanceof ApiError && refusal.code === "terms_not_accepted";
  const identityRefused = refusal instanceof ApiError && refusal.code === "identity_required";
  // The page's banner asks already when the account says so: one panel, not two.
  const me = useMe();
  const bannerShown = needsAcceptance(me.data?.terms);
  // Accepted since the refused purchase was sent (here or in the banner): buy again.
  const acceptedSince =
    termsRefused &&
    me.data?.terms?.current === true &&
    me.dataUpdatedAt > Math.max(cash.submittedAt, withCredits.submittedAt);
  useEffect(() => {
    if (!acceptedSince) return;
    cash.reset();
    withCredits.reset();
  }, [acceptedSince, cash, withCredits]);
  const inFlight = useRef(false);

  function chooseBundle(index: number) {
    if (index !== bundle) cashKey.current = newIdempotencyKey(); // another intended purchase
    setBundle(index);
    cash.reset();
  }

  function buyCash(event: FormEvent) {
    event.preventDefault();
    if (bundle === null || busy || inFlight.current) return;
    inFlight.current = true;
    setReceipt(null);
    cash.mutate({ index: bundle, key: cashKey.current }, { onSettled: () => (inFlight.current = false) });
  }

  function buyCredits(event: FormEvent) {
    event.preventDefault();
    if (busy || inFlight.current || tickets < 1) return;
    inFlight.current = true;
    setReceipt(null);
    withCredits.mutate({ count: tickets, key: creditKey.current }, { onSettled: () => (inFlight.current = false) });
  }

  const chosen = bundle === null ? undefined : lot.entry_bundles[bundle];
  const balance = credits.data?.balance_credits;
  const stripe = config.data && !config.data.completes_at_once;

  return (
    <section className="stack" aria-labelledby={`${ids}-buy`}>
      <h2 id={`${ids}-buy`}>Buy tickets</h2>
      <p className="alert ok" style={{ margin: 0 }}>
        You answered the question correctly: you can buy tickets.
      </p>
      {receipt && <Receipt purchase={receipt} lot={lot} />}
      {termsRefused && !acceptedSince && bannerShown && (
        <p className="alert info">Accept the new terms above, then buy again.</p>
      )}
      {termsRefused && !acceptedSince && !bannerShown && <AcceptTermsPanel />}
      {identityRefused && (
        <p className="alert info">
          <Link to="/account#identity">Verify your identity</Link> on your account page, then buy again.
        </p>
      )}

      <form className="card stack panel-form" onSubmit={buyCash} aria-labelledby={`${ids}-cash`}>
        <h3 id={`${ids}-cash`} style={{ margin: 0 }}>
          Pay by card
        </h3>
        {config.data?.test_mode && <TestModeNote />}
        {config.isError && <ProblemAlert error={config.error} />}
        <fieldset className="bundle-choice">
          <legend>Choose a bundle</legend>
          {lot.entry_bundles.map((b) => (
            <label key={b.index}>
              <input type="radio" name={`${ids}-bundle`} value={b.index} checked={bundle === b.index} onChange={() => chooseBundle(b.index)} />
              <span>
                {plural(b.tickets, "ticket")} for {formatCents(b.price_cents)}{" "}
                <span className="muted">(${b.price_per_ticket} each)</span>
              </span>
            </label>
          ))}
        </fieldset>
        <ProblemAlert error={cash.error} />
        <PlayProblemLink error={cash.error} />
        <div>
          <button type="submit" disabled={!chosen || busy || !config.data}>
            {cash.isPending
              ? "Buying…"
              : chosen
                ? `Buy ${plural(chosen.tickets, "ticket")} for ${formatCents(chosen.price_cents)}`
                : "Choose a bundle to buy"}
          </button>
        </div>
        {stripe && <p className="muted">You'll pay on Stripe's secure page, then come back here.</p>}
      </form>

      <form className="card stack panel-form" onSubmit={buyCredits} aria-labelledby={`${ids}-credits`}>
        <h3 id={`${ids}-credits`} style={{ margin: 0 }}>
          Pay with credits
        </h3>
        <p style={{ margin: 0 }}>
          {credits.isPending
            ? "Loading your balance…"
            : balance !== undefined
              ? `Your balance: ${formatCredits(balance)} (${CREDITS_PER_TICKET} credits buy one ticket).`
              : ""}
        </p>
        {credits.isError && <ProblemAlert error={credits.error} />}
        <div className="field">
          <label htmlFor={`${ids}-tickets`}>Number of tickets</label>
          <input
            id={`${ids}-tickets`}
            type="number"
            inputMode="numeric"
            min={1}
            max={10000}
            value={tickets}
            onChange={(event) => {
              const value = Math.max(1, Math.min(10000, Math.floor(Number(event.target.value) || 1)));
              if (value !== tickets) creditKey.current = newIdempotencyKey();
              setTickets(value);
              withCredits.reset();
            }}
          />
          <small className="hint">Costs {formatCredits(tickets * CREDITS_PER_TICKET)}.</small>
        </div>
        <ProblemAlert error={withCredits.error} />
        <PlayProblemLink error={withCredits.error} />
        <div>
          <button type="submit" className="secondary" disabled={busy}>
            {withCredits.isPending ? "Buying…" : `Buy ${plural(tickets, "ticket")} with credits`}
          </button>
        </div>
      </form>

      <FreeEntryPanel lot={lot} />
    </section>
  );
}
