"""SQL for trivia attempts."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import BindParameter, Exists, bindparam, exists, select
from sqlalchemy.orm import Session

from alot_platform.trivia.models import LotTriviaAttempt
from alot_platform.users.models import User


def passed_trivia(
    lot_id: uuid.UUID | BindParameter[Any], user_id: uuid.UUID | BindParameter[Any]
) -> Exists:
    """True when the player answered the lot's question correctly: a clause other
    queries embed, so a purchase learns it in the same round trip as the lot."""
    return exists().where(
        LotTriviaAttempt.lot_id == lot_id,
        LotTriviaAttempt.user_id == user_id,
        LotTriviaAttempt.is_correct.is_(True),
    )


_PASSED_AMONG = (
    select(LotTriviaAttempt.user_id)
    .where(
        LotTriviaAttempt.lot_id == bindparam("lot_id"),
        LotTriviaAttempt.user_id.in_(bindparam("user_ids", expanding=True)),
        LotTriviaAttempt.is_correct.is_(True),
    )
    .distinct()
)


class TriviaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def passed_among(self, lot_id: uuid.UUID, user_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``user_ids`` answered the lot's question correctly."""
        if not user_ids:
            return set()
        return set(
            self.session.scalars(_PASSED_AMONG, {"lot_id": lot_id, "user_ids": list(user_ids)})
        )

    def has_passed(self, lot_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        return bool(self.session.scalar(select(passed_trivia(lot_id, user_id))))

    def attempts(self, lot_id: uuid.UUID, user_id: uuid.UUID) -> list[LotTriviaAttempt]:
        """The player's attempts on this lot's question, oldest first."""
        query = (
            select(LotTriviaAttempt)
            .where(LotTriviaAttempt.lot_id == lot_id, LotTriviaAttempt.user_id == user_id)
            .order_by(LotTriviaAttempt.attempt_number)
        )
        return list(self.session.scalars(query))

    def lock_player(self, user_id: uuid.UUID) -> None:
        """Lock the player's user row: their attempts are counted and numbered one at a time.

        A per-player lock rather than the lot's, so answering never queues behind the
        lot's ticket sales.
        """
        self.session.execute(select(User.id).where(User.id == user_id).with_for_update())

    def add(self, attempt: LotTriviaAttempt) -> None:
        self.session.add(attempt)
        self.session.flush()
