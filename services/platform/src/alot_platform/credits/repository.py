"""SQL for credit balances and their history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from alot_platform.credits.models import CreditTransaction, UserUniversalCredits
from alot_platform.pagination import keyset_after


class CreditsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: uuid.UUID) -> UserUniversalCredits | None:
        return self.session.get(UserUniversalCredits, user_id)

    def lock_many(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, UserUniversalCredits]:
        """Balance rows of ``user_ids``, locked, in id order (a fixed order avoids deadlocks)."""
        if not user_ids:
            return {}
        rows = self.session.scalars(
            select(UserUniversalCredits)
            .where(UserUniversalCredits.user_id.in_(sorted(set(user_ids))))
            .order_by(UserUniversalCredits.user_id)
            .with_for_update()
        ).all()
        return {row.user_id: row for row in rows}

    def transaction(self, transaction_id: uuid.UUID) -> CreditTransaction | None:
        return self.session.get(CreditTransaction, transaction_id)

    def add(self, row: UserUniversalCredits | CreditTransaction) -> None:
        self.session.add(row)

    def insert_balances(self, rows: Sequence[dict[str, Any]]) -> None:
        """New balance rows, in one statement."""
        if rows:
            self.session.execute(insert(UserUniversalCredits), list(rows))

    def insert_movements(self, rows: Sequence[dict[str, Any]]) -> None:
        """Credit movements (with their ids), in one statement."""
        if rows:
            self.session.execute(insert(CreditTransaction), list(rows))

    def history(
        self, user_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[CreditTransaction]:
        """The user's movements, newest first, strictly after the ``after`` key."""
        keys = (CreditTransaction.created_at, CreditTransaction.id)
        query = select(CreditTransaction).where(CreditTransaction.user_id == user_id)
        if after is not None:
            query = query.where(keyset_after(keys, after, descending=(True, True)))
        query = query.order_by(CreditTransaction.created_at.desc(), CreditTransaction.id.desc())
        return list(self.session.scalars(query.limit(limit)))

    def all_balances(self) -> dict[uuid.UUID, int]:
        rows = self.session.execute(
            select(UserUniversalCredits.user_id, UserUniversalCredits.balance)
        )
        return dict(rows.all())
