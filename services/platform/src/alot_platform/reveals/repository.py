"""SQL for reveals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alot_platform.entries.models import LotEntry, LotEntryPurchase, PurchaseStatus
from alot_platform.lots.models import Lot
from alot_platform.pagination import keyset_after
from alot_platform.reveals.models import Reveal


class LotTotals(NamedTuple):
    """What one player put into one lot and got back from it."""

    tickets: int = 0
    awarded_credits: int = 0
    refunded_cents: int = 0
    refunded_credits: int = 0


class RevealRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(
        self, user_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[tuple[Reveal, Lot]]:
        """The user's reveals, newest first, strictly after the ``after`` (created_at, id)."""
        keys = (Reveal.created_at, Reveal.id)
        query = (
            select(Reveal, Lot)
            .join(Lot, Lot.id == Reveal.lot_id)
            .where(Reveal.user_id == user_id)
            .order_by(Reveal.created_at.desc(), Reveal.id.desc())
        )
        if after is not None:
            query = query.where(keyset_after(keys, after, descending=(True, True)))
        return [(reveal, lot) for reveal, lot in self.session.execute(query.limit(limit))]

    def totals(self, user_id: uuid.UUID, lot_ids: list[uuid.UUID]) -> dict[uuid.UUID, LotTotals]:
        """Per lot: the user's tickets, credits awarded, cents and credits refunded."""
        if not lot_ids:
            return {}
        found: dict[uuid.UUID, LotTotals] = {}
        purchases = (
            select(
                LotEntryPurchase.lot_id,
                func.coalesce(func.sum(LotEntryPurchase.tickets), 0),
                func.coalesce(func.sum(LotEntryPurchase.refunded_cents), 0),
                func.coalesce(func.sum(LotEntryPurchase.refunded_credits), 0),
            )
            .where(
                LotEntryPurchase.user_id == user_id,
                LotEntryPurchase.lot_id.in_(lot_ids),
                LotEntryPurchase.status.in_(
                    [PurchaseStatus.SUCCEEDED.value, PurchaseStatus.REFUNDED.value]
                ),
            )
            .group_by(LotEntryPurchase.lot_id)
        )
        for lot_id, tickets, cents, credits in self.session.execute(purchases):
            found[lot_id] = LotTotals(int(tickets or 0), 0, int(cents or 0), int(credits or 0))
        awarded = (
            select(LotEntry.lot_id, func.coalesce(func.sum(LotEntry.credits_awarded), 0))
            .where(LotEntry.user_id == user_id, LotEntry.lot_id.in_(lot_ids))
            .group_by(LotEntry.lot_id)
        )
        for lot_id, credits in self.session.execute(awarded):
            found[lot_id] = found.get(lot_id, LotTotals())._replace(
                awarded_credits=int(credits or 0)
            )
        return found

    def get(self, reveal_id: uuid.UUID) -> Reveal | None:
        return self.session.get(Reveal, reveal_id)
