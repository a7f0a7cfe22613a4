"""Prize fulfillment over HTTP: the winner's claim, address, tracking, confirmation and
dispute; the host's queue and shipments; the admins' queue, shipments and resolutions.

A reveal the caller may not act on answers 404 (never 403), so ids cannot be probed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep, require_roles
from alot_platform.fulfillment.schemas import (
    ClaimRequest,
    DisputeRequest,
    ResolveRequest,
    ShipmentPage,
    ShipmentRead,
    ShipRequest,
    TrackingRead,
)
from alot_platform.fulfillment.service import FulfillmentService
from alot_platform.hosts.dependencies import CurrentHost
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam
from alot_platform.users.models import Role

router = APIRouter(prefix="/api/reveals", tags=["fulfillment"])
host_router = APIRouter(prefix="/api/hosts/me/fulfillment", tags=["fulfillment"])
admin_router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_roles(Role.ADMIN))],
    responses=problems(401, 403),
)

StatusFilter = Annotated[
    Literal["won", "claimed", "shipped", "delivered", "disputed"] | None,
    Query(description="one status; by default claimed, shipped and disputed (to do)"),
]


@router.post(
    "/{reveal_id}/claim",
    responses=problems(401, 404, 409, 422),
    summary="Claim a won prize with a shipping address (the same claim again answers the same)",
)
def claim(
    reveal_id: uuid.UUID,
    body: ClaimRequest,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
) -> TrackingRead:
    return FulfillmentService(session, platform).claim(user, reveal_id, body)


@router.patch(
    "/{reveal_id}/shipping",
    responses=problems(401, 404, 409, 422),
    summary="Change the shipping address of a claimed prize, until it ships",
)
def update_shipping(
    reveal_id: uuid.UUID,
    body: ClaimRequest,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
) -> TrackingRead:
    return FulfillmentService(session, platform).update_shipping(
        user, reveal_id, body.shipping_address
    )


@router.get(
    "/{reveal_id}/tracking",
    responses=problems(401, 404, 409),
    summary="Where my prize stands: status, address, carrier and tracking, dates, deadlines",
)
def tracking(
    reveal_id: uuid.UUID, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> TrackingRead:
    return FulfillmentService(session, platform).tracking(user, reveal_id)


@router.post(
    "/{reveal_id}/confirm-delivery",
    responses=problems(401, 404, 409),
    summary="Confirm my prize arrived (a host lot's host is paid)",
)
def confirm_delivery(
    reveal_id: uuid.UUID, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> TrackingRead:
    return FulfillmentService(session, platform).confirm_delivery(user, reveal_id)


@router.post(
    "/{reveal_id}/dispute",
    responses=problems(401, 404, 409, 422),
    summary="Open a dispute: not received, or not as described (an admin resolves it)",
)
def dispute(
    reveal_id: uuid.UUID,
    body: DisputeRequest,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
) -> TrackingRead:
    return FulfillmentService(session, platform).dispute(user, reveal_id, body)


@host_router.get(
    "",
    responses=problems(401, 404, 422),
    summary="My lots' prizes to ship: claimed ones with the winner's address",
)
def host_queue(
    host: CurrentHost,
    session: SessionDep,
    platform: PlatformDep,
    status: StatusFilter = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> ShipmentPage:
    return FulfillmentService(session, platform).host_queue(
        host, status, cursor=cursor, limit=limit
    )


@host_router.post(
    "/{reveal_id}/ship",
    responses=problems(401, 404, 409, 422),
    summary="Mark a prize of my lots shipped, with carrier and tracking number",
)
def host_ship(
    reveal_id: uuid.UUID,
    body: ShipRequest,
    host: CurrentHost,
    session: SessionDep,
    platform: PlatformDep,
) -> ShipmentRead:
    return FulfillmentService(session, platform).host_ship(host, reveal_id, body)


@admin_router.get(
    "/fulfillment",
    responses=problems(422),
    summary="Platform lots' prizes to ship, and every disputed prize",
)
def admin_queue(
    session: SessionDep,
    platform: PlatformDep,
    status: StatusFilter = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> ShipmentPage:
    return FulfillmentService(session, platform).admin_queue(status, cursor=cursor, limit=limit)


@admin_router.post(
    "/reveals/{reveal_id}/ship",
    responses=problems(404, 409, 422),
    summary="Mark a platform lot's prize shipped, with carrier and tracking number",
)
def admin_ship(
    reveal_id: uuid.UUID, body: ShipRequest, session: SessionDep, platform: PlatformDep
) -> ShipmentRead:
    return FulfillmentService(session, platform).admin_ship(reveal_id, body)


@admin_router.post(
    "/reveals/{reveal_id}/resolve",
    responses=problems(404, 409, 422),
    summary="Resolve a dispute: release (delivered, the host paid) or compensate (the"
    " winner paid the prize's retail value)",
)
def resolve(
    reveal_id: uuid.UUID, body: ResolveRequest, session: SessionDep, platform: PlatformDep
) -> ShipmentRead:
    return FulfillmentService(session, platform).resolve(reveal_id, body)
