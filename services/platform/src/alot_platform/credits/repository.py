"""SQL for credit balances and their history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.credits.models import CreditTransaction, UserUniversalCredits


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

    def history(
        self, user_id: uuid.UUID, *, before: uuid.UUID | None, limit: int
    ) -> list[CreditTransaction]:
        query = select(CreditTransaction).where(CreditTransaction.user_id == user_id)
        if before is not None:
            anchor = self.session.get(CreditTransaction, before)
            if anchor is not None and anchor.user_id == user_id:
                query = query.where(
                    (CreditTransaction.created_at < anchor.created_at)
                    | (
                        (CreditTransaction.created_at == anchor.created_at)
                        & (CreditTransaction.id < anchor.id)
                    )
                )
        query = query.order_by(CreditTransaction.created_at.desc(), CreditTransaction.id.desc())
        return list(self.session.scalars(query.limit(limit)))

    def all_balances(self) -> dict[uuid.UUID, int]:
        rows = self.session.execute(
            select(UserUniversalCredits.user_id, UserUniversalCredits.balance)
        )
        return dict(rows.all())
