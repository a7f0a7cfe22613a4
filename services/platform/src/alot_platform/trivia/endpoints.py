"""/api/lots/{id}/trivia: answer a lot's question (the skill gate before buying)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep
from alot_platform.lots.service import LotService
from alot_platform.openapi_helpers import problems
from alot_platform.trivia.schemas import (
    TriviaAttemptCreate,
    TriviaAttemptRead,
    TriviaStatusRead,
    trivia_status_read,
)
from alot_platform.trivia.service import TriviaService

router = APIRouter(prefix="/api/lots", tags=["trivia"], responses=problems(401, 404))


@router.post(
    "/{lot_id}/trivia/attempt",
    responses=problems(409, 422, 429),
    summary="Answer the lot's trivia question (a wrong answer is a 200 with correct=false)",
)
def attempt(
    lot_id: uuid.UUID,
    body: TriviaAttemptCreate,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
) -> TriviaAttemptRead:
    lot = LotService(session, platform).get_for_trivia(lot_id, user, body.access_token)
    result = TriviaService(session, platform).attempt(lot, user, body.answer, body.invite_code)
    per_round = platform.settings.trivia_attempts_per_round
    return TriviaAttemptRead(
        correct=result.correct,
        status=trivia_status_read(lot.id, lot.trivia_question, result.status, per_round),
    )


@router.get("/{lot_id}/trivia/status", summary="My standing on the lot's trivia question")
def status(
    lot_id: uuid.UUID, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> TriviaStatusRead:
    lot = LotService(session, platform).get_visible(lot_id, user)
    current = TriviaService(session, platform).status(lot, user)
    per_round = platform.settings.trivia_attempts_per_round
    return trivia_status_read(lot.id, lot.trivia_question, current, per_round)
