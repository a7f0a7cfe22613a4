"""/api/admin: account administration. The router itself requires the admin role."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from alot_platform.admin.schemas import (
    Overview,
    Reconciliation,
    RolesUpdate,
    StatusUpdate,
    UserPage,
)
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
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=255,
            description="only accounts whose email or username contains this (any case)",
        ),
    ] = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> UserPage:
    users, next_cursor = AdminService(session, platform).list_users(
        cursor=cursor, limit=limit, search=q
    )
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


@router.get(
    "/overview",
    summary="The admin desk's counts: lots by status, payment events, failed background tasks",
)
def overview(session: SessionDep, platform: PlatformDep) -> Overview:
    return AdminService(session, platform).overview()


@router.get(
    "/reconciliation",
    summary="Check every credit balance against the ledger now (`alot reconcile`)",
)
def reconciliation(session: SessionDep, platform: PlatformDep) -> Reconciliation:
    """`ok` is false when any player's projected credit balance differs from their
    ledger account: a bug to investigate, never to paper over. Credits only: payments are
    compared with the provider's records by `alot payments reconcile`, which calls the
    provider and is not run here."""
    return AdminService(session, platform).reconciliation()
