"""/api/users/me/credits: a player's credit balance and its history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep
from alot_platform.credits.schemas import CreditsRead, CreditTransactionPage, CreditTransactionRead
from alot_platform.credits.service import CreditsService, InvalidCursor
from alot_platform.openapi_helpers import problems

router = APIRouter(prefix="/api/users/me/credits", tags=["credits"])


@router.get("", responses=problems(401), summary="My credit balance")
def my_credits(user: CurrentUser, session: SessionDep, platform: PlatformDep) -> CreditsRead:
    return CreditsRead.of(CreditsService(session, platform.clock()).account(user.id))


@router.get(
    "/transactions",
    responses=problems(401, 422),
    summary="My credit movements, newest first",
)
def my_credit_transactions(
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> CreditTransactionPage:
    before = _decode(cursor) if cursor else None
    rows = CreditsService(session, platform.clock()).history(
        user.id, before=before, limit=limit + 1
    )
    page = rows[:limit]
    return CreditTransactionPage(
        items=[CreditTransactionRead.of(row) for row in page],
        next_cursor=page[-1].id.hex if len(rows) > limit else None,
    )


def _decode(cursor: str) -> uuid.UUID:
    try:
        return uuid.UUID(hex=cursor)
    except ValueError:
        raise InvalidCursor("the cursor is not one this API returned") from None
