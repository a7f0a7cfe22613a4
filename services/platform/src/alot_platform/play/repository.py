"""SQL for play settings and the cash a player spent."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntryPurchase, PaymentMethod, PurchaseStatus
from alot_platform.play.models import PlaySettings

# A purchase that got tickets counts, refunded later or not: a refund gives no room back.
_SPENT_STATUSES = (PurchaseStatus.SUCCEEDED.value, PurchaseStatus.REFUNDED.value)


class PlayRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: uuid.UUID) -> PlaySettings | None:
        return self.session.scalars(
            select(PlaySettings)
            .where(PlaySettings.user_id == user_id)
            .execution_options(populate_existing=True)
        ).one_or_none()

    def for_update(
        self, user_ids: Collection[uuid.UUID], *, lock: bool = True
    ) -> dict[uuid.UUID, PlaySettings]:
        """The settings rows of ``user_ids`` that exist, locked until commit unless
        ``lock`` is false (in id order, as every locker takes them: no deadlock between
        two batches), read as committed now. SQLite has no row locks; its writers are
        serialized anyway."""
        if not user_ids:
            return {}
        query = (
            select(PlaySettings)
            .where(PlaySettings.user_id.in_(sorted(user_ids)))
            .order_by(PlaySettings.user_id)
            .execution_options(populate_existing=True)
        )
        rows = self.session.scalars(query.with_for_update() if lock else query)
        return {row.user_id: row for row in rows}

    def add(self, row: PlaySettings) -> None:
        self.session.add(row)
        self.session.flush()

    def cash_spent(
        self, user_ids: Collection[uuid.UUID], since: dict[str, datetime]
    ) -> dict[uuid.UUID, dict[str, int]]:
        """Cash each of ``user_ids`` spent since each of ``since`` (name -> start): the
        amounts of their cash purchases that got tickets, by when they completed."""
        if not user_ids or not since:
            return {}
        earliest = min(since.values())
        columns = [
            func.coalesce(
                func.sum(
                    case(
                        (LotEntryPurchase.completed_at >= start, LotEntryPurchase.amount_cents),
                        else_=0,
                    )
                ),
                0,
            )
            for start in since.values()
        ]
        rows = self.session.execute(
            select(LotEntryPurchase.user_id, *columns)
            .where(
                LotEntryPurchase.user_id.in_(sorted(user_ids)),
                LotEntryPurchase.method == PaymentMethod.CASH.value,
                LotEntryPurchase.status.in_(_SPENT_STATUSES),
                LotEntryPurchase.ledger_seq.is_not(None),
                LotEntryPurchase.completed_at >= earliest,
            )
            .group_by(LotEntryPurchase.user_id)
        )
        names = list(since)
        return {
            row[0]: {name: int(value) for name, value in zip(names, row[1:], strict=True)}
            for row in rows
        }
