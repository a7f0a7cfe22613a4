"""SQL for draws: the draw record and the ticket map it is computed from."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from alot_platform.draws.models import LotteryDraw
from alot_platform.entries.models import LotEntry
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.reveals.models import Reveal, RevealStatus
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

    def entries_after(self, lot_id: uuid.UUID, after_ticket: int, limit: int) -> list[LotEntry]:
        """The next ``limit`` entries of the ticket map after ticket ``after_ticket``."""
        return list(
            self.session.scalars(
                select(LotEntry)
                .where(LotEntry.lot_id == lot_id, LotEntry.tickets_start > after_ticket)
                .order_by(LotEntry.tickets_start)
                .limit(limit)
            )
        )

    def users_with_reveals(
        self, lot_id: uuid.UUID, user_ids: Collection[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of ``user_ids`` already have their reveal for the lot."""
        if not user_ids:
            return set()
        return set(
            self.session.scalars(
                select(Reveal.user_id).where(
                    Reveal.lot_id == lot_id, Reveal.user_id.in_(list(user_ids))
                )
            )
        )

    def resolve_reveals(self, lot_id: uuid.UUID, winner_id: uuid.UUID, now: datetime) -> None:
        """Every pending reveal of the lot becomes won (the winner's) or lost, at once."""
        self.session.execute(
            update(Reveal)
            .where(Reveal.lot_id == lot_id, Reveal.status == RevealStatus.PENDING.value)
            .values(
                status=case(
                    (Reveal.user_id == winner_id, RevealStatus.WON.value),
                    else_=RevealStatus.LOST.value,
                ),
                revealed_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    def credits_awarded(self, lot_id: uuid.UUID) -> int:
        """The credits the lot's entries earned at settlement, all chunks together."""
        total = self.session.scalar(
            select(func.coalesce(func.sum(LotEntry.credits_awarded), 0)).where(
                LotEntry.lot_id == lot_id
            )
        )
        return int(total or 0)

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
