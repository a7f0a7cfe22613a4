"""Refunds of expired lots: each cash buyer chooses how (refunds start by themselves at
the deadline; an admin may start them early for an exceptional case).

Work owed after the commit (a cash refund to ask the provider for, credits spent still
to give back) runs once the request's unit of work has committed, never inside it
(refunds/tasks.py); the tick does it too if this process stops first.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from alot_platform.auth.dependencies import CurrentUser, PlatformDep, SessionDep, require_roles
from alot_platform.context import PlatformContext
from alot_platform.lots.models import Lot
from alot_platform.openapi_helpers import problems
from alot_platform.refunds.schemas import (
    LotRefundsRead,
    PurchaseRefundRead,
    RefundChoiceRequest,
    lot_refunds_read,
    purchase_refund_read,
)
from alot_platform.refunds.service import ChosenRefund, RefundService
from alot_platform.users.models import Role

_log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/purchases", tags=["refunds"])
admin_router = APIRouter(
    prefix="/api/admin/lots",
    tags=["admin"],
    dependencies=[Depends(require_roles(Role.ADMIN))],
    responses=problems(401, 403),
)


@admin_router.post(
    "/{lot_id}/refunds",
    responses=problems(404, 409),
    summary="Start refunds of a lot past its deadline now, before the tick does"
    " (repeating returns the progress)",
)
def start_refunds(lot_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> LotRefundsRead:
    # Credits spent beyond the first chunk are given back by an outbox task after this.
    summary, _started = RefundService(session, platform).start(lot_id)
    return lot_refunds_read(summary)


@admin_router.get("/{lot_id}/refunds", responses=problems(404), summary="Refund progress")
def read_refunds(lot_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> LotRefundsRead:
    return lot_refunds_read(RefundService(session, platform).get_summary(lot_id))


@router.get(
    "/{purchase_id}/refund",
    responses=problems(401, 404),
    summary="How the refund of my purchase stands (choosing nothing)",
)
def read_refund(
    purchase_id: uuid.UUID, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> PurchaseRefundRead:
    found = RefundService(session, platform).read(purchase_id, user)
    return _read(found, session, platform)


@router.post(
    "/{purchase_id}/refund-choice",
    responses={
        202: {
            "description": "Cash chosen and recorded (`refund_status` `requested`): the"
            " payment provider is asked right after this answer, and again with the same"
            " key until it confirms; `GET /api/purchases/{id}/refund` shows when it has"
        },
        **problems(401, 404, 409, 422),
    },
    summary="Choose the refund of my purchase in an expired lot: cash or credits",
)
def choose_refund(
    purchase_id: uuid.UUID,
    body: RefundChoiceRequest,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
    response: Response,
) -> PurchaseRefundRead:
    chosen = RefundService(session, platform).choose(purchase_id, user, body.choice)
    if chosen.in_flight:
        # Cash: recorded here with its outbox task, which asks the provider once this
        # request has committed.
        response.status_code = 202
    return _read(chosen, session, platform)


def _read(found: ChosenRefund, session: Session, platform: PlatformContext) -> PurchaseRefundRead:
    lot = session.get(Lot, found.purchase.lot_id)
    assert lot is not None  # a purchase's lot is never deleted
    return purchase_refund_read(found.purchase, lot, platform.clock(), found.request)
