"""SQL for draws: the draw record and the ticket map it is computed from."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from alot_platform.draws.models import LotteryDraw
from alot_platform.entries.models import LotEntry, LotEntryPurchase, PaymentMethod
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.reveals.models import Reveal, RevealStatus
from alot_platform.users.models import User


class SettledEntry(NamedTuple):
    """An entry as a settlement chunk left it."""

    id: uuid.UUID
    user_id: uuid.UUID
    purchase_id: uuid.UUID
    tickets_start: int
    tickets_end: int
    credits_awarded: int


class MappedEntry(NamedTuple):
    """An entry as the ticket map reads it: with whether it is a free entry (its
    purchase's method is ``free``), what its purchase put in the lot's escrow (cash cents
    plus credits, 1 credit = 1 cent: its purchase's escrow postings) and that purchase's
    ledger seq (None only if the purchase was never written to the ledger)."""

    entry: LotEntry
    free: bool
    amount_cents: int
    purchase_seq: int | None


class DrawRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_for_lot(self, lot_id: uuid.UUID) -> LotteryDraw | None:
        return self.session.scalars(
            select(LotteryDraw).where(LotteryDraw.lot_id == lot_id)
        ).one_or_none()

    def add(self, draw: LotteryDraw) -> None:
        self.session.add(draw)

    def entries(self, lot_id: uuid.UUID) -> list[MappedEntry]:
        """The lot's entries in ticket order (the ticket map), each with its purchase's
        method, amount and ledger seq."""
        rows = self.session.execute(
            select(
                LotEntry,
                LotEntryPurchase.method == PaymentMethod.FREE.value,
                LotEntryPurchase.amount_cents + LotEntryPurchase.credits_spent,
                LotEntryPurchase.ledger_seq,
            )
            .join(LotEntryPurchase, LotEntryPurchase.id == LotEntry.purchase_id)
            .where(LotEntry.lot_id == lot_id)
            .order_by(LotEntry.tickets_start)
        )
        return [
            MappedEntry(entry, bool(free), int(amount), seq) for entry, free, amount, seq in rows
        ]

    def chunk_end(self, lot_id: uuid.UUID, after_ticket: int, size: int) -> int | None:
        """The first ticket of the ``size``-th entry after ticket ``after_ticket``: where a
        chunk of ``size`` entries ends; None when fewer entries remain."""
        return self.session.scalar(
            select(LotEntry.tickets_start)
            .where(LotEntry.lot_id == lot_id, LotEntry.tickets_start > after_ticket)
            .order_by(LotEntry.tickets_start)
            .offset(size - 1)
            .limit(1)
        )

    def settle_entries(
        self,
        lot_id: uuid.UUID,
        *,
        after_ticket: int,
        through_start: int | None,
        winner_id: uuid.UUID,
        winning_ticket: int,
        rate_percent: int,
    ) -> list[SettledEntry]:
        """Mark and award the entries starting after ``after_ticket`` (through the one
        starting at ``through_start``; None: to the end), in one statement; return them
        in ticket order.

        The entry holding the winning ticket is the winner. Every entry of anyone else
        earns ``floor((cash cents + credits spent) * rate / 100)`` credits (integer
        division of non-negative integers, as ``money.percent_of``); the winner's entries
        earn none. One UPDATE for a whole chunk: an UPDATE per entry costs a settlement
        of 50,000 buyers seconds.
        """
        spend = LotEntry.amount_paid_cents + LotEntry.credits_spent
        statement = (
            update(LotEntry)
            .where(LotEntry.lot_id == lot_id, LotEntry.tickets_start > after_ticket)
            .values(
                is_winner=and_(
                    LotEntry.tickets_start <= winning_ticket, LotEntry.tickets_end >= winning_ticket
                ),
                credits_awarded=case(
                    (LotEntry.user_id == winner_id, 0), else_=spend * rate_percent // 100
                ),
            )
            .returning(
                LotEntry.id,
                LotEntry.user_id,
                LotEntry.purchase_id,
                LotEntry.tickets_start,
                LotEntry.tickets_end,
                LotEntry.credits_awarded,
            )
            .execution_options(synchronize_session=False)
        )
        if through_start is not None:
            statement = statement.where(LotEntry.tickets_start <= through_start)
        rows = self.session.execute(statement).all()
        return sorted((SettledEntry(*row) for row in rows), key=lambda entry: entry.tickets_start)

    def users_without_reveal(
        self, lot_id: uuid.UUID, *, after_ticket: int, through_start: int | None
    ) -> list[uuid.UUID]:
        """Buyers of the entries in that range who have no reveal for the lot."""
        query = (
            select(LotEntry.user_id)
            .distinct()
            .outerjoin(
                Reveal, and_(Reveal.lot_id == LotEntry.lot_id, Reveal.user_id == LotEntry.user_id)
            )
            .where(
                LotEntry.lot_id == lot_id,
                LotEntry.tickets_start > after_ticket,
                Reveal.id.is_(None),
            )
        )
        if through_start is not None:
            query = query.where(LotEntry.tickets_start <= through_start)
        return sorted(self.session.scalars(query))

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

    def set_claim_deadline(
        self, lot_id: uuid.UUID, winner_id: uuid.UUID, deadline: datetime
    ) -> None:
        """The winner's reveal may be claimed until ``deadline`` (docs/platform/fulfillment.md)."""
        self.session.execute(
            update(Reveal)
            .where(
                Reveal.lot_id == lot_id,
                Reveal.user_id == winner_id,
                Reveal.status == RevealStatus.WON.value,
            )
            .values(claim_deadline=deadline)
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

    def lot_ids_in(
        self, statuses: Sequence[LotStatus], *, after: uuid.UUID | None = None, limit: int
    ) -> list[uuid.UUID]:
        """Lots waiting for the draw engine (funded or drawn but not settled), by id,
        after ``after`` (a batch at a time)."""
        query = select(Lot.id).where(Lot.status.in_([s.value for s in statuses]))
        if after is not None:
            query = query.where(Lot.id > after)
        return list(self.session.scalars(query.order_by(Lot.id).limit(limit)))
