"""Handling Stripe's payment events: each stored once, applied once, in any order.

Stripe retries webhooks for days, delivers them more than once, at once and out of
order. So:

- ``record`` stores an event by its id with insert-or-ignore; a repeat stores nothing.
- ``process`` applies one stored event in its own unit of work: it locks the event row
  (an event applied already is skipped), then the purchase's lot, then reads the
  purchase as committed. Every decision is taken from the purchase's state under that
  lock, so whichever of a payment's events comes first does the work and the others
  find it done: ``checkout.session.completed`` and ``payment_intent.succeeded`` both
  mean "paid", and a paid purchase that an earlier ``checkout.session.expired`` had
  failed is still completed (the money is the truth).
- A paid purchase gets its tickets exactly as a purchase paid at once does (the lot
  lock, the same checks, ``allocate_entry``, the same ledger transaction, funding with
  frozen draw inputs), with Stripe's ids in the ledger refs. If the lot no longer sells
  (funded by others, expired, the buyer's cap reached meanwhile), the payment is
  refunded in full under the key ``late-refund:<purchase id>``, recorded on the
  purchase and in the ledger, and the buyer is told why. In phases with a recovery
  point between them: the decision is committed first (the event's outcome
  ``late_refund_due``, which every later event of the payment follows); then the
  request is noted on the event and committed; then Stripe is called with no
  transaction open and no row locked (payments/tasks.py); then its answer is recorded
  under the event's and the purchase's locks. If Stripe's answer or a commit is lost,
  the phases run again and Stripe answers the same key with the same refund (two
  runners at once get the same refund too, and only the first records it); a lot
  reopened meanwhile cannot turn a refunded payment into tickets. A refund Stripe
  reports pending is not recorded: the event stays due and the tick asks for the
  refund again until it has succeeded.
- Every paid purchase (tickets or a late refund) owes the ledger Stripe's processing
  fee: a ``payment_fees`` row is written in the same unit of work, and the fee is read
  from Stripe and posted after the commit (payments/fees.py).
- The buyer of a late payment is told why in an email written to the outbox in the
  unit of work that records the refund, and delivered after it (alot_platform/outbox).
- ``charge.refunded`` is checked against the refunds the platform made (while one of
  the platform's cash refunds is still in flight, it first finishes that refund:
  refunds/service.py);
  ``charge.dispute.created`` marks the purchase (a ledger memo with Stripe's ids) for
  admins. What happens to a disputed purchase's tickets is decided in
  docs/platform/payments.md.
- ``account.updated`` (a host's connected account, Stripe Connect) sets whether the
  host can be paid out (``hosts.payouts_enabled``: onboarding submitted and payouts
  enabled at Stripe; payouts/service.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alot_ledger import Ledger
from alot_ledger.repository import LedgerRepository
from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.draws.service import DrawService
from alot_platform.entries.models import LotEntryPurchase, PurchaseStatus
from alot_platform.entries.repository import EntryRepository
from alot_platform.entries.service import (
    TicketCapExceeded,
    allocate_entry,
    check_selling,
    purchase_ledger_request,
)
from alot_platform.errors import AlotError, InvalidInput
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.state import transition
from alot_platform.money import format_cents
from alot_platform.observability import business
from alot_platform.outbox.service import enqueue
from alot_platform.payments.fees import record_fee_due
from alot_platform.payments.models import PaymentEvent, PaymentOutcome
from alot_platform.payments.provider import ConnectAccount, RefundResult
from alot_platform.payments.repository import PaymentRepository
from alot_platform.play.service import check_purchase
from alot_platform.realtime.events import Event, EventType, emit, lot_snapshot
from alot_platform.refunds.repository import RefundRepository

_log = logging.getLogger(__name__)

HANDLED_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.expired",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "charge.refunded",
        "charge.dispute.created",
        "account.updated",
    }
)


class InvalidEvent(InvalidInput):
    status_code = 400
    code = "invalid_webhook_payload"
    title = "Malformed webhook event"


@dataclass(frozen=True)
class Recorded:
    event_id: str
    stored: bool
    """False when the event id was stored by an earlier delivery."""
    needs_processing: bool


@dataclass(frozen=True)
class LateRefundNotice:
    user_id: uuid.UUID
    purchase_id: uuid.UUID
    lot_title: str
    amount_cents: int
    reason: str
    email_id: uuid.UUID
    """The outbox message telling the buyer, committed with the refund."""


@dataclass(frozen=True)
class Processed:
    event_id: str
    outcome: PaymentOutcome | None
    """None when the event had been applied already (or is unknown)."""
    funded_lot_id: uuid.UUID | None = None
    """A lot this event funded: its draw runs after the commit."""
    late_refund: LateRefundNotice | None = None
    fee_due: uuid.UUID | None = None
    """A purchase whose processing fee is to be read from the provider and posted."""
    refund_in_flight: uuid.UUID | None = None
    """A purchase whose cash refund is to be finished before this event is applied."""


@dataclass(frozen=True)
class LateRefundCall:
    """A late payment's refund in full, as the provider is to be asked for it."""

    event_id: str
    purchase_id: uuid.UUID
    payment_id: str
    amount_cents: int
    idempotency_key: str


@dataclass(frozen=True)
class _Result:
    outcome: PaymentOutcome
    detail: str | None = None
    purchase_id: uuid.UUID | None = None
    funded_lot_id: uuid.UUID | None = None
    fee_due: bool = False


class PaymentEventService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._payments = PaymentRepository(session)
        self._lots = LotRepository(session)

    # -- intake -------------------------------------------------------------------------

    def record(self, event: Mapping[str, Any], *, provider: str = "stripe") -> Recorded:
        """Store a verified event of a handled type unless its id is stored already."""
        event_id, event_type, obj, created = _parse(event)
        if event_type not in HANDLED_EVENT_TYPES:
            raise InvalidEvent(f"event type {event_type!r} is not handled")
        stored = self._payments.insert_event_once(
            {
                "id": event_id,
                "provider": provider,
                "type": event_type,
                "payload": obj,
                "provider_created_at": created,
                "received_at": self._platform.clock(),
                "attempts": 0,
            }
        )
        if stored:
            return Recorded(event_id, stored=True, needs_processing=True)
        existing = self._payments.event(event_id)
        needs = existing is not None and existing.processed_at is None
        return Recorded(event_id, stored=False, needs_processing=needs)

    # -- applying -----------------------------------------------------------------------

    def process(self, event_id: str) -> Processed:
        """Apply one stored event, once (see the module docstring).

        A payment to refund is only decided here (outcome ``late_refund_due``, the event
        left unapplied): the caller commits that decision, then runs ``tasks.refund_late``.
        """
        event = self._payments.event_for_update(event_id)
        if event is None or event.processed_at is not None:
            return Processed(event_id, None)
        if event.outcome == PaymentOutcome.LATE_REFUND_DUE.value:
            return Processed(event_id, PaymentOutcome.LATE_REFUND_DUE)
        handler = self._handlers()[event.type]
        result = handler(event.payload)
        if result.outcome in (PaymentOutcome.LATE_REFUND_DUE, PaymentOutcome.REFUND_IN_FLIGHT):
            # Decided, not applied: the caller commits this and runs the next phase.
            event.outcome = result.outcome.value
            event.detail = result.detail
            event.purchase_id = result.purchase_id
            in_flight = result.outcome is PaymentOutcome.REFUND_IN_FLIGHT
            return Processed(
                event_id, result.outcome, refund_in_flight=result.purchase_id if in_flight else None
            )
        event.attempts += 1
        event.outcome = result.outcome.value
        event.detail = result.detail
        event.purchase_id = result.purchase_id
        event.processed_at = self._platform.clock()
        event.last_error = None
        self._session.flush()
        return Processed(
            event_id,
            result.outcome,
            result.funded_lot_id,
            fee_due=result.purchase_id if result.fee_due else None,
        )

    def late_refund_call(self, event_id: str) -> LateRefundCall | Processed:
        """The second phase of a late payment, before the provider is called: what to ask
        it (the refund in full, under the key ``late-refund:<purchase id>``), with the
        request noted on the event. The caller commits this, then calls the provider
        with no transaction open and no row locked, then ``record_late_refund``.

        The decision was committed first, so a crash or a lost answer anywhere from here
        is recovered by running this again: the provider answers the same key with the
        same refund, and the decision cannot change meanwhile (say, a lot extended).
        ``Processed`` when nothing is left to ask (applied already, or refunded).
        """
        event = self._payments.event_for_update(event_id)
        if event is None or event.processed_at is not None:
            return Processed(event_id, None)
        assert event.outcome == PaymentOutcome.LATE_REFUND_DUE.value
        assert event.purchase_id is not None
        purchase = self._payments.purchase(event.purchase_id)
        assert purchase is not None
        if purchase.status == PurchaseStatus.REFUNDED.value:
            return self._apply(event, _already(purchase), self._platform.clock())
        assert purchase.provider_payment_id is not None
        key = f"late-refund:{purchase.id}"
        # The state before the call: an admin reading the event sees a refund asked for
        # and not answered yet (a crash here leaves exactly that).
        event.last_error = (
            f"refund {key} requested from the provider at"
            f" {self._platform.clock().isoformat()}; its answer is not recorded yet"
        )
        return LateRefundCall(
            event_id, purchase.id, purchase.provider_payment_id, purchase.amount_cents, key
        )

    def record_late_refund(self, event_id: str, refund: RefundResult) -> Processed:
        """The provider's answer to ``late_refund_call``, under the event's and the
        purchase's locks: the purchase refunded, the ledger memo, the buyer's email and the
        processing fee due, and the event applied, in one transaction. A refund still
        pending is not recorded: the event stays due and the tick asks again."""
        event = self._payments.event_for_update(event_id)
        if event is None or event.processed_at is not None:
            return Processed(event_id, None)
        assert event.purchase_id is not None
        purchase = self._payments.purchase_for_update(event.purchase_id)
        assert purchase is not None
        now = self._platform.clock()
        if purchase.status == PurchaseStatus.REFUNDED.value:
            return self._apply(event, _already(purchase), now)
        if refund.status == "pending":
            # Stripe took the refund but has not completed it: nothing is recorded
            # as refunded yet; the event stays due and the tick asks again.
            event.attempts += 1
            event.last_error = "the refund is pending at the provider; asked again later"
            self._session.flush()
            return Processed(event_id, PaymentOutcome.REFUND_IN_FLIGHT)
        lot = self._lots.get(purchase.lot_id)
        assert lot is not None
        code, _, reason = (event.detail or "").partition(": ")
        notice = self._record_refund_in_full(lot, purchase, refund, code, reason, now)
        # Stripe keeps its fee on a payment it refunds.
        record_fee_due(self._session, purchase, now)
        result = _Result(PaymentOutcome.LATE_REFUND, event.detail, purchase.id)
        applied = self._apply(event, result, now)
        return Processed(event_id, applied.outcome, late_refund=notice, fee_due=purchase.id)

    def _apply(self, event: PaymentEvent, result: _Result, now: datetime) -> Processed:
        event.attempts += 1
        event.outcome = result.outcome.value
        event.detail = result.detail
        event.processed_at = now
        event.last_error = None
        self._session.flush()
        return Processed(event.id, result.outcome)

    def note_failure(self, event_id: str, error: BaseException) -> None:
        """Keep why applying ``event_id`` failed; it stays unprocessed for a retry."""
        event = self._payments.event_for_update(event_id)
        if event is None or event.processed_at is not None:
            return
        event.attempts += 1
        event.last_error = f"{type(error).__name__}: {error}"[:2000]

    def unprocessed(self, *, received_before: datetime, limit: int = 100) -> list[str]:
        return self._payments.unprocessed_event_ids(received_before=received_before, limit=limit)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], _Result]]:
        return {
            "checkout.session.completed": self._session_completed,
            "checkout.session.expired": self._session_expired,
            "payment_intent.succeeded": self._intent_succeeded,
            "payment_intent.payment_failed": self._intent_failed,
            "charge.refunded": self._charge_refunded,
            "charge.dispute.created": self._dispute_created,
            "account.updated": self._account_updated,
        }

    # -- the events -----------------------------------------------------------------------

    def _session_completed(self, session: dict[str, Any]) -> _Result:
        purchase = self._find(session, session.get("id"))
        if purchase is None:
            return _unmatched(session)
        if session.get("payment_status") != "paid":
            # Delayed payment methods: the payment intent's own event says when it is paid.
            return _Result(
                PaymentOutcome.NOTED, "checkout completed, payment not yet paid", purchase.id
            )
        return self._paid(
            purchase,
            payment_intent=_id_of(session.get("payment_intent")),
            checkout_session=str(session["id"]),
            amount_cents=session.get("amount_total"),
            currency=session.get("currency"),
        )

    def _intent_succeeded(self, intent: dict[str, Any]) -> _Result:
        purchase = self._find(intent, intent.get("id"))
        if purchase is None:
            return _unmatched(intent)
        return self._paid(
            purchase,
            payment_intent=str(intent["id"]),
            checkout_session=None,
            amount_cents=intent.get("amount_received"),
            currency=intent.get("currency"),
        )

    def _session_expired(self, session: dict[str, Any]) -> _Result:
        purchase = self._find(session, session.get("id"))
        if purchase is None:
            return _unmatched(session)
        _lot, purchase = self._lock(purchase)
        if purchase.status != PurchaseStatus.PENDING.value:
            return _Result(
                PaymentOutcome.ALREADY_DONE, f"purchase is {purchase.status}", purchase.id
            )
        purchase.status = PurchaseStatus.FAILED.value
        purchase.completed_at = self._platform.clock()
        return _Result(PaymentOutcome.CHECKOUT_EXPIRED, "the buyer never paid", purchase.id)

    def _intent_failed(self, intent: dict[str, Any]) -> _Result:
        purchase = self._find(intent, intent.get("id"))
        error = intent.get("last_payment_error") or {}
        why = error.get("message") if isinstance(error, dict) else None
        # Checkout lets the buyer try another card until the session expires.
        return _Result(
            PaymentOutcome.NOTED,
            f"a payment attempt failed: {why or 'no reason given'}",
            purchase.id if purchase else None,
        )

    def _charge_refunded(self, charge: dict[str, Any]) -> _Result:
        purchase = self._find(charge, _id_of(charge.get("payment_intent")))
        if purchase is None:
            return _unmatched(charge)
        # The lot lock waits for a refund being recorded right now to commit.
        _lot, purchase = self._lock(purchase)
        refunded = int(charge.get("amount_refunded") or 0)
        if RefundRepository(self._session).open_refund_request(purchase.id) is not None:
            # One of our cash refunds, not recorded yet (or pending at Stripe): finish it
            # first (outside this lock), then check this event against it.
            return _Result(
                PaymentOutcome.REFUND_IN_FLIGHT,
                f"Stripe reports {refunded} cents refunded; the platform's refund is in flight",
                purchase.id,
            )
        ours = purchase.refunded_cents or 0
        if purchase.status == PurchaseStatus.REFUNDED.value and refunded == ours:
            return _Result(PaymentOutcome.REFUND_CONFIRMED, None, purchase.id)
        return _Result(
            PaymentOutcome.REFUND_MISMATCH,
            f"Stripe reports {refunded} cents refunded; the purchase is {purchase.status}"
            f" with {ours} cents refunded",
            purchase.id,
        )

    def _account_updated(self, account: dict[str, Any]) -> _Result:
        from alot_platform.payouts.service import PayoutService

        state = _connect_account(account)
        host = PayoutService(self._session, self._platform).account_updated(state)
        if host is None:
            return _Result(PaymentOutcome.UNMATCHED, f"no host has account {state.account_id}")
        return _Result(
            PaymentOutcome.ACCOUNT_UPDATED,
            f"host {host.id}: payouts {'enabled' if host.payouts_enabled else 'not enabled'}",
        )

    def _dispute_created(self, dispute: dict[str, Any]) -> _Result:
        purchase = self._find(dispute, _id_of(dispute.get("payment_intent")))
        if purchase is None:
            return _unmatched(dispute)
        lot, purchase = self._lock(purchase)
        dispute_id = str(dispute.get("id"))
        Ledger(self._session).memo(
            "payment_dispute",
            refs={
                "lot_id": str(lot.id),
                "purchase_id": str(purchase.id),
                "user_id": str(purchase.user_id),
                "payment_intent": str(purchase.provider_payment_id),
                "charge": str(dispute.get("charge")),
                "dispute": dispute_id,
            },
            metadata={
                "amount_cents": int(dispute.get("amount") or 0),
                "reason": str(dispute.get("reason") or ""),
                "purchase_status": purchase.status,
            },
            idempotency_key=f"dispute:{dispute_id}",
        )
        return _Result(
            PaymentOutcome.DISPUTED,
            f"dispute {dispute_id} ({dispute.get('reason')}): the tickets stay in the draw;"
            " a prize won by this purchase is held until the dispute is resolved",
            purchase.id,
        )

    # -- a paid purchase ------------------------------------------------------------------

    def _paid(
        self,
        found: LotEntryPurchase,
        *,
        payment_intent: str | None,
        checkout_session: str | None,
        amount_cents: Any,
        currency: Any,
    ) -> _Result:
        lot, purchase = self._lock(found)
        if purchase.status in (PurchaseStatus.SUCCEEDED.value, PurchaseStatus.REFUNDED.value):
            return _Result(
                PaymentOutcome.ALREADY_DONE, f"purchase is {purchase.status}", purchase.id
            )
        if payment_intent is None:
            return _Result(PaymentOutcome.UNMATCHED, "paid without a payment intent", purchase.id)
        if amount_cents != purchase.amount_cents or str(currency).upper() != purchase.currency:
            return _Result(
                PaymentOutcome.UNMATCHED,
                f"paid {amount_cents} {currency} for a purchase of"
                f" {purchase.amount_cents} {purchase.currency}",
                purchase.id,
            )
        checkout_session = checkout_session or purchase.provider_checkout_session_id
        if checkout_session is None and (purchase.provider_payment_id or "").startswith("cs_"):
            checkout_session = purchase.provider_payment_id
        purchase.provider_checkout_session_id = checkout_session
        purchase.provider_payment_id = payment_intent
        refs = {"payment_intent": payment_intent}
        if checkout_session:
            refs["checkout_session"] = checkout_session
        if self._payments.late_refund_decided(purchase.id):
            # Another event of this payment decided it: the decision never changes.
            return _Result(PaymentOutcome.LATE_REFUND_DUE, self._decision(purchase), purchase.id)
        now = self._platform.clock()
        try:
            self._check_accepts(lot, purchase, now)
        except AlotError as refusal:
            return _Result(
                PaymentOutcome.LATE_REFUND_DUE,
                f"{refusal.code}: {_reason(lot, refusal)}",
                purchase.id,
            )
        return self._allocate(lot, purchase, refs, now)

    def _decision(self, purchase: LotEntryPurchase) -> str | None:
        decided = self._payments.late_refund_decided(purchase.id)
        return decided.detail if decided is not None else None

    def _check_accepts(self, lot: Lot, purchase: LotEntryPurchase, now: datetime) -> None:
        """The checks a purchase paid at once meets under the lock (entries.service)."""
        check_selling(lot, now)
        # The ledger head before the buyer's play settings, as a purchase batch takes
        # them: the spend is read after every other purchase of theirs committed.
        LedgerRepository(self._session.connection()).lock_head()
        check_purchase(self._session, purchase.user_id, purchase.amount_cents, now)
        cap = lot.max_tickets_per_user
        if cap is not None:
            held = EntryRepository(self._session).tickets_held(lot.id, purchase.user_id)
            if held + purchase.tickets > cap:
                raise TicketCapExceeded(
                    f"lot {lot.id} allows {cap} tickets per player; you hold {held}",
                    cap=cap,
                    held=held,
                )

    def _allocate(
        self, lot: Lot, purchase: LotEntryPurchase, refs: dict[str, str], now: datetime
    ) -> _Result:
        entries = EntryRepository(self._session)
        secret = entries.holder_secret(purchase.user_id)
        entry = allocate_entry(lot, purchase, now, holder_secret=secret)
        funds = lot.funded_cents >= lot.funding_target_cents
        if funds:
            transition(lot, LotStatus.FUNDED, now, action="fund the lot")
        # The ledger before the buyer's rows: the lot lock, the ledger head, then users,
        # in the order purchases and settlement take them (no deadlock between them).
        receipt = Ledger(self._session).append(
            purchase_ledger_request(
                lot,
                purchase,
                entry,
                payment_refs=refs,
                idempotency_key=f"payment:{purchase.id}",
            )
        )
        purchase.status = PurchaseStatus.SUCCEEDED.value
        purchase.completed_at = now
        purchase.ledger_seq = receipt.seq
        entries.add(entry)
        self._session.flush()
        entries.ensure_pending_reveals(lot.id, [purchase.user_id], now)
        entries.count_entries({purchase.user_id: 1})
        record_fee_due(self._session, purchase, now)
        business.purchased(self._session, lot, purchase)
        if funds:
            DrawService(self._session, self._platform).freeze(lot)
        events = [] if funds else [Event(EventType.LOT_UPDATE, now, lot.id, data=lot_snapshot(lot))]
        events.append(
            Event(
                EventType.PURCHASE_CONFIRMED,
                now,
                lot.id,
                user_id=purchase.user_id,
                data={
                    "purchase_id": str(purchase.id),
                    "tickets": purchase.tickets,
                    "tickets_start": entry.tickets_start,
                    "tickets_end": entry.tickets_end,
                },
            )
        )
        emit(self._session, *events)
        return _Result(
            PaymentOutcome.ALLOCATED,
            f"tickets {entry.tickets_start}-{entry.tickets_end}",
            purchase.id,
            funded_lot_id=lot.id if funds else None,
            fee_due=True,
        )

    def _record_refund_in_full(
        self,
        lot: Lot,
        purchase: LotEntryPurchase,
        refund: RefundResult,
        code: str,
        reason: str,
        now: datetime,
    ) -> LateRefundNotice:
        """``purchase`` refunded in full by the provider (``refund`` succeeded), recorded."""
        key = f"late-refund:{purchase.id}"
        assert purchase.provider_payment_id is not None
        purchase.status = PurchaseStatus.REFUNDED.value
        purchase.refunded_cents = purchase.amount_cents
        purchase.refunded_at = now
        purchase.provider_refund_id = refund.refund_id
        purchase.completed_at = now
        refs = {
            "lot_id": str(lot.id),
            "purchase_id": str(purchase.id),
            "user_id": str(purchase.user_id),
            "refund": refund.refund_id,
            "payment_intent": purchase.provider_payment_id,
        }
        if purchase.provider_checkout_session_id:
            refs["checkout_session"] = purchase.provider_checkout_session_id
        # The money never reached the lot's escrow: a memo records it came and went.
        Ledger(self._session).memo(
            "payment_late_refund",
            refs=refs,
            metadata={"amount_cents": purchase.amount_cents, "reason": code},
            idempotency_key=key,
        )
        # The buyer is told why, by an email committed with the refund (the outbox).
        email = enqueue(
            self._session,
            key=f"late-refund:{purchase.id}",
            user_id=purchase.user_id,
            subject="Your ALOT! payment was refunded",
            body=(
                f"Your payment of ${format_cents(purchase.amount_cents)} for {lot.title!r}"
                f" was refunded in full: {reason}.\n"
                f"Purchase: {purchase.id}\n"
            ),
            now=now,
        )
        return LateRefundNotice(
            purchase.user_id, purchase.id, lot.title, purchase.amount_cents, reason, email.id
        )

    # -- finding and locking --------------------------------------------------------------

    def _find(self, obj: dict[str, Any], provider_id: str | None) -> LotEntryPurchase | None:
        """The purchase an object names: by our metadata, else by Stripe's id."""
        metadata = obj.get("metadata") or {}
        raw = metadata.get("purchase_id") if isinstance(metadata, dict) else None
        if raw is None and obj.get("object") == "checkout.session":
            raw = obj.get("client_reference_id")
        if raw:
            try:
                purchase = self._payments.purchase(uuid.UUID(str(raw)))
            except ValueError:
                purchase = None
            if purchase is not None:
                return purchase
        if provider_id:
            return self._payments.purchase_by_provider_id(provider_id)
        return None

    def _lock(self, purchase: LotEntryPurchase) -> tuple[Lot, LotEntryPurchase]:
        """The purchase's lot locked, then the purchase as committed now."""
        lot = self._lots.get_for_update(purchase.lot_id)
        locked = self._payments.purchase_for_update(purchase.id)
        assert lot is not None
        assert locked is not None
        return lot, locked


def _reason(lot: Lot, refusal: AlotError) -> str:
    if lot.status == LotStatus.FUNDED.value or lot.status in (
        LotStatus.DRAWING.value,
        LotStatus.SETTLED.value,
    ):
        return "the lot was fully funded by other players before your payment completed"
    if refusal.code == "lot_deadline_passed" or lot.status == LotStatus.EXPIRED.value:
        return "the lot's deadline passed before your payment completed"
    if refusal.code == "ticket_cap_exceeded":
        return "you reached this lot's ticket limit before your payment completed"
    if refusal.code == "spend_limit_exceeded":
        return "it would have passed your spend limit, reached before your payment completed"
    if refusal.code == "play_excluded":
        return "you started a time-out or self-exclusion before your payment completed"
    return f"the lot stopped selling ({lot.status}) before your payment completed"


def _already(purchase: LotEntryPurchase) -> _Result:
    return _Result(PaymentOutcome.ALREADY_DONE, f"purchase is {purchase.status}", purchase.id)


def _connect_account(account: dict[str, Any]) -> ConnectAccount:
    return ConnectAccount(
        str(account.get("id")),
        details_submitted=bool(account.get("details_submitted")),
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
    )


def _unmatched(obj: dict[str, Any]) -> _Result:
    return _Result(PaymentOutcome.UNMATCHED, f"no purchase matches {obj.get('id')}")


def _id_of(value: Any) -> str | None:
    """A Stripe reference, expanded or not."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _parse(event: Mapping[str, Any]) -> tuple[str, str, dict[str, Any], datetime]:
    try:
        event_id = event["id"]
        event_type = event["type"]
        obj = event["data"]["object"]
        created = datetime.fromtimestamp(int(event["created"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise InvalidEvent("a Stripe event has id, type, created and data.object") from None
    if not (isinstance(event_id, str) and 0 < len(event_id) <= 255):
        raise InvalidEvent("the event id is not a string of 1-255 characters")
    if not isinstance(event_type, str) or not isinstance(obj, dict):
        raise InvalidEvent("the event's type or object is malformed")
    return event_id, event_type, obj, created
