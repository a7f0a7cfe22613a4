"""Expiry and refunds of lots that did not fund in time.

- At the deadline the lot expires and its refunds start, in one transaction (the
  scheduler's tick; purchases and trivia answers are refused from the deadline on even
  before it runs): open -> expired -> refunding, with a date by which each cash buyer
  chooses (ALOT_REFUND_CHOICE_SECONDS), and one email per buyer in the outbox with the
  choice, that date and a link to each purchase's refund page (refunds/emails.py).
  Credits spent come back 1:1: the first chunk in that transaction, the rest in chunks
  of their own (``return_spent_credits``) that the tick resumes until none is left.
  No admin step: ``start`` (an admin's) remains for an exceptional case, a lot whose
  expiry the tick has not reached yet or whose refunds never started.
- Each cash buyer chooses 98% back in cash (through the payment provider; the 2% stays
  as a fee) or 1.5x the amount in credits. After the date, the tick refunds cash to
  those who did not choose. When every purchase is refunded the lot is closed and the
  buyers' reveals say refunded; each refund is emailed to its buyer (``refund-done``).

Every refund is one ledger transaction out of the lot's escrow, in the same unit of
work as the purchase's new state, under an idempotency key derived from the purchase
(``refund:<purchase id>``); the provider is called with that key too, so a retry never
pays twice.

This service never commits: its caller's unit of work does, once. A cash refund calls
the provider, so it runs in three phases and holds no lock, and no transaction, while
the provider answers (refunds/models.py):

1. ``request``: under the lot's lock, a ``refund_requests`` row (``requested``, with
   the key and the amount) and the purchase's ``refund_choice`` are written, and
   committed by the caller (the buyer's request, or the tick): the recovery point;
2. after that commit, ``finish_cash_refund`` (refunds/tasks.py) calls the provider
   with the key, outside any transaction;
3. ``record``: under the lot's lock again, a ``succeeded`` refund marks the purchase
   refunded and posts the ledger transaction, in one transaction (and closes the lot
   after its last refund). A ``pending`` refund only keeps the provider's id: it is
   not done until the provider says so (the tick asks again; Stripe's
   ``charge.refunded`` makes the payments area ask at once). A refund the provider
   failed or cancelled is ``failed``, for a human.

A crash or a lost answer between the phases leaves the request open: the tick (after a
minute) runs phases 2 and 3 again with the same key, and the provider answers with the
refund it made the first time: never a second refund.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alot_ledger import Ledger, Posting
from sqlalchemy.orm import Session

from alot_platform.audit.service import acting_user, record_action
from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransactionType
from alot_platform.credits.service import CreditChange, CreditsService
from alot_platform.entries.models import (
    LotEntryPurchase,
    PaymentMethod,
    PurchaseStatus,
    RefundChoice,
)
from alot_platform.errors import Conflict, NotFound
from alot_platform.ledger.accounts import (
    CRD,
    CREDITS_ISSUED,
    PLATFORM_CASH,
    PLATFORM_FEES,
    PLATFORM_REVENUE,
    USD,
    lot_escrow,
    user_credits,
)
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.service import LotNotFound
from alot_platform.lots.state import LotStateConflict, transition
from alot_platform.money import percent_of
from alot_platform.notifications.service import notify_refund_done, notify_refunds_started
from alot_platform.observability import business
from alot_platform.outbox.service import enqueue_task
from alot_platform.payments.provider import RefundResult
from alot_platform.refunds import emails
from alot_platform.refunds.emails import CASH_REFUND_PERCENT, CREDIT_CONVERSION_PERCENT
from alot_platform.refunds.models import OPEN_REFUND_STATUSES, RefundRequest, RefundRequestStatus
from alot_platform.refunds.repository import RefundRepository
from alot_platform.reveals.models import RevealStatus
from alot_platform.users.models import User

__all__ = ["CASH_REFUND_PERCENT", "CREDIT_CONVERSION_PERCENT", "RefundService"]

_log = logging.getLogger(__name__)

CHUNK = 500
"""Purchases handled in one transaction (credits given back, cash refunds requested):
a lot of any size is worked through in chunks that are each committed and resumable."""


class PurchaseNotFound(NotFound):
    code = "purchase_not_found"
    title = "No such purchase"


class RefundNotOpen(Conflict):
    code = "refund_not_open"
    title = "This lot is not refunding"


class RefundChoiceClosed(Conflict):
    code = "refund_choice_closed"
    title = "The date to choose a refund has passed"


class RefundChoiceNotApplicable(Conflict):
    code = "refund_choice_not_applicable"
    title = "Only cash purchases have a refund choice"


class AlreadyRefunded(Conflict):
    code = "already_refunded"
    title = "This purchase was already refunded another way"


@dataclass(frozen=True)
class RefundSummary:
    lot: Lot
    purchases: dict[str, int]


@dataclass(frozen=True)
class ChosenRefund:
    """A purchase after its buyer's choice, with its cash refund if it has one."""

    purchase: LotEntryPurchase
    request: RefundRequest | None

    @property
    def in_flight(self) -> bool:
        """Cash chosen and recorded, the provider's refund not (yet) confirmed: once the
        caller has committed, ``finish_cash_refund`` (refunds/tasks.py) is due."""
        return self.request is not None and self.request.status in OPEN_REFUND_STATUSES


@dataclass(frozen=True)
class Started:
    """A lot whose refunds started in the caller's unit of work."""

    lot_id: uuid.UUID
    credits_left: bool
    """Credits spent still to give back, in chunks after this commit."""


@dataclass
class Overdue:
    """One chunk of cash refunds sent after the choice date."""

    handled: int = 0
    requested: list[uuid.UUID] = field(default_factory=list)
    """Purchases whose cash refund is requested: ``finish_cash_refund`` after the commit."""
    more: bool = False


class RefundService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._lots = LotRepository(session)
        self._refunds = RefundRepository(session)

    # -- expiry: refunds start by themselves -------------------------------------------

    def expire(self, lot_id: uuid.UUID, now: datetime) -> Started | None:
        """Expire ``lot_id`` if its deadline has passed and start its refunds at once.

        None when there is nothing to do: the lot is not due (funded meanwhile, done
        by another tick) or another transaction holds it (a purchase deciding it right
        now: the next tick sees what that purchase left).
        """
        lot = self._refunds.lock_lot_due_for_refunds(lot_id, now)
        if lot is None:
            return None
        return self._start(lot, now)

    # -- an admin, for an exceptional case ---------------------------------------------

    def start(self, lot_id: uuid.UUID) -> tuple[RefundSummary, Started | None]:
        """Start refunds of a lot past its deadline now, without waiting for the tick.

        Repeating, or a lot whose refunds started by themselves, answers the progress.
        A lot still selling is refused (409): its deadline has not passed.
        """
        lot = self._lock(lot_id)
        if lot.status in (LotStatus.REFUNDING.value, LotStatus.CLOSED.value):
            return self.summary(lot), None
        now = self._platform.clock()
        if lot.status == LotStatus.OPEN.value and now < lot.deadline:
            raise LotStateConflict(lot, "start refunds (its deadline has not passed)")
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="refunds_started",
            target_type="lot",
            target_id=lot.id,
            details={"status_before": lot.status},
            now=now,
        )
        started = self._start(lot, now)
        return self.summary(lot), started

    def summary(self, lot: Lot) -> RefundSummary:
        self._session.flush()
        return RefundSummary(lot, self._refunds.count_purchases(lot.id))

    def get_summary(self, lot_id: uuid.UUID) -> RefundSummary:
        lot = self._lots.get(lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        return self.summary(lot)

    def _start(self, lot: Lot, now: datetime) -> Started:
        """open -> expired -> refunding, the choice date, every buyer's email, and the
        first chunk of credits spent given back (the caller holds the lot's lock)."""
        if lot.status == LotStatus.OPEN.value:
            transition(lot, LotStatus.EXPIRED, now, action="expire")
        transition(lot, LotStatus.REFUNDING, now, action="start refunds")
        lot.refund_choice_deadline = now + timedelta(
            seconds=self._platform.settings.refund_choice_seconds
        )
        by_buyer: dict[uuid.UUID, list[LotEntryPurchase]] = defaultdict(list)
        for purchase in self._refunds.purchases(lot.id, PurchaseStatus.SUCCEEDED):
            by_buyer[purchase.user_id].append(purchase)
        for user_id, purchases in by_buyer.items():
            emails.enqueue_choice(self._session, self._platform, lot, user_id, purchases, now)
        notify_refunds_started(self._session, lot, now)
        # Last: the ledger holds its chain-head lock from the first posting until commit.
        credits_left = self._return_spent_credits(lot, now, limit=CHUNK)
        _log.info("lot %s: expired, refunds started for %d buyer(s)", lot.id, len(by_buyer))
        if credits_left:  # the rest after this commits, each chunk committed
            enqueue_task(
                self._session,
                task="return_spent_credits",
                key=f"return-spent-credits:{lot.id}",
                payload={"lot_id": str(lot.id)},
                now=now,
            )
        return Started(lot.id, credits_left)

    def return_spent_credits(self, lot_id: uuid.UUID, *, limit: int = CHUNK) -> bool:
        """Give back one chunk of the credits spent in a refunding lot; True while more
        are left (each chunk is its caller's transaction)."""
        lot = self._lock(lot_id)
        if lot.status != LotStatus.REFUNDING.value:
            return False
        return self._return_spent_credits(lot, self._platform.clock(), limit=limit)

    def _return_spent_credits(self, lot: Lot, now: datetime, *, limit: int) -> bool:
        chunk = self._refunds.purchases(
            lot.id, PurchaseStatus.SUCCEEDED, method=PaymentMethod.CREDITS, limit=limit
        )
        for purchase in chunk:
            self._refund_spent_credits(lot, purchase, now)
        self._close_if_done(lot, now)
        return len(chunk) == limit

    # -- the buyer's choice ---------------------------------------------------------

    def read(self, purchase_id: uuid.UUID, buyer: User) -> ChosenRefund:
        """``buyer``'s purchase as its refund stands (chosen, sent by the tick, or not yet)."""
        purchase = self._refunds.purchase(purchase_id)
        if purchase is None or purchase.user_id != buyer.id:
            raise PurchaseNotFound(f"you have no purchase {purchase_id}")
        return ChosenRefund(purchase, self._refunds.refund_request(purchase.id))

    def choose(self, purchase_id: uuid.UUID, buyer: User, choice: RefundChoice) -> ChosenRefund:
        """Refund ``buyer``'s cash purchase as they choose; the same choice again is a no-op.

        Credits are converted here. Cash is only requested here (phase 1): once the
        caller's unit of work has committed, ``finish_cash_refund`` calls the provider
        (``ChosenRefund.in_flight``).
        """
        found = self._refunds.purchase(purchase_id)
        if found is None or found.user_id != buyer.id:
            raise PurchaseNotFound(f"you have no purchase {purchase_id}")
        lot = self._lock(found.lot_id)
        purchase = self._refunds.purchase_for_update(purchase_id)
        assert purchase is not None
        request = self._refunds.refund_request_for_update(purchase.id)
        if purchase.status == PurchaseStatus.REFUNDED.value or request is not None:
            if purchase.refund_choice == choice.value:
                return ChosenRefund(purchase, request)
            raise AlreadyRefunded(
                f"purchase {purchase.id} was refunded as {purchase.refund_choice}",
                refund_choice=purchase.refund_choice,
            )
        if purchase.method != PaymentMethod.CASH.value:
            raise RefundChoiceNotApplicable("credits spent are returned 1:1 when refunds start")
        if lot.status != LotStatus.REFUNDING.value or purchase.status != (
            PurchaseStatus.SUCCEEDED.value
        ):
            raise RefundNotOpen(
                f"lot {lot.id} is {lot.status}; refunds are chosen while it is refunding",
                state=lot.status,
            )
        now = self._platform.clock()
        assert lot.refund_choice_deadline is not None
        if now > lot.refund_choice_deadline:
            raise RefundChoiceClosed(
                "the choice closed; purchases without one are refunded in cash",
                refund_choice_deadline=lot.refund_choice_deadline.isoformat(),
            )
        if choice is RefundChoice.CREDITS:
            self._convert_to_credits(lot, purchase, now)
            self._close_if_done(lot, now)
            return ChosenRefund(purchase, None)
        request = self._request_cash(lot, purchase, now, chosen=True)
        if request is None:  # nothing to ask the provider: refunded already
            self._close_if_done(lot, now)
        return ChosenRefund(purchase, request)

    # -- after the date ---------------------------------------------------------------

    def refund_overdue(self, lot_id: uuid.UUID, *, limit: int = CHUNK) -> Overdue:
        """Past the choice date: request a cash refund for one chunk of the purchases
        still waiting (phase 1); ``more`` while others wait. The caller commits, then
        finishes each of ``requested``."""
        lot = self._lock(lot_id)
        now = self._platform.clock()
        done = Overdue()
        if (
            lot.status != LotStatus.REFUNDING.value
            or lot.refund_choice_deadline is None
            or now <= lot.refund_choice_deadline
        ):
            return done
        chunk = self._refunds.purchases_without_refund_request(lot.id, limit=limit)
        for purchase in chunk:
            done.handled += 1
            if purchase.method == PaymentMethod.CASH.value:
                if self._request_cash(lot, purchase, now, chosen=False) is not None:
                    done.requested.append(purchase.id)
            else:  # given back when refunds started; only if that was interrupted
                self._refund_spent_credits(lot, purchase, now)
        self._close_if_done(lot, now)
        done.more = len(chunk) == limit
        return done

    # -- cash refunds in flight ------------------------------------------------------

    def _request_cash(
        self, lot: Lot, purchase: LotEntryPurchase, now: datetime, *, chosen: bool
    ) -> RefundRequest | None:
        """Phase 1: the request, to be committed before the provider is called.

        None when there is nothing to ask the provider (no payment id, or 98% of the
        amount rounds down to nothing): then the purchase is refunded here and now.
        """
        back = percent_of(purchase.amount_cents, CASH_REFUND_PERCENT)
        if back <= 0 or purchase.provider_payment_id is None:
            self._settle_cash(lot, purchase, now, chosen=chosen, back=back, refund_id=None)
            return None
        purchase.refund_choice = RefundChoice.CASH.value
        request = RefundRequest(
            purchase_id=purchase.id,
            idempotency_key=f"refund:{purchase.id}",
            provider_payment_id=purchase.provider_payment_id,
            amount_cents=back,
            chosen=chosen,
            status=RefundRequestStatus.REQUESTED.value,
            attempts=0,
            requested_at=now,
            updated_at=now,
        )
        self._session.add(request)
        self._session.flush()
        # The provider is asked after this commits (alot_platform.outbox.handlers).
        enqueue_task(
            self._session,
            task="cash_refund",
            key=f"cash-refund:{purchase.id}",
            payload={"purchase_id": str(purchase.id)},
            now=now,
        )
        return request

    def record(
        self, purchase_id: uuid.UUID, result: RefundResult | None, failure: str | None
    ) -> RefundRequest:
        """Phase 3: the provider's answer (``result``, or None when it refused with
        ``failure``), under the lot's lock, in the caller's transaction."""
        found = self._refunds.purchase(purchase_id)
        assert found is not None
        lot = self._lock(found.lot_id)
        purchase = self._refunds.purchase_for_update(purchase_id)
        request = self._refunds.refund_request_for_update(purchase_id)
        assert purchase is not None
        assert request is not None
        if request.status not in OPEN_REFUND_STATUSES:
            return request  # another retry recorded it first
        now = self._platform.clock()
        request.attempts += 1
        request.updated_at = now
        if result is None:
            request.status = RefundRequestStatus.FAILED.value
            request.last_error = (failure or "refused by the provider")[:2000]
            return request
        request.provider_refund_id = result.refund_id
        request.last_error = None
        if result.status != "succeeded":
            request.status = RefundRequestStatus.PENDING.value
            return request
        self._settle_cash(
            lot,
            purchase,
            now,
            chosen=request.chosen,
            back=request.amount_cents,
            refund_id=result.refund_id,
        )
        request.status = RefundRequestStatus.SUCCEEDED.value
        request.completed_at = now
        self._close_if_done(lot, now)
        return request

    def note_attempt(self, purchase_id: uuid.UUID, error: BaseException) -> RefundRequest | None:
        """The provider did not answer: keep why, for the next try."""
        request = self._refunds.refund_request_for_update(purchase_id)
        if request is not None and request.status in OPEN_REFUND_STATUSES:
            request.attempts += 1
            request.updated_at = self._platform.clock()
            request.last_error = f"{type(error).__name__}: {error}"[:2000]
        return request

    # -- the refunds themselves -----------------------------------------------------

    def _settle_cash(
        self,
        lot: Lot,
        purchase: LotEntryPurchase,
        now: datetime,
        *,
        chosen: bool,
        back: int,
        refund_id: str | None,
    ) -> None:
        """The purchase refunded in cash and its ledger transaction (the provider is done)."""
        paid = purchase.amount_cents
        key = f"refund:{purchase.id}"
        self._mark_refunded(purchase, RefundChoice.CASH, now)
        purchase.refunded_cents = back
        purchase.provider_refund_id = refund_id
        postings = [Posting(lot_escrow(lot.id), USD, -paid)]
        if back:
            postings.append(Posting(PLATFORM_CASH, USD, back))
        if paid - back:
            postings.append(Posting(PLATFORM_FEES, USD, paid - back))
        refs = _refs(purchase)
        # The provider's ids let an auditor match this entry to the processor's records.
        if purchase.provider_payment_id is not None:
            refs["provider_payment_id"] = purchase.provider_payment_id
        if refund_id is not None:
            refs["provider_refund_id"] = refund_id
        emails.enqueue_done(self._session, self._platform, lot, purchase, now)
        Ledger(self._session).post(
            "refund_cash",
            postings,
            refs=refs,
            metadata={"refunded_cents": back, "fee_cents": paid - back, "chosen": chosen},
            idempotency_key=key,
        )
        notify_refund_done(self._session, self._platform, lot, purchase, now)
        business.refund_done(self._session, purchase)

    def _convert_to_credits(self, lot: Lot, purchase: LotEntryPurchase, now: datetime) -> None:
        paid = purchase.amount_cents
        credits = percent_of(paid, CREDIT_CONVERSION_PERCENT)
        self._mark_refunded(purchase, RefundChoice.CREDITS, now)
        purchase.refunded_credits = credits
        emails.enqueue_done(self._session, self._platform, lot, purchase, now)
        receipt = Ledger(self._session).post(
            "refund_credit_conversion",
            [
                Posting(lot_escrow(lot.id), USD, -paid),
                Posting(PLATFORM_REVENUE, USD, paid),
                Posting(CREDITS_ISSUED, CRD, -credits),
                Posting(user_credits(purchase.user_id), CRD, credits),
            ],
            refs=_refs(purchase),
            metadata={"paid_cents": paid, "credits": credits},
            idempotency_key=f"refund:{purchase.id}",
        )
        CreditsService(self._session, now).apply(
            [
                CreditChange(
                    purchase.user_id,
                    credits,
                    CreditTransactionType.EXPIRED_CONVERSION,
                    lot_id=lot.id,
                    purchase_id=purchase.id,
                    details={"paid_cents": paid},
                )
            ],
            ledger_seq=receipt.seq,
        )
        notify_refund_done(self._session, self._platform, lot, purchase, now)
        business.refund_done(self._session, purchase)

    def _refund_spent_credits(self, lot: Lot, purchase: LotEntryPurchase, now: datetime) -> None:
        """Credits spent, back 1:1 (the buyer's refund email already says so)."""
        credits = purchase.credits_spent
        self._mark_refunded(purchase, RefundChoice.CREDITS, now)
        purchase.refunded_credits = credits
        receipt = Ledger(self._session).post(
            "refund_credits",
            [
                Posting(lot_escrow(lot.id), CRD, -credits),
                Posting(user_credits(purchase.user_id), CRD, credits),
            ],
            refs=_refs(purchase),
            metadata={"credits": credits},
            idempotency_key=f"refund:{purchase.id}",
        )
        CreditsService(self._session, now).apply(
            [
                CreditChange(
                    purchase.user_id,
                    credits,
                    CreditTransactionType.CREDIT_REFUND,
                    lot_id=lot.id,
                    purchase_id=purchase.id,
                )
            ],
            ledger_seq=receipt.seq,
        )
        notify_refund_done(self._session, self._platform, lot, purchase, now)
        business.refund_done(self._session, purchase)

    def _mark_refunded(self, purchase: LotEntryPurchase, how: RefundChoice, now: datetime) -> None:
        purchase.status = PurchaseStatus.REFUNDED.value
        purchase.refund_choice = how.value
        purchase.refunded_at = now
        self._session.flush()
        if self._refunds.has_unrefunded(purchase.lot_id, user_id=purchase.user_id):
            return
        reveal = self._refunds.reveal(purchase.lot_id, purchase.user_id)
        if reveal is not None:
            reveal.status = RevealStatus.REFUNDED.value
            reveal.revealed_at = now

    def _close_if_done(self, lot: Lot, now: datetime) -> None:
        self._session.flush()
        if not self._refunds.has_unrefunded(lot.id):
            transition(lot, LotStatus.CLOSED, now, action="close")
            self._refunds.close_pending_reveals(lot.id, now)
            _log.info("lot %s: every purchase refunded, closed", lot.id)

    def _lock(self, lot_id: uuid.UUID) -> Lot:
        lot = self._lots.get_for_update(lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        return lot


def _refs(purchase: LotEntryPurchase) -> dict[str, str]:
    return {
        "lot_id": str(purchase.lot_id),
        "purchase_id": str(purchase.id),
        "user_id": str(purchase.user_id),
    }
