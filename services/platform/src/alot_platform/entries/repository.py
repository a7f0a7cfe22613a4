"""SQL for purchases, the ticket ranges they bought, and the buyer's reveal row."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntry, LotEntryPurchase
from alot_platform.lots.models import Lot
from alot_platform.reveals.models import Reveal


class EntryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def purchase_by_key(self, user_id: uuid.UUID, idempotency_key: str) -> LotEntryPurchase | None:
        """The purchase ``user_id`` made under ``idempotency_key``, as committed now.

        ``populate_existing``: under the lot lock this must see a purchase another
        transaction committed after this session first looked.
        """
        return self.session.scalars(
            select(LotEntryPurchase)
            .where(
                LotEntryPurchase.user_id == user_id,
                LotEntryPurchase.idempotency_key == idempotency_key,
            )
            .execution_options(populate_existing=True)
        ).one_or_none()

    def entry_of(self, purchase_id: uuid.UUID) -> LotEntry | None:
        return self.session.scalars(
            select(LotEntry).where(LotEntry.purchase_id == purchase_id)
        ).one_or_none()

    def tickets_held(self, lot_id: uuid.UUID, user_id: uuid.UUID) -> int:
        return int(
            self.session.scalar(
                select(func.coalesce(func.sum(LotEntry.ticket_count), 0)).where(
                    LotEntry.lot_id == lot_id, LotEntry.user_id == user_id
                )
            )
            or 0
        )

    def has_reveal(self, user_id: uuid.UUID, lot_id: uuid.UUID) -> bool:
        found = self.session.scalar(
            select(Reveal.id).where(Reveal.user_id == user_id, Reveal.lot_id == lot_id)
        )
        return found is not None

    def add(self, row: LotEntryPurchase | LotEntry | Reveal) -> None:
        self.session.add(row)

    def entries_of_user(
        self,
        user_id: uuid.UUID,
        *,
        before: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[tuple[LotEntry, LotEntryPurchase, Lot]]:
        """A user's entries across lots, newest first, strictly after the ``before`` key."""
        query = (
            select(LotEntry, LotEntryPurchase, Lot)
            .join(LotEntryPurchase, LotEntryPurchase.id == LotEntry.purchase_id)
            .join(Lot, Lot.id == LotEntry.lot_id)
            .where(LotEntry.user_id == user_id)
        )
        if before is not None:
            query = query.where(tuple_(LotEntry.created_at, LotEntry.id) < tuple_(*before))
        query = query.order_by(LotEntry.created_at.desc(), LotEntry.id.desc()).limit(limit)
        return [(entry, purchase, lot) for entry, purchase, lot in self.session.execute(query)]
