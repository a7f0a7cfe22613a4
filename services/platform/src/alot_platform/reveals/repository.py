"""SQL for reveals."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.lots.models import Lot
from alot_platform.reveals.models import Reveal


class RevealRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(
        self, user_id: uuid.UUID, *, after: Reveal | None, limit: int
    ) -> list[tuple[Reveal, Lot]]:
        """The user's reveals, newest first, after the ``after`` reveal."""
        query = (
            select(Reveal, Lot)
            .join(Lot, Lot.id == Reveal.lot_id)
            .where(Reveal.user_id == user_id)
            .order_by(Reveal.created_at.desc(), Reveal.id.desc())
        )
        if after is not None:
            query = query.where(
                (Reveal.created_at < after.created_at)
                | ((Reveal.created_at == after.created_at) & (Reveal.id < after.id))
            )
        return [(reveal, lot) for reveal, lot in self.session.execute(query.limit(limit))]

    def get(self, reveal_id: uuid.UUID) -> Reveal | None:
        return self.session.get(Reveal, reveal_id)
