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
work as the purchase's new state, under an idempotency key derived from the purchase;
the provider is called with that key too, so a retry never pays twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from alot_ledger import Ledger, Posting
from sqlalchemy.orm import Session

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
from alot_platform.lots.state import transition
from alot_platform.money import percent_of
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

    def choose(self, purchase_id: uuid.UUID, buyer: User, choice: RefundChoice) -> LotEntryPurchase:
        """Refund ``buyer``'s cash purchase as they choose; the same choice again is a no-op."""
        found = self._refunds.purchase(purchase_id)
        if found is None or found.user_id != buyer.id:
            raise PurchaseNotFound(f"you have no purchase {purchase_id}")
        lot = self._lock(found.lot_id)
        purchase = self._refunds.purchase_for_update(purchase_id)
        assert purchase is not None
        if purchase.status == PurchaseStatus.REFUNDED.value:
            if purchase.refund_choice == choice.value:
                return purchase
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
        if choice is RefundChoice.CASH:
            self._refund_cash(lot, purchase, now, chosen=True)
        else:
            self._convert_to_credits(lot, purchase, now)
        self._close_if_done(lot, now)
        return purchase

    # -- after the date ---------------------------------------------------------------

    def refund_overdue(self, lot_id: uuid.UUID) -> int:
        """Past the choice date: refund in cash every purchase still waiting; close."""
        lot = self._lock(lot_id)
        now = self._platform.clock()
        if (
            lot.status != LotStatus.REFUNDING.value
            or lot.refund_choice_deadline is None
            or now <= lot.refund_choice_deadline
        ):
            return 0
        waiting = self._refunds.purchases(lot.id, PurchaseStatus.SUCCEEDED)
        for purchase in waiting:
            if purchase.method == PaymentMethod.CASH.value:
                self._refund_cash(lot, purchase, now, chosen=False)
            else:  # refunded when refunds started; only if that was interrupted
                self._refund_spent_credits(lot, purchase, now)
        self._close_if_done(lot, now)
        return len(waiting)

    # -- the refunds themselves -----------------------------------------------------

    def _refund_cash(
        self, lot: Lot, purchase: LotEntryPurchase, now: datetime, *, chosen: bool
    ) -> None:
        paid = purchase.amount_cents
        back = percent_of(paid, CASH_REFUND_PERCENT)
        key = f"refund:{purchase.id}"
        refund_id = None
        if back > 0 and purchase.provider_payment_id is not None:
            result = self._platform.payments.refund(purchase.provider_payment_id, back, key)
            refund_id = result.refund_id
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
