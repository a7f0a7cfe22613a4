// The refund choice of one purchase in a lot that expired unfunded: both amounts, as the
// platform computes them, before choosing; the date to choose by, as in the email that
// links here; a confirmation; then the choice, final. A cash refund is recorded at once
// and sent to the payment provider right after: the page follows it until it is done.
// The endpoint is idempotent by itself (the same choice again answers the same refund,
// another one is refused), so it takes no Idempotency-Key; the buttons are disabled while
// a choice is in flight.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { ApiError, errorMessage } from "../../api/problem";
import { formatCents, formatCredits } from "../../lib/money";
import {
  formatDateTime,
  formatUtcMinute,
  lotStatusLabel,
  ticketCount,
  timeLeft,
  type PurchaseRefundRead,
} from "../../me/format";
import { MeNav } from "../../me/MeNav";
import { refreshRecords, refundKey, useRefund } from "../../me/queries";
import "../../me/me.css";

type Choice = "cash" | "credits";

const REFUND_WORDS: Record<string, string> = {
  already_refunded: "This purchase was already refunded another way: a refund choice is final.",
  refund_choice_closed:
    "The time to choose has passed. Purchases without a choice are refunded in cash (98%), automatically.",
  refund_not_open: "Refunds for this lot have not started yet.",
  refund_choice_not_applicable: "This purchase was paid with credits: they come back by themselves, with no choice.",
  purchase_not_found: "We couldn't find that purchase among yours.",
};

function refundError(error: unknown): string {
  const words = error instanceof ApiError ? REFUND_WORDS[error.code] : undefined;
  return words ?? errorMessage(error);
}

/** The current time, refreshed every `ms` (for a countdown in words). */
function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export default function RefundChoicePage() {
  const { purchaseId = "" } = useParams();
  const refund = useRefund(purchaseId);
  const purchase = refund.data;
  const client = useQueryClient();
  const [asking, setAsking] = useState<Choice | null>(null);
  const [done, setDone] = useState(false);
  const resultRef = useRef<HTMLDivElement>(null);

  const choose = useMutation({
    mutationFn: async (choice: Choice) =>
      unwrap(
        await api.POST("/api/purchases/{purchase_id}/refund-choice", {
          params: { path: { purchase_id: purchaseId } },
          body: { choice },
        }),
      ),
    onSuccess: (data) => {
      client.setQueryData(refundKey(purchaseId), data);
      setDone(true);
      setAsking(null);
      void refreshRecords(client);
    },
    onError: () => {
      // The purchase may have changed meanwhile (chosen elsewhere, the date passed).
      void client.invalidateQueries({ queryKey: refundKey(purchaseId) });
    },
  });

  useEffect(() => {
    if (done) resultRef.current?.focus();
  }, [done]);

  return (
    <section aria-labelledby="refund-title">
      <MeNav />
      <h1 id="refund-title">{purchase && !purchase.can_choose ? "Your refund" : "Choose your refund"}</h1>
      {refund.isPending && <p role="status">Loading your purchase…</p>}
      {refund.isError && !purchase && (
        <p role="alert" className="alert error">
          {refundError(refund.error)}
        </p>
      )}
      {purchase && (
        <>
          <PurchaseFacts purchase={purchase} />
          {done && (
            <div className="alert ok" role="status" tabIndex={-1} ref={resultRef}>
              <ResultWords purchase={purchase} />
            </div>
          )}
          {purchase.can_choose ? (
            <Options
              purchase={purchase}
              busy={choose.isPending}
              onChoose={(choice) => {
                choose.reset();
                setAsking(choice);
              }}
            />
          ) : (
            <Settled purchase={purchase} />
          )}
          {!asking && choose.isError && (
            <p role="alert" className="alert error">
              {refundError(choose.error)}
            </p>
          )}
          <ConfirmDialog
            purchase={purchase}
            choice={asking}
            busy={choose.isPending}
            error={choose.isError ? refundError(choose.error) : null}
            onConfirm={(choice) => choose.mutate(choice)}
            onCancel={() => {
              if (!choose.isPending) setAsking(null);
            }}
          />
        </>
      )}
      <p>
        <Link to="/me/entries">Back to my entries</Link>
      </p>
    </section>
  );
}

function PurchaseFacts({ purchase }: { purchase: PurchaseRefundRead }) {
  return (
    <div className="card">
      <h2 className="visually-hidden">Your purchase</h2>
      <dl className="facts">
        <dt>Lot</dt>
        <dd>
          <Link to={`/lots/${purchase.lot_id}`}>{purchase.lot_title}</Link>
        </dd>
        <dt>Lot status</dt>
        <dd>{lotStatusLabel(purchase.lot_status)}</dd>
        <dt>Tickets</dt>
        <dd>{ticketCount(purchase.tickets)}</dd>
        <dt>You paid</dt>
        <dd>
          {purchase.method === "credits" ? formatCredits(purchase.spent_credits) : formatCents(purchase.amount_cents)}
        </dd>
      </dl>
    </div>
  );
}

function Options({
  purchase,
  onChoose,
  busy,
}: {
  purchase: PurchaseRefundRead;
  onChoose: (choice: Choice) => void;
  busy: boolean;
}) {
  const now = useNow();
  const deadline = purchase.refund_choice_deadline;
  const left = deadline ? timeLeft(deadline, now) : null;
  const cash = purchase.cash_offer_cents ?? 0;
  const credits = purchase.credits_offer_credits ?? 0;
  return (
    <>
      <h2>This lot did not fund in time</h2>
      <p>
        It will not be drawn, and you get your money back: choose how. Both amounts are final and shown before you
        choose.
      </p>
      {deadline && (
        <p className="alert info" data-testid="choice-deadline">
          Choose by <strong>{formatDateTime(deadline)}</strong>
          {left ? <> ({left} left)</> : null}: that is {formatUtcMinute(deadline)}, the time in the email we sent you.
          Without a choice by then, you get the cash refund.
        </p>
      )}
      <div className="refund-options">
        <article className="card refund-option" aria-labelledby="option-cash">
          <h3 id="option-cash">Cash back</h3>
          <p className="big" data-testid="cash-offer">
            {formatCents(cash)}
          </p>
          <p>98% of the {formatCents(purchase.amount_cents)} you paid, back to your card. The other 2% covers payment fees.</p>
          <button type="button" onClick={() => onChoose("cash")} disabled={busy}>
            Choose cash
          </button>
        </article>
        <article className="card refund-option" aria-labelledby="option-credits">
          <h3 id="option-credits">Credits</h3>
          <p className="big" data-testid="credits-offer">
            {formatCredits(credits)}
          </p>
          <p>
            1.5× what you paid, as credits: worth {formatCents(credits)} toward tickets in any lot (100 credits buy one
            ticket). Credits can't be cashed out.
          </p>
          <button type="button" onClick={() => onChoose("credits")} disabled={busy}>
            Choose credits
          </button>
        </article>
      </div>
    </>
  );
}

function offerWords(purchase: PurchaseRefundRead, choice: Choice): string {
  return choice === "cash"
    ? `${formatCents(purchase.cash_offer_cents ?? 0)} in cash`
    : formatCredits(purchase.credits_offer_credits ?? 0);
}

function ConfirmDialog({
  purchase,
  choice,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  purchase: PurchaseRefundRead;
  choice: Choice | null;
  busy: boolean;
  error: string | null;
  onConfirm: (choice: Choice) => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (choice && !dialog.open) dialog.showModal();
    if (!choice && dialog.open) dialog.close();
  }, [choice]);
  return (
    <dialog
      ref={ref}
      className="me-confirm"
      aria-labelledby={choice ? "confirm-title" : undefined}
      onCancel={(event) => {
        event.preventDefault(); // Escape: closed through our state (not while sending)
        onCancel();
      }}
    >
      {choice && (
        <>
          <h2 id="confirm-title">{choice === "cash" ? "Refund in cash?" : "Refund in credits?"}</h2>
          <p>
            You get <strong>{offerWords(purchase, choice)}</strong>
            {choice === "cash" ? ", back to your card" : ", added to your credit balance at once"}. This choice is final:
            it can't be changed afterwards.
          </p>
          {busy && <p role="status">Sending your choice…</p>}
          {error && (
            <p role="alert" className="alert error">
              {error}
            </p>
          )}
          <div className="row">
            <button type="button" onClick={() => onConfirm(choice)} disabled={busy}>
              {choice === "cash" ? "Confirm cash refund" : "Confirm credits"}
            </button>
            <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
              Go back
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}

function ResultWords({ purchase }: { purchase: PurchaseRefundRead }) {
  if (purchase.refund_choice === "credits") {
    return (
      <p>
        <strong>Done: {formatCredits(purchase.refunded_credits ?? 0)} were added to your balance.</strong>{" "}
        <Link to="/me/credits">See your credits</Link>
      </p>
    );
  }
  if (purchase.refund_status === "succeeded") {
    return (
      <p>
        <strong>Done: {formatCents(purchase.refunded_cents ?? 0)} is refunded to your card.</strong> It can take a few
        days to show on your statement.
      </p>
    );
  }
  if (purchase.refund_status === "failed") {
    return (
      <p>
        <strong>Your cash refund is recorded, but the payment provider refused it.</strong> Our support team will contact
        you.
      </p>
    );
  }
  return (
    <p>
      <strong>Your cash refund is recorded.</strong> The payment provider has not confirmed it yet; we keep asking, and
      this page shows it once it is done.
    </p>
  );
}

function Settled({ purchase }: { purchase: PurchaseRefundRead }) {
  if (purchase.refund_choice) {
    return (
      <>
        <h2>Your choice</h2>
        <dl className="facts" data-testid="refund-made">
          <dt>Choice</dt>
          <dd>{purchase.refund_choice === "cash" ? "Cash" : "Credits"}</dd>
          <dt>Amount</dt>
          <dd>
            {purchase.refund_choice === "cash"
              ? formatCents(purchase.refunded_cents ?? purchase.cash_offer_cents ?? 0)
              : formatCredits(purchase.refunded_credits ?? purchase.spent_credits)}
          </dd>
          <dt>Status</dt>
          <dd>{refundStatusWords(purchase)}</dd>
          {purchase.refunded_at && (
            <>
              <dt>Refunded</dt>
              <dd>{formatDateTime(purchase.refunded_at)}</dd>
            </>
          )}
        </dl>
        <p className="muted">A refund choice is final: this purchase has no other choice to make.</p>
      </>
    );
  }
  if (purchase.method === "credits") {
    return (
      <p className="alert info">
        You paid with credits: there is nothing to choose. The {formatCredits(purchase.spent_credits)} come back to your
        balance by themselves when the lot's refunds start.
      </p>
    );
  }
  if (purchase.lot_status === "refunding") {
    return (
      <p className="alert info">
        {REFUND_WORDS.refund_choice_closed}
        {purchase.refund_choice_deadline && <> The choice closed on {formatDateTime(purchase.refund_choice_deadline)}.</>}
      </p>
    );
  }
  if (purchase.lot_status === "expired") {
    return (
      <p className="alert info">
        This lot did not fund in time. Its refunds start within a minute, and we email you when you can choose cash or
        credits here.
      </p>
    );
  }
  return (
    <p className="alert info">
      There is no refund to choose: this lot is {lotStatusLabel(purchase.lot_status).toLowerCase()}. Refunds are offered
      only when a lot does not fund by its deadline.
    </p>
  );
}

function refundStatusWords(purchase: PurchaseRefundRead): string {
  switch (purchase.refund_status) {
    case "succeeded":
      return "Refunded";
    case "requested":
    case "pending":
      return "On its way: waiting for the payment provider";
    case "failed":
      return "The payment provider refused it: our support team will contact you";
    default:
      return "Not refunded yet";
  }
}
