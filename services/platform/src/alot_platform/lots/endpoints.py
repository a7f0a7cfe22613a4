"""/api/lots (discovery for anyone; creating and editing for admins) and the admin
catalogue and lot lifecycle under /api/admin (product classes, open, extend)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from alot_platform.auth.dependencies import (
    PlatformDep,
    SessionDep,
    optional_user,
    require_roles,
)
from alot_platform.cache.lots import LotViews, json_body
from alot_platform.lots.models import LotStatus, Tier
from alot_platform.lots.schemas import (
    LeaderboardPage,
    LotCreate,
    LotExtend,
    LotPage,
    LotRead,
    LotSort,
    LotUpdate,
    ProductClassCreate,
    ProductClassPage,
    ProductClassRead,
    ProductClassUpdate,
    lot_read,
    product_class_read,
)
from alot_platform.lots.service import MAX_SEARCH_LENGTH, LotService, is_admin
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import DEFAULT_LIMIT, CursorParam, LimitParam
from alot_platform.users.models import Role, User

require_admin = require_roles(Role.ADMIN)
Admin = Annotated[User, Depends(require_admin)]

# Anonymous callers are welcome; a signed-in admin also sees hidden lots, and a private
# lot's creator sees it.
Viewer = Annotated[User | None, Depends(optional_user)]

router = APIRouter(prefix="/api/lots", tags=["lots"])
admin_router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=problems(401, 403),
)


@router.get("", response_model=LotPage, responses=problems(401, 422), summary="Discover lots")
def list_lots(
    viewer: Viewer,
    session: SessionDep,
    platform: PlatformDep,
    state: Annotated[list[LotStatus] | None, Query(description="repeat for several")] = None,
    tier: Tier | None = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
    ending_soon: Annotated[
        int | None, Query(ge=1, le=24 * 366, description="deadline within this many hours")
    ] = None,
    min_progress: Annotated[
        int | None, Query(ge=0, le=100, description="funded at least this percent")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_SEARCH_LENGTH,
            description="search: words in the title, or the product's name or brand"
            " (case-insensitive; a mystery lot's product is not searched until it settles)",
        ),
    ] = None,
    sort: Annotated[
        LotSort,
        Query(
            description="`newest` (created, newest first), `ending_soon` (deadline, soonest"
            " first) or `most_funded` (funding progress, highest first)"
        ),
    ] = "newest",
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Response:
    # Built from LotRead (the cache keeps views as their JSON): sent as they are.
    page = LotViews(session, platform).page(
        viewer,
        statuses=state or (),
        tier=tier.value if tier else None,
        category=category,
        ending_within_hours=ending_soon,
        min_progress_percent=min_progress,
        search=q,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    return json_body(page)


@router.post(
    "", status_code=201, responses=problems(401, 403, 404, 422), summary="Create a lot (admin)"
)
def create_lot(
    body: LotCreate, admin: Admin, session: SessionDep, platform: PlatformDep
) -> LotRead:
    lot = LotService(session, platform).create(body, admin)
    return lot_read(lot, platform.clock(), show_product=True)


@router.get(
    "/private/{token}",
    responses=problems(401, 404),
    summary="A private lot by its link's token (/l/<token> in the web client)",
)
def read_private_lot(
    token: Annotated[str, Path(max_length=64)],
    viewer: Viewer,
    session: SessionDep,
    platform: PlatformDep,
) -> LotRead:
    lot = LotService(session, platform).get_by_token(token, viewer)
    return lot_read(lot, platform.clock(), show_product=is_admin(viewer))


@router.get("/{lot_id}", response_model=LotRead, responses=problems(401, 404), summary="One lot")
def read_lot(
    lot_id: uuid.UUID, viewer: Viewer, session: SessionDep, platform: PlatformDep
) -> Response:
    return json_body(LotViews(session, platform).detail(lot_id, viewer))


@router.patch(
    "/{lot_id}",
    responses=problems(401, 403, 404, 409, 422),
    summary="Edit a lot that is not open yet (admin)",
)
def update_lot(
    lot_id: uuid.UUID, body: LotUpdate, _admin: Admin, session: SessionDep, platform: PlatformDep
) -> LotRead:
    lot = LotService(session, platform).update(lot_id, body)
    return lot_read(lot, platform.clock(), show_product=True)


@router.get(
    "/{lot_id}/entries",
    response_model=LeaderboardPage,
    responses=problems(401, 404, 422),
    summary="Leaderboard: tickets per player",
)
def leaderboard(
    lot_id: uuid.UUID,
    viewer: Viewer,
    session: SessionDep,
    platform: PlatformDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Response:
    page = LotViews(session, platform).leaderboard(lot_id, viewer, cursor=cursor, limit=limit)
    return json_body(page)


# -- admin: catalogue and lifecycle ------------------------------------------------------


@admin_router.get(
    "/product-classes", responses=problems(422), summary="List product classes, oldest first"
)
def list_product_classes(
    session: SessionDep,
    platform: PlatformDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> ProductClassPage:
    products, next_cursor = LotService(session, platform).list_product_classes(
        cursor=cursor, limit=limit
    )
    return ProductClassPage(
        items=[product_class_read(p) for p in products], next_cursor=next_cursor
    )


@admin_router.post(
    "/product-classes", status_code=201, responses=problems(422), summary="Add a product class"
)
def create_product_class(
    body: ProductClassCreate, session: SessionDep, platform: PlatformDep
) -> ProductClassRead:
    return product_class_read(LotService(session, platform).create_product_class(body))


@admin_router.get(
    "/product-classes/{product_class_id}", responses=problems(404), summary="One product class"
)
def read_product_class(
    product_class_id: uuid.UUID, session: SessionDep, platform: PlatformDep
) -> ProductClassRead:
    return product_class_read(LotService(session, platform).get_product_class(product_class_id))


@admin_router.patch(
    "/product-classes/{product_class_id}",
    responses=problems(404, 422),
    summary="Change a product class",
)
def update_product_class(
    product_class_id: uuid.UUID,
    body: ProductClassUpdate,
    session: SessionDep,
    platform: PlatformDep,
) -> ProductClassRead:
    product = LotService(session, platform).update_product_class(product_class_id, body)
    return product_class_read(product)


@admin_router.delete(
    "/product-classes/{product_class_id}",
    status_code=204,
    responses=problems(404, 409),
    summary="Remove a product class no lot uses",
)
def delete_product_class(
    product_class_id: uuid.UUID, session: SessionDep, platform: PlatformDep
) -> Response:
    LotService(session, platform).delete_product_class(product_class_id)
    return Response(status_code=204)


@admin_router.post(
    "/lots/{lot_id}/open",
    responses=problems(404, 409),
    summary="Open a lot: commit to its server seed in the ledger and start selling",
)
def open_lot(lot_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> LotRead:
    lot = LotService(session, platform).open(lot_id)
    return lot_read(lot, platform.clock(), show_product=True)


@admin_router.post(
    "/lots/{lot_id}/extend",
    responses=problems(404, 409, 422),
    summary="Move an open lot's deadline later, with a reason (recorded in the ledger)",
)
def extend_lot(
    lot_id: uuid.UUID, body: LotExtend, admin: Admin, session: SessionDep, platform: PlatformDep
) -> LotRead:
    lot = LotService(session, platform).extend(lot_id, body.deadline, body.reason, admin)
    return lot_read(lot, platform.clock(), show_product=True)
