"""/api/users: the caller's own account, and other users' public profiles."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep
from alot_platform.openapi_helpers import problems
from alot_platform.users.schemas import PublicUser, UserRead, UserUpdate
from alot_platform.users.service import UserService

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("/me", summary="My account")
def read_me(user: CurrentUser, session: SessionDep, platform: PlatformDep) -> UserRead:
    return UserService(session, platform).read(user)


@router.patch("/me", responses=problems(409, 422), summary="Change my username or full name")
def update_me(
    changes: UserUpdate, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> UserRead:
    service = UserService(session, platform)
    return service.read(service.update_profile(user, changes))


@router.get("/{user_id}", responses=problems(404), summary="Another user's public profile")
def read_user(
    user_id: uuid.UUID, _caller: CurrentUser, session: SessionDep, platform: PlatformDep
) -> PublicUser:
    return UserService(session, platform).public(user_id)
