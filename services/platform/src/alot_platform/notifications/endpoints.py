"""/api/users/me/notifications and /api/users/me/preferences: what the player is told,
marking it read, and which emails they want."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep
from alot_platform.notifications.schemas import (
    MarkedRead,
    MarkRead,
    NotificationPage,
    PreferencesRead,
    PreferencesUpdate,
)
from alot_platform.notifications.service import NotificationService
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam

router = APIRouter(prefix="/api/users/me", tags=["notifications"])


@router.get(
    "/notifications",
    responses=problems(401, 422),
    summary="My notifications, newest first, with the unread count",
)
def my_notifications(
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
) -> NotificationPage:
    return NotificationService(session, platform).mine(
        user, cursor=cursor, limit=limit, unread_only=unread
    )


@router.post(
    "/notifications/read",
    responses=problems(401, 403, 404, 422),
    summary="Mark some notifications, or all up to one, read",
)
def mark_notifications_read(
    body: MarkRead, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> MarkedRead:
    return NotificationService(session, platform).mark_read(user, body)


@router.get("/preferences", responses=problems(401), summary="My email preferences")
def my_preferences(
    user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> PreferencesRead:
    return NotificationService(session, platform).preferences(user)


@router.patch(
    "/preferences",
    responses=problems(401, 403, 422),
    summary="Change my email preferences (transactional emails are always sent)",
)
def update_my_preferences(
    changes: PreferencesUpdate, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> PreferencesRead:
    return NotificationService(session, platform).update_preferences(user, changes)
