"""SQL for expiry and refunds: due lots, a lot's purchases, the buyer's reveal, cash
refunds in flight."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntryPurchase, PurchaseStatus
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.refunds.models import OPEN_REFUND_STATUSES, RefundRequest
from alot_platform.reveals.models import Reveal


class RefundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_lots_past_deadline(self, now: datetime, *, limit: int) -> list[Lot]:
        """Open lots whose deadline has passed, locked; lots another transaction holds
        (a purchase in progress, another tick) are skipped and left for the next batch."""
        return list(
            self.session.scalars(
                select(Lot)
                .where(Lot.status == LotStatus.OPEN.value, Lot.deadline <= now)
                .order_by(Lot.deadline, Lot.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Lot)
                .execution_options(populate_existing=True)
            )
        )

    def refunding_lots_past_choice_deadline(self, now: datetime, *, limit: int) -> list[uuid.UUID]:
        return list(
            self.session.scalars(
                select(Lot.id)
                .where(
                    Lot.status == LotStatus.REFUNDING.value,
                    Lot.refund_choice_deadline <= now,
                )
                .order_by(Lot.refund_choice_deadline, Lot.id)
                .limit(limit)
            )
        )

    def purchase(self, purchase_id: uuid.UUID) -> LotEntryPurchase | None:
        return self.session.get(LotEntryPurchase, purchase_id)

    def purchase_for_update(self, purchase_id: uuid.UUID) -> LotEntryPurchase | None:
        return self.session.scalars(
            select(LotEntryPurchase)
            .where(LotEntryPurchase.id == purchase_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

    def purchases(self, lot_id: uuid.UUID, status: PurchaseStatus) -> list[LotEntryPurchase]:
        """The lot's purchases in ``status``, oldest first (caller holds the lot lock)."""
        return list(
            self.session.scalars(
                select(LotEntryPurchase)
                .where(LotEntryPurchase.lot_id == lot_id, LotEntryPurchase.status == status.value)
                .order_by(LotEntryPurchase.created_at, LotEntryPurchase.id)
                .execution_options(populate_existing=True)
            )
        )

    def count_purchases(self, lot_id: uuid.UUID) -> dict[str, int]:
        """How many of the lot's purchases are in each status."""
        rows = self.session.execute(
            select(LotEntryPurchase.status, func.count())
            .where(LotEntryPurchase.lot_id == lot_id)
            .group_by(LotEntryPurchase.status)
        )
        return {str(row[0]): int(row[1]) for row in rows}

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

    def open_refund_requests(self, *, requested_before: datetime, limit: int) -> list[uuid.UUID]:
        """Purchases whose cash refund is unfinished (a crash, the provider down or pending)."""
        return list(
            self.session.scalars(
                select(RefundRequest.purchase_id)
                .where(RefundRequest.status.in_(OPEN_REFUND_STATUSES))
                .where(RefundRequest.updated_at <= requested_before)
                .order_by(RefundRequest.requested_at)
                .limit(limit)
            )
        )

    def count_open_refund_requests(self) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(RefundRequest)
                .where(RefundRequest.status.in_(OPEN_REFUND_STATUSES))
            )
            or 0
        )
