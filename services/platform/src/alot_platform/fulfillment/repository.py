"""SQL for prize fulfillment: a reveal with its lot (locked to change it), the shippers'
queues, and the reveals each deadline job has due."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from alot_platform.hosts.models import Host
from alot_platform.lots.models import Lot
from alot_platform.pagination import keyset_after
from alot_platform.reveals.models import Reveal, RevealStatus
from alot_platform.users.models import Role, User, UserRole


class FulfillmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, reveal_id: uuid.UUID, *, lock: bool = False) -> tuple[Reveal, Lot] | None:
        query = select(Reveal, Lot).join(Lot, Lot.id == Reveal.lot_id).where(Reveal.id == reveal_id)
        if lock:
            query = query.with_for_update(of=Reveal)
        row = self.session.execute(query).one_or_none()
        return None if row is None else (row[0], row[1])

    def username(self, user_id: uuid.UUID) -> str:
        return self.session.scalars(select(User.username).where(User.id == user_id)).one()

    def host_user_id(self, host_id: uuid.UUID) -> uuid.UUID | None:
        return self.session.scalar(select(Host.user_id).where(Host.id == host_id))

    def admin_ids(self) -> list[uuid.UUID]:
        return sorted(
            self.session.scalars(
                select(UserRole.user_id).where(UserRole.role == Role.ADMIN.value).distinct()
            )
        )

    def queue(
        self,
        *,
        host_id: uuid.UUID | None,
        statuses: Sequence[str],
        every_disputed: bool,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[tuple[Reveal, Lot, str]]:
        """Prizes of one host's lots (``host_id``), or of platform lots (None), in
        ``statuses``; with ``every_disputed``, the disputed prizes of host lots too.
        Oldest first, strictly after ``after`` (created_at, id)."""
        own = Lot.host_id == host_id if host_id is not None else Lot.host_id.is_(None)
        where: Any = and_(own, Reveal.status.in_(list(statuses)))
        if every_disputed and RevealStatus.DISPUTED.value in statuses:
            where = or_(where, Reveal.status == RevealStatus.DISPUTED.value)
        keys = (Reveal.created_at, Reveal.id)
        query = (
            select(Reveal, Lot, User.username)
            .join(Lot, Lot.id == Reveal.lot_id)
            .join(User, User.id == Reveal.user_id)
            .where(where)
            .order_by(*keys)
        )
        if after is not None:
            query = query.where(keyset_after(keys, after, descending=(False, False)))
        return [(r, lot, name) for r, lot, name in self.session.execute(query.limit(limit))]

    def due(
        self,
        status: RevealStatus,
        column: Any,
        *,
        after_moment: datetime | None,
        through: datetime,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[tuple[datetime, uuid.UUID]]:
        """(moment, id) of reveals in ``status`` whose ``column`` is in
        (``after_moment``, ``through``], by moment then id, after the key ``after``."""
        keys = (column, Reveal.id)
        query = select(column, Reveal.id).where(
            Reveal.status == status.value, column.is_not(None), column <= through
        )
        if status is RevealStatus.WON:
            query = query.where(Reveal.compensated_at.is_(None))
        if after_moment is not None:
            query = query.where(column > after_moment)
        if after is not None:
            query = query.where(keyset_after(keys, after, descending=(False, False)))
        return [(m, i) for m, i in self.session.execute(query.order_by(*keys).limit(limit))]
