"""/api/users/me/credits: a player's credit balance and its history."""

from __future__ import annotations

from fastapi import APIRouter, Response

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep
from alot_platform.cache.lots import credit_balance, json_body
from alot_platform.credits.schemas import CreditsRead, CreditTransactionPage, CreditTransactionRead
from alot_platform.credits.service import CreditsService
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam

router = APIRouter(prefix="/api/users/me/credits", tags=["credits"])


@router.get("", response_model=CreditsRead, responses=problems(401), summary="My credit balance")
def my_credits(user: CurrentUser, session: SessionDep, platform: PlatformDep) -> Response:
    return json_body(credit_balance(session, platform, user.id))


@router.get(
    "/transactions",
    responses=problems(401, 422),
    summary="My credit movements, newest first",
)
def my_credit_transactions(
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> CreditTransactionPage:
    rows, next_cursor = CreditsService(session, platform.clock()).history(
        user.id, cursor=cursor, limit=limit
    )
    return CreditTransactionPage(
        items=[CreditTransactionRead.of(row) for row in rows], next_cursor=next_cursor
    )
