"""/api/users/me/reveals: the caller's reveals across lots."""

from __future__ import annotations

from fastapi import APIRouter

from alot_platform.auth.dependencies import CurrentUser, SessionDep
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam
from alot_platform.reveals.schemas import RevealPage
from alot_platform.reveals.service import RevealService

router = APIRouter(prefix="/api/users/me", tags=["reveals"])


@router.get("/reveals", responses=problems(401, 422), summary="My reveals (won, lost, pending)")
def my_reveals(
    user: CurrentUser,
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> RevealPage:
    return RevealService(session).mine(user, cursor=cursor, limit=limit)
