"""SQL for reveals."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.lots.models import Lot
from alot_platform.pagination import keyset_after
from alot_platform.reveals.models import Reveal


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

    def get(self, reveal_id: uuid.UUID) -> Reveal | None:
        return self.session.get(Reveal, reveal_id)
