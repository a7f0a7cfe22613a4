"""/api/users/me/play: spend limits, time-out, self-exclusion, reality checks; and the
admins' read of a player's (there is no endpoint that lifts anything)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep, require_roles
from alot_platform.openapi_helpers import problems
from alot_platform.play.schemas import (
    LimitsUpdate,
    PlayStatus,
    RealityCheckUpdate,
    SelfExclusionRequest,
    TimeOutRequest,
)
from alot_platform.play.service import PlayService
from alot_platform.users.models import Role

router = APIRouter(prefix="/api/users/me/play", tags=["play"])
admin_router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_roles(Role.ADMIN))],
    responses=problems(401, 403),
)


@router.get("", responses=problems(401), summary="My limits, spending, breaks and reminders")
def my_play(user: CurrentUser, session: SessionDep, platform: PlatformDep) -> PlayStatus:
    return PlayService(session, platform).status(user.id)


@router.put(
    "/limits",
    responses=problems(401, 422),
    summary="Set my spend limits (lower at once, higher after 24 hours)",
)
def set_my_limits(
    body: LimitsUpdate, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> PlayStatus:
    return PlayService(session, platform).set_limits(user, body)


@router.post(
    "/time-out",
    responses=problems(401, 409, 422),
    summary="Take a time-out from purchases (24 hours to 6 weeks; cannot be ended early)",
)
def take_time_out(
    body: TimeOutRequest, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> PlayStatus:
    return PlayService(session, platform).time_out(user, body.hours)


@router.post(
    "/self-exclusion",
    responses=problems(401, 409, 422),
    summary="Exclude myself from purchases (6 months to 5 years; cannot be ended early)",
)
def exclude_myself(
    body: SelfExclusionRequest, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> PlayStatus:
    return PlayService(session, platform).self_exclude(user, body.months)


@router.put(
    "/reality-check",
    responses=problems(401, 422),
    summary="Set how often the web client reminds me of time and money spent",
)
def set_my_reality_check(
    body: RealityCheckUpdate, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> PlayStatus:
    return PlayService(session, platform).set_reality_check(user, body.minutes)


@admin_router.get(
    "/users/{user_id}/play",
    responses=problems(404, 422),
    summary="A player's limits and time-out or self-exclusion (read only)",
)
def player_play(user_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> PlayStatus:
    return PlayService(session, platform).status_of(user_id)
