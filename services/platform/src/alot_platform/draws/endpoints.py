"""The public draw record of a lot, and the admin's manual draw and settle triggers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from alot_platform.auth.dependencies import PlatformDep, SessionDep, require_roles
from alot_platform.cache.lots import LotViews, json_body
from alot_platform.draws.schemas import DrawRead, draw_read
from alot_platform.draws.service import DrawService
from alot_platform.draws.tasks import settle_lot
from alot_platform.lots.endpoints import Viewer
from alot_platform.lots.models import LotStatus
from alot_platform.lots.state import LotStateConflict
from alot_platform.openapi_helpers import problems
from alot_platform.users.models import Role

router = APIRouter(prefix="/api/lots", tags=["draws"])
admin_router = APIRouter(
    prefix="/api/admin/lots",
    tags=["admin"],
    dependencies=[Depends(require_roles(Role.ADMIN))],
    responses=problems(401, 403),
)


@router.get(
    "/{lot_id}/draw",
    response_model=DrawRead,
    responses=problems(404),
    summary="A lot's draw: commitment to proof",
)
def read_draw(
    lot_id: uuid.UUID, viewer: Viewer, session: SessionDep, platform: PlatformDep
) -> Response:
    return json_body(LotViews(session, platform).draw_text(lot_id, viewer))


@router.get(
    "/{lot_id}/draw/proof",
    responses={
        200: {"description": "the draw proof, as `alot-verify draw` reads it"},
        **problems(404),
    },
    summary="A drawn lot's proof alone (feed it to `alot-verify draw`)",
)
def read_proof(
    lot_id: uuid.UUID, viewer: Viewer, session: SessionDep, platform: PlatformDep
) -> Response:
    return json_body(LotViews(session, platform).proof(lot_id, viewer))


@admin_router.post(
    "/{lot_id}/draw",
    responses=problems(404, 409),
    summary="Draw a funded lot now (repeating returns the result)",
)
def trigger_draw(lot_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> DrawRead:
    service = DrawService(session, platform)
    draw = service.draw(lot_id)
    lot, _ = service.get(draw.lot_id)
    return draw_read(lot, draw)


@admin_router.post(
    "/{lot_id}/settle",
    responses=problems(404, 409),
    summary="Settle a drawn lot now (repeating returns the result)",
)
def trigger_settle(lot_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> DrawRead:
    # Chunk by chunk, each committed in its own unit of work as the background task
    # does, then this request's session reads the result. The request has only read
    # (who is calling) so far: end that read first, or on SQLite, where every
    # transaction holds the database's write lock, the chunks would wait on it.
    session.rollback()
    settle_lot(platform, lot_id)
    lot, draw = DrawService(session, platform).get(lot_id)
    if lot.status != LotStatus.SETTLED.value or draw is None:
        raise LotStateConflict(lot, "settle (draw it first)")
    return draw_read(lot, draw)
