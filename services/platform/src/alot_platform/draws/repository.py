"""SQL for draws: the draw record and the ticket map it is computed from."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.draws.models import LotteryDraw
from alot_platform.entries.models import LotEntry
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.reveals.models import Reveal
from alot_platform.users.models import User


class DrawRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_for_lot(self, lot_id: uuid.UUID) -> LotteryDraw | None:
        return self.session.scalars(
            select(LotteryDraw).where(LotteryDraw.lot_id == lot_id)
        ).one_or_none()

    def add(self, draw: LotteryDraw) -> None:
        self.session.add(draw)

    def entries(self, lot_id: uuid.UUID) -> list[LotEntry]:
        """The lot's entries in ticket order (the ticket map)."""
        return list(
            self.session.scalars(
                select(LotEntry).where(LotEntry.lot_id == lot_id).order_by(LotEntry.tickets_start)
            )
        )

    def reveals(self, lot_id: uuid.UUID) -> list[Reveal]:
        return list(self.session.scalars(select(Reveal).where(Reveal.lot_id == lot_id)))

    def user(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id)

    def lot_ids_in(self, statuses: Sequence[LotStatus], *, limit: int) -> list[uuid.UUID]:
        """Lots waiting for the draw engine (funded or drawn but not settled), oldest first."""
        return list(
            self.session.scalars(
                select(Lot.id)
                .where(Lot.status.in_([s.value for s in statuses]))
                .order_by(Lot.updated_at, Lot.id)
                .limit(limit)
            )
        )
