"""Expiry and refunds of lots that did not fund in time.

- Expiry: an open lot past its deadline becomes expired (the scheduler's tick; purchases
  are refused from the deadline on even before it runs).
- An admin either extends the lot (back to open, the lot service) or starts refunds:
  expired -> refunding, with a date by which each cash buyer chooses. Credits spent
  come back 1:1 at once.
- Each cash buyer chooses 98% back in cash (through the payment provider; the 2% stays
  as a fee) or 1.5x the amount in credits. After the date, the tick refunds cash to
  those who did not choose. When every purchase is refunded the lot is closed and the
  buyers' reveals say refunded.

Every refund is one ledger transaction out of the lot's escrow, in the same unit of
work as the purchase's new state, under an idempotency key derived from the purchase
(``refund:<purchase id>``); the provider is called with that key too, so a retry never
pays twice.

A cash refund calls the provider, so it runs in three phases and holds no lock while
the provider answers (refunds/models.py):

1. ``request``: under the lot's lock, a ``refund_requests`` row (``requested``, with
   the key and the amount) and the purchase's ``refund_choice`` are written, and
   committed: the recovery point;
2. the provider is called with the key, outside any transaction;
3. ``record``: under the lot's lock again, a ``succeeded`` refund marks the purchase
   refunded and posts the ledger transaction, in one transaction (and closes the lot
   after its last refund). A ``pending`` refund only keeps the provider's id: it is
   not done until the provider says so (the tick asks again; Stripe's
   ``charge.refunded`` makes the payments area ask at once). A refund the provider
   failed or cancelled is ``failed``, for a human.

A crash or a lost answer between the phases leaves the request open: ``finish`` (the
tick, after a minute) runs phases 2 and 3 again with the same key, and the provider
answers with the refund it made the first time: never a second refund.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from alot_ledger import Ledger, Posting
from sqlalchemy.orm import Session

from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransactionType
from alot_platform.credits.service import CreditChange, CreditsService
from alot_platform.db import unit_of_work
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
from alot_platform.lots.state import transition
from alot_platform.money import percent_of
from alot_platform.notifications.service import notify_refund_done, notify_refunds_started
from alot_platform.payments.provider import RefundFailed, RefundResult
from alot_platform.refunds.models import OPEN_REFUND_STATUSES, RefundRequest, RefundRequestStatus
from alot_platform.refunds.repository import RefundRepository
from alot_platform.reveals.models import RevealStatus
from alot_platform.users.models import User

_log = logging.getLogger(__name__)

CASH_REFUND_PERCENT = 98
"""A cash refund returns 98% of what was paid; the rest covers the payment fees."""
CREDIT_CONVERSION_PERCENT = 150
"""Choosing credits instead returns 1.5x the amount paid (in cents) as credits."""
_EXPIRY_BATCH = 100


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
        """Cash chosen and recorded, the provider's refund not (yet) confirmed."""
        return self.request is not None and self.request.status in OPEN_REFUND_STATUSES


class RefundService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._lots = LotRepository(session)
        self._refunds = RefundRepository(session)

    # -- expiry ---------------------------------------------------------------------

    def expire_due(self, now: datetime) -> list[uuid.UUID]:
        """Expire one batch of open lots past their deadline; return their ids."""
        expired = []
        for lot in self._refunds.lock_lots_past_deadline(now, limit=_EXPIRY_BATCH):
            transition(lot, LotStatus.EXPIRED, now, action="expire")
            expired.append(lot.id)
        return expired

    # -- starting refunds -------------------------------------------------------------

    def start(self, lot_id: uuid.UUID) -> RefundSummary:
        """expired -> refunding; credits spent go back at once. Repeating is harmless."""
        lot = self._lock(lot_id)
        if lot.status in (LotStatus.REFUNDING.value, LotStatus.CLOSED.value):
            return self.summary(lot)
        now = self._platform.clock()
        transition(lot, LotStatus.REFUNDING, now, action="start refunds")
        lot.refund_choice_deadline = now + timedelta(
            seconds=self._platform.settings.refund_choice_seconds
        )
        for purchase in self._refunds.purchases(lot.id, PurchaseStatus.SUCCEEDED):
            if purchase.method == PaymentMethod.CREDITS.value:
                self._refund_spent_credits(lot, purchase, now)
        notify_refunds_started(self._session, lot, now)
        self._close_if_done(lot, now)
        return self.summary(lot)

    def summary(self, lot: Lot) -> RefundSummary:
        self._session.flush()
        return RefundSummary(lot, self._refunds.count_purchases(lot.id))

    def get_summary(self, lot_id: uuid.UUID) -> RefundSummary:
        lot = self._lots.get(lot_id)
        if lot is None:
            raise LotNotFound(f"no lot {lot_id}")
        return self.summary(lot)

    # -- the buyer's choice ---------------------------------------------------------

    def read(self, purchase_id: uuid.UUID, buyer: User) -> ChosenRefund:
        """``buyer``'s purchase as its refund stands (chosen, sent by the tick, or not yet)."""
        purchase = self._refunds.purchase(purchase_id)
        if purchase is None or purchase.user_id != buyer.id:
            raise PurchaseNotFound(f"you have no purchase {purchase_id}")
        return ChosenRefund(purchase, self._refunds.refund_request(purchase.id))

    def choose(self, purchase_id: uuid.UUID, buyer: User, choice: RefundChoice) -> ChosenRefund:
        """Refund ``buyer``'s cash purchase as they choose; the same choice again is a no-op.

        Cash commits the request (phase 1) before calling the provider: the caller's
        unit of work then holds only phase 3.
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
                if request is not None and request.status in OPEN_REFUND_STATUSES:
                    self._session.commit()  # nothing to write: let go of the lock first
                    request = self.finish(purchase.id)
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
            return ChosenRefund(purchase, None)
        self._session.commit()  # the recovery point: the request is recorded
        return ChosenRefund(purchase, self.finish(purchase.id))

    # -- after the date ---------------------------------------------------------------

    def refund_overdue(self, lot_id: uuid.UUID) -> int:
        """Past the choice date: refund in cash every purchase still waiting; close.

        Every cash refund is requested and committed first (one transaction under the
        lot's lock), then each is finished in a transaction of its own.
        """
        lot = self._lock(lot_id)
        now = self._platform.clock()
        if (
            lot.status != LotStatus.REFUNDING.value
            or lot.refund_choice_deadline is None
            or now <= lot.refund_choice_deadline
        ):
            return 0
        handled = 0
        requested = []
        for purchase in self._refunds.purchases(lot.id, PurchaseStatus.SUCCEEDED):
            if self._refunds.refund_request(purchase.id) is not None:
                continue  # requested already: finished by the tick's retry
            handled += 1
            if purchase.method == PaymentMethod.CASH.value:
                if self._request_cash(lot, purchase, now, chosen=False) is not None:
                    requested.append(purchase.id)
            else:  # refunded when refunds started; only if that was interrupted
                self._refund_spent_credits(lot, purchase, now)
        self._close_if_done(lot, now)
        self._session.commit()  # the recovery point of every request above
        for purchase_id in requested:
            self.finish(purchase_id)
            self._session.commit()
        return handled

    # -- cash refunds in flight ------------------------------------------------------

    def finish(self, purchase_id: uuid.UUID) -> RefundRequest | None:
        """Phases 2 and 3 of ``purchase_id``'s cash refund, if it is still open.

        Call with no changes pending: the session's transaction is ended before the
        provider is called. The provider's failure to answer is kept on the request
        (``attempts``, ``last_error``) for the next try, and not raised.
        """
        request = self._refunds.refund_request(purchase_id)
        if request is None or request.status not in OPEN_REFUND_STATUSES:
            return request
        payment_id, amount, key = (
            request.provider_payment_id,
            request.amount_cents,
            request.idempotency_key,
        )
        pending = (
            request.provider_refund_id
            if request.status == RefundRequestStatus.PENDING.value
            else None
        )
        self._session.commit()  # no transaction (on SQLite, no write lock) during the call
        provider = self._platform.payments
        try:
            if pending is not None:
                result = provider.refund_status(pending)
            else:
                result = provider.refund(payment_id, amount, key)
        except RefundFailed as refused:
            _log.error("refund %s failed at the provider: %s", key, refused)
            return self._record(purchase_id, None, f"{refused}")
        except Exception as error:  # unanswered: the request stays open for a retry
            _log.warning("refund %s not confirmed by the provider: %s", key, error)
            return self._note_attempt(purchase_id, error)
        return self._record(purchase_id, result, None)

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
        return request

    def _record(
        self, purchase_id: uuid.UUID, result: RefundResult | None, failure: str | None
    ) -> RefundRequest:
        """Phase 3: the provider's answer, under the lot's lock, in one transaction."""
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

    def _note_attempt(self, purchase_id: uuid.UUID, error: BaseException) -> RefundRequest:
        request = self._refunds.refund_request_for_update(purchase_id)
        assert request is not None
        if request.status in OPEN_REFUND_STATUSES:
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
        Ledger(self._session).post(
            "refund_cash",
            postings,
            refs=refs,
            metadata={"refunded_cents": back, "fee_cents": paid - back, "chosen": chosen},
            idempotency_key=key,
        )
        notify_refund_done(self._session, self._platform, lot, purchase, now)

    def _convert_to_credits(self, lot: Lot, purchase: LotEntryPurchase, now: datetime) -> None:
        paid = purchase.amount_cents
        credits = percent_of(paid, CREDIT_CONVERSION_PERCENT)
        self._mark_refunded(purchase, RefundChoice.CREDITS, now)
        purchase.refunded_credits = credits
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

    def _refund_spent_credits(self, lot: Lot, purchase: LotEntryPurchase, now: datetime) -> None:
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

    def _mark_refunded(self, purchase: LotEntryPurchase, how: RefundChoice, now: datetime) -> None:
        purchase.status = PurchaseStatus.REFUNDED.value
        purchase.refund_choice = how.value
        purchase.refunded_at = now
        self._session.flush()
        remaining = [
            p
            for p in self._refunds.purchases(purchase.lot_id, PurchaseStatus.SUCCEEDED)
            if p.user_id == purchase.user_id
        ]
        reveal = self._refunds.reveal(purchase.lot_id, purchase.user_id)
        if not remaining and reveal is not None:
            reveal.status = RevealStatus.REFUNDED.value
            reveal.revealed_at = now

    def _close_if_done(self, lot: Lot, now: datetime) -> None:
        self._session.flush()
        if not self._refunds.purchases(lot.id, PurchaseStatus.SUCCEEDED):
            transition(lot, LotStatus.CLOSED, now, action="close")
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


def finish_open_refunds(platform: PlatformContext, *, older_than_seconds: int = 60) -> int:
    """Finish cash refunds left open (a crash, the provider down, a pending refund):
    phases 2 and 3 again, each purchase in its own unit of work. Returns how many are
    open afterwards (any age)."""
    before = platform.clock() - timedelta(seconds=older_than_seconds)
    with contextmanager(unit_of_work)(platform.database) as session:
        open_ids = RefundRepository(session).open_refund_requests(
            requested_before=before, limit=_EXPIRY_BATCH
        )
    for purchase_id in open_ids:
        with contextmanager(unit_of_work)(platform.database) as session:
            RefundService(session, platform).finish(purchase_id)
    with contextmanager(unit_of_work)(platform.database) as session:
        return RefundRepository(session).count_open_refund_requests()
