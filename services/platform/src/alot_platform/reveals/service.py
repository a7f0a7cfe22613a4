"""Reveals ("digital cards"): one per player per lot entered; the lot engine sets them
(pending at the first purchase, won or lost at settlement, refunded with the refunds)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from alot_platform.errors import InvalidInput
from alot_platform.reveals.repository import RevealRepository
from alot_platform.reveals.schemas import RevealPage, RevealRead
from alot_platform.users.models import User


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "Invalid cursor"


class RevealService:
    def __init__(self, session: Session) -> None:
        self._reveals = RevealRepository(session)

    def mine(self, user: User, *, cursor: str | None, limit: int) -> RevealPage:
        after = None
        if cursor is not None:
            try:
                after = self._reveals.get(uuid.UUID(cursor))
            except ValueError:
                after = None
            if after is None or after.user_id != user.id:
                raise InvalidCursor("the cursor is not one this endpoint returned")
        rows = self._reveals.page(user.id, after=after, limit=limit + 1)
        items = [
            RevealRead(
                id=reveal.id,
                lot_id=lot.id,
                lot_title=lot.title,
                lot_status=lot.status,
                status=reveal.status,
                revealed_at=reveal.revealed_at,
                created_at=reveal.created_at,
            )
            for reveal, lot in rows[:limit]
        ]
        more = len(rows) > limit
        return RevealPage(items=items, next_cursor=str(items[-1].id) if more else None)
