"""Request and response bodies for a lot's trivia question."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alot_platform.lots.schemas import Answer
from alot_platform.trivia.service import TriviaStatus
from alot_platform.types import PlainText


class TriviaAttemptCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Answer
    invite_code: Annotated[PlainText, StringConstraints(max_length=100)] | None = Field(
        default=None, description="a private lot's invite code, when it has one"
    )
    access_token: Annotated[PlainText, StringConstraints(max_length=64)] | None = Field(
        default=None,
        description="a private lot's link token (from /l/<token>): lets a player reached"
        " by the link answer; passing lets them see and buy in the lot",
    )


class TriviaStatusRead(BaseModel):
    lot_id: uuid.UUID
    question: str
    passed: bool = Field(description="answered correctly: the player may buy tickets")
    attempts_made: int
    attempts_left: int = Field(description="in the current round; 0 while cooling down")
    attempts_per_round: int
    cooldown_until: datetime | None = Field(description="no attempts before this time")


class TriviaAttemptRead(BaseModel):
    correct: bool
    status: TriviaStatusRead


def trivia_status_read(
    lot_id: uuid.UUID, question: str, status: TriviaStatus, per_round: int
) -> TriviaStatusRead:
    return TriviaStatusRead(
        lot_id=lot_id,
        question=question,
        passed=status.passed,
        attempts_made=status.attempts_made,
        attempts_left=status.attempts_left,
        attempts_per_round=per_round,
        cooldown_until=status.cooldown_until,
    )
