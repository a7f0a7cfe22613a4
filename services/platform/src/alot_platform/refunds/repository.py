"""SQL for expiry and refunds: due lots, a lot's purchases, the buyer's reveal, cash
refunds in flight.

The lists of due work are read in batches, each after the last row of the one before
(a key the list is ordered by), so a periodic job drains everything due without ever
reading a row it could not handle (a lot held by a purchase) twice in one run.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntryPurchase, PaymentMethod, PurchaseStatus
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.refunds.models import OPEN_REFUND_STATUSES, RefundRequest
from alot_platform.reveals.models import Reveal, RevealStatus


class RefundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lots_due_for_refunds(
        self, now: datetime, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[tuple[datetime, uuid.UUID]]:
        """(deadline, id) of lots whose refunds are to start, after ``after`` in that
        order: open lots past their deadline, and expired lots whose refunds never
        started (expired before refunds started by themselves)."""
        query = (
            select(Lot.deadline, Lot.id)
            .where(
                or_(
                    and_(Lot.status == LotStatus.OPEN.value, Lot.deadline <= now),
                    Lot.status == LotStatus.EXPIRED.value,
                )
            )
            .order_by(Lot.deadline, Lot.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(_after(Lot.deadline, Lot.id, after))
        return [(row[0], row[1]) for row in self.session.execute(query)]

    def lock_lot_due_for_refunds(self, lot_id: uuid.UUID, now: datetime) -> Lot | None:
        """The lot, locked, if its refunds are still to start (see above); None if not,
        or if another transaction holds it (a purchase in progress, another tick): it
        is then left for the next run, so a purchase and the expiry never both win."""
        return self.session.scalars(
            select(Lot)
            .where(
                Lot.id == lot_id,
                or_(
                    and_(Lot.status == LotStatus.OPEN.value, Lot.deadline <= now),
                    Lot.status == LotStatus.EXPIRED.value,
                ),
            )
            .with_for_update(skip_locked=True, of=Lot)
            .execution_options(populate_existing=True)
        ).one_or_none()

    def refunding_lots_past_choice_deadline(
        self, now: datetime, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[tuple[datetime, uuid.UUID]]:
        query = (
            select(Lot.refund_choice_deadline, Lot.id)
            .where(
                Lot.status == LotStatus.REFUNDING.value,
                Lot.refund_choice_deadline <= now,
            )
            .order_by(Lot.refund_choice_deadline, Lot.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(_after(Lot.refund_choice_deadline, Lot.id, after))
        # A refunding lot always has its choice date (set in the same transaction).
        return [(row[0], row[1]) for row in self.session.execute(query) if row[0] is not None]

    def refunding_lots_with_spent_credits(
        self, *, after: uuid.UUID | None, limit: int
    ) -> list[uuid.UUID]:
        """Refunding lots with credit purchases not yet given back (chunks still to run)."""
        query = (
            select(Lot.id)
            .where(Lot.status == LotStatus.REFUNDING.value)
            .where(
                select(LotEntryPurchase.id)
                .where(
                    LotEntryPurchase.lot_id == Lot.id,
                    LotEntryPurchase.method == PaymentMethod.CREDITS.value,
                    LotEntryPurchase.status == PurchaseStatus.SUCCEEDED.value,
                )
                .exists()
            )
            .order_by(Lot.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Lot.id > after)
        return list(self.session.scalars(query))

    def purchase(self, purchase_id: uuid.UUID) -> LotEntryPurchase | None:
        return self.session.get(LotEntryPurchase, purchase_id)

    def purchase_for_update(self, purchase_id: uuid.UUID) -> LotEntryPurchase | None:
        return self.session.scalars(
            select(LotEntryPurchase)
            .where(LotEntryPurchase.id == purchase_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

    def purchases(
        self,
        lot_id: uuid.UUID,
        status: PurchaseStatus,
        *,
        method: PaymentMethod | None = None,
        limit: int | None = None,
    ) -> list[LotEntryPurchase]:
        """The lot's paid purchases in ``status``, oldest first (caller holds the lot
        lock); free entries paid nothing and have nothing to refund."""
        query = (
            select(LotEntryPurchase)
            .where(
                LotEntryPurchase.lot_id == lot_id,
                LotEntryPurchase.status == status.value,
                LotEntryPurchase.method != PaymentMethod.FREE.value,
            )
            .order_by(LotEntryPurchase.created_at, LotEntryPurchase.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        if method is not None:
            query = query.where(LotEntryPurchase.method == method.value)
        return list(self.session.scalars(query))

    def purchases_without_refund_request(
        self, lot_id: uuid.UUID, *, limit: int
    ) -> list[LotEntryPurchase]:
        """The lot's purchases still waiting for a refund with none requested, oldest first."""
        return list(
            self.session.scalars(
                select(LotEntryPurchase)
                .where(
                    LotEntryPurchase.lot_id == lot_id,
                    LotEntryPurchase.status == PurchaseStatus.SUCCEEDED.value,
                    LotEntryPurchase.method != PaymentMethod.FREE.value,
                    ~select(RefundRequest.purchase_id)
                    .where(RefundRequest.purchase_id == LotEntryPurchase.id)
                    .exists(),
                )
                .order_by(LotEntryPurchase.created_at, LotEntryPurchase.id)
                .limit(limit)
                .execution_options(populate_existing=True)
            )
        )

    def has_unrefunded(self, lot_id: uuid.UUID, *, user_id: uuid.UUID | None = None) -> bool:
        """Whether the lot (or ``user_id``'s share of it) has a purchase not yet refunded
        (a free entry paid nothing: there is nothing to refund, it never waits)."""
        query = select(LotEntryPurchase.id).where(
            LotEntryPurchase.lot_id == lot_id,
            LotEntryPurchase.status == PurchaseStatus.SUCCEEDED.value,
            LotEntryPurchase.method != PaymentMethod.FREE.value,
        )
        if user_id is not None:
            query = query.where(LotEntryPurchase.user_id == user_id)
        return self.session.scalar(query.limit(1)) is not None

    def count_purchases(self, lot_id: uuid.UUID) -> dict[str, int]:
        """How many of the lot's paid purchases are in each status (free entries have
        nothing to refund: they are not counted)."""
        rows = self.session.execute(
            select(LotEntryPurchase.status, func.count())
            .where(
                LotEntryPurchase.lot_id == lot_id,
                LotEntryPurchase.method != PaymentMethod.FREE.value,
            )
            .group_by(LotEntryPurchase.status)
        )
        return {str(row[0]): int(row[1]) for row in rows}

    def close_pending_reveals(self, lot_id: uuid.UUID, now: datetime) -> None:
        """The reveals still pending when the lot closes (players who only entered for
        free: nothing of theirs was refunded one by one) say refunded too: the lot
        closed without a draw."""
        self.session.execute(
            update(Reveal)
            .where(Reveal.lot_id == lot_id, Reveal.status == RevealStatus.PENDING.value)
            .values(status=RevealStatus.REFUNDED.value, revealed_at=now)
            .execution_options(synchronize_session=False)
        )

    def reveal(self, lot_id: uuid.UUID, user_id: uuid.UUID) -> Reveal | None:
        return self.session.scalars(
            select(Reveal).where(Reveal.lot_id == lot_id, Reveal.user_id == user_id)
        ).one_or_none()

    # -- cash refunds in flight ---------------------------------------------------------

    def refund_request(self, purchase_id: uuid.UUID) -> RefundRequest | None:
        return self.session.get(RefundRequest, purchase_id)

    def refund_request_for_update(self, purchase_id: uuid.UUID) -> RefundRequest | None:
        return self.session.scalars(
            select(RefundRequest)
            .where(RefundRequest.purchase_id == purchase_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

    def open_refund_request(self, purchase_id: uuid.UUID) -> RefundRequest | None:
        """The purchase's cash refund, if requested and not finished (nor failed)."""
        return self.session.scalars(
            select(RefundRequest)
            .where(RefundRequest.purchase_id == purchase_id)
            .where(RefundRequest.status.in_(OPEN_REFUND_STATUSES))
            .execution_options(populate_existing=True)
        ).one_or_none()

    def open_refund_requests(
        self,
        *,
        updated_before: datetime,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[tuple[datetime, uuid.UUID]]:
        """(requested_at, purchase id) of unfinished cash refunds (a crash, the provider
        down or pending) not touched since ``updated_before``, after ``after``."""
        query = (
            select(RefundRequest.requested_at, RefundRequest.purchase_id)
            .where(RefundRequest.status.in_(OPEN_REFUND_STATUSES))
            .where(RefundRequest.updated_at <= updated_before)
            .order_by(RefundRequest.requested_at, RefundRequest.purchase_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(
                _after(RefundRequest.requested_at, RefundRequest.purchase_id, after)
            )
        return [(row[0], row[1]) for row in self.session.execute(query)]

    def count_open_refund_requests(self) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(RefundRequest)
                .where(RefundRequest.status.in_(OPEN_REFUND_STATUSES))
            )
            or 0
        )


def _after(first: Any, second: Any, after: tuple[datetime, uuid.UUID]) -> ColumnElement[bool]:
    """Rows ordered by (first, second) strictly after ``after`` (bound with the columns'
    own types, which a row-value comparison would not do on SQLite)."""
    return or_(first > after[0], and_(first == after[0], second > after[1]))
