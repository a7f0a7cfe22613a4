"""Reveals ("digital cards"): one per player per lot entered; the lot engine sets them
(pending at the first purchase, won or lost at settlement, refunded with the refunds)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from alot_platform.fulfillment.service import fulfillment_of
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.reveals.repository import LotTotals, RevealRepository
from alot_platform.reveals.schemas import RevealPage, RevealRead
from alot_platform.users.models import User


class RevealService:
    def __init__(self, session: Session) -> None:
        self._reveals = RevealRepository(session)

    def mine(self, user: User, *, cursor: str | None, limit: int) -> RevealPage:
        after = decode_cursor(cursor, "reveals", datetime, uuid.UUID) if cursor else None
        rows, next_cursor = page_of(
            self._reveals.page(user.id, after=after, limit=limit + 1),
            limit,
            lambda row: encode_cursor("reveals", row[0].created_at, row[0].id),
        )
        totals = self._reveals.totals(user.id, [lot.id for _, lot in rows])
        items = []
        for reveal, lot in rows:
            mine = totals.get(lot.id, LotTotals())
            items.append(
                RevealRead(
                    **fulfillment_of(reveal),
                    id=reveal.id,
                    lot_id=lot.id,
                    lot_title=lot.title,
                    lot_status=lot.status,
                    prize_name=lot.product_class.name,
                    prize_retail_value_cents=lot.product_class.retail_value_cents,
                    tickets=mine.tickets,
                    awarded_credits=mine.awarded_credits,
                    refunded_cents=mine.refunded_cents,
                    refunded_credits=mine.refunded_credits,
                    revealed_at=reveal.revealed_at,
                    created_at=reveal.created_at,
                )
            )
        return RevealPage(items=items, next_cursor=next_cursor)
