"""/api/admin: account administration. The router itself requires the admin role."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from alot_platform.admin.schemas import RolesUpdate, StatusUpdate, UserPage
from alot_platform.admin.service import AdminService
from alot_platform.auth.dependencies import PlatformDep, SessionDep, require_roles
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam
from alot_platform.users.models import Role, User
from alot_platform.users.schemas import UserRead
from alot_platform.users.service import UserService

require_admin = require_roles(Role.ADMIN)
router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=problems(401, 403),
)
Admin = Annotated[User, Depends(require_admin)]


@router.get("/users", responses=problems(422), summary="List accounts, oldest first")
def list_users(
    session: SessionDep,
    platform: PlatformDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> UserPage:
    users, next_cursor = AdminService(session, platform).list_users(cursor=cursor, limit=limit)
    service = UserService(session, platform)
    return UserPage(items=[service.read(u) for u in users], next_cursor=next_cursor)


@router.get("/users/{user_id}", responses=problems(404), summary="One account")
def read_user(user_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> UserRead:
    service = UserService(session, platform)
    return service.read(service.get(user_id))


@router.put("/users/{user_id}/roles", responses=problems(404, 409, 422), summary="Set roles")
def set_roles(
    user_id: uuid.UUID, body: RolesUpdate, admin: Admin, session: SessionDep, platform: PlatformDep
) -> UserRead:
    user = AdminService(session, platform).set_roles(admin, user_id, body.roles)
    return UserService(session, platform).read(user)


@router.put(
    "/users/{user_id}/status",
    responses=problems(404, 409, 422),
    summary="Activate, suspend or ban (suspending or banning logs the user out)",
)
def set_status(
    user_id: uuid.UUID, body: StatusUpdate, admin: Admin, session: SessionDep, platform: PlatformDep
) -> UserRead:
    user = AdminService(session, platform).set_status(admin, user_id, body.status)
    return UserService(session, platform).read(user)
