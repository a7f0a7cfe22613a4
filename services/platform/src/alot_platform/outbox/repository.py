"""Queries over the outbox that are not about one row."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.outbox.models import OutboxItem, OutboxStatus
from alot_platform.pagination import keyset_after


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def dead(self, *, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[OutboxItem]:
        """Dead rows by when they died (their last attempt's time), latest first."""
        order = (OutboxItem.next_attempt_at, OutboxItem.id)
        query = select(OutboxItem).where(OutboxItem.status == OutboxStatus.DEAD.value)
        if after is not None:
            query = query.where(keyset_after(order, after, descending=(True, True)))
        return list(self._session.scalars(query.order_by(*(c.desc() for c in order)).limit(limit)))
