"""Refunds of expired lots: the admin starts them, each cash buyer chooses how."""

from __future__ import annotations

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
    summary="Start refunds of an expired lot (repeating returns the progress)",
)
def start_refunds(lot_id: uuid.UUID, session: SessionDep, platform: PlatformDep) -> LotRefundsRead:
    return lot_refunds_read(RefundService(session, platform).start(lot_id))


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
            "description": "Cash chosen and recorded; the payment provider has not confirmed"
            " the refund yet (`refund_status`): it is retried with the same key until it does"
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
        response.status_code = 202
    return _read(chosen, session, platform)


def _read(found: ChosenRefund, session: Session, platform: PlatformContext) -> PurchaseRefundRead:
    lot = session.get(Lot, found.purchase.lot_id)
    assert lot is not None  # a purchase's lot is never deleted
    return purchase_refund_read(found.purchase, lot, platform.clock(), found.request)
