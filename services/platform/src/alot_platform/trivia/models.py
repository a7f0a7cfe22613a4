"""Trivia attempts: one row per answer a player submits for a lot's question.

The submitted answer itself is not stored (a correct one would reveal the answer);
only whether it was correct. Attempts are numbered 1, 2, 3, ... per (lot, user); every
third failure starts a cooldown before the next three.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime


class LotTriviaAttempt(Base):
    __tablename__ = "lot_trivia_attempts"
    __table_args__ = (
        UniqueConstraint(
            "lot_id", "user_id", "attempt_number", name="uq_lot_trivia_attempts_number"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    attempt_number: Mapped[int] = mapped_column(Integer)
    is_correct: Mapped[bool] = mapped_column(Boolean)
    cooldown_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
