"""/api/payments/create-checkout-session, and /api/admin/payments/events for admins.

Creating a checkout session is buying a cash bundle: the same purchase, under the same
``Idempotency-Key`` rules, as ``POST /api/lots/{id}/entries/purchase`` (which it calls);
with Stripe the answer is 202 with the Checkout URL, with the sandbox 201 at once.

Admins see what reconcile lists: events not applied yet, matching no purchase, reporting
a refund the platform did not make, and disputes (whose purchases keep their tickets;
see docs/platform/payments.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from alot_platform.auth.dependencies import (
    CurrentCaller,
    PlatformDep,
    SessionDep,
    public,
    require_roles,
)
from alot_platform.entries import endpoints as entry_endpoints
from alot_platform.entries.schemas import MAX_BUNDLE_INDEX, CashPurchase, PurchaseRead
from alot_platform.openapi_helpers import problems
from alot_platform.pagination import (
    DEFAULT_LIMIT,
    CursorParam,
    LimitParam,
    Page,
    decode_cursor,
    encode_cursor,
    page_of,
)
from alot_platform.payments.models import PaymentEvent
from alot_platform.payments.repository import PaymentRepository
from alot_platform.types import StrictInt
from alot_platform.users.models import Role

router = APIRouter(prefix="/api/payments", tags=["payments"])
admin_router = APIRouter(
    prefix="/api/admin/payments",
    tags=["admin"],
    dependencies=[Depends(require_roles(Role.ADMIN))],
    responses=problems(401, 403),
)


class CheckoutSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lot_id: uuid.UUID
    bundle_index: StrictInt = Field(
        ge=0, le=MAX_BUNDLE_INDEX, description="index into the lot's `bundles`"
    )


@router.post(
    "/create-checkout-session",
    status_code=201,
    response_model=PurchaseRead,
    responses={
        200: {"description": "A repeated request: the first purchase, as it stands now"},
        202: {"description": "Payment pending: send the buyer to `payment.checkout_url`"},
        **problems(400, 401, 402, 403, 404, 409, 422, 503),
    },
    summary="Start paying for an entry bundle (a Stripe Checkout Session)",
)
async def create_checkout_session(
    request: Request,
    body: CheckoutSessionRequest,
    caller: CurrentCaller,
    platform: PlatformDep,
    idempotency_key: entry_endpoints.IdempotencyKeyHeader = None,
) -> Response:
    return await entry_endpoints.purchase_with_cash(
        request,
        body.lot_id,
        CashPurchase(bundle_index=body.bundle_index),
        caller,
        platform,
        idempotency_key,
    )


class PaymentConfigRead(BaseModel):
    """Which payment provider takes cash purchases: public, so a client can say before
    the purchase whether real money moves and whether the buyer goes to Checkout."""

    provider: str = Field(description="`sandbox` or `stripe`", examples=["sandbox"])
    test_mode: bool = Field(description="true when no real money moves")
    completes_at_once: bool = Field(
        description="true when a cash purchase completes in its answer (the sandbox);"
        " false when the answer is `pending` with a `payment.checkout_url`"
    )


@router.get(
    "/config", dependencies=[Depends(public)], summary="The active payment provider (public)"
)
def payment_config(platform: PlatformDep) -> PaymentConfigRead:
    provider = platform.payments
    return PaymentConfigRead(
        provider=provider.name,
        test_mode=provider.test_mode,
        completes_at_once=provider.completes_at_once,
    )


class PaymentEventRead(BaseModel):
    id: str
    type: str
    purchase_id: uuid.UUID | None
    received_at: datetime
    processed_at: datetime | None
    outcome: str | None
    detail: str | None
    attempts: int
    last_error: str | None

    @classmethod
    def of(cls, event: PaymentEvent) -> PaymentEventRead:
        return cls(
            id=event.id,
            type=event.type,
            purchase_id=event.purchase_id,
            received_at=event.received_at,
            processed_at=event.processed_at,
            outcome=event.outcome,
            detail=event.detail,
            attempts=event.attempts,
            last_error=event.last_error,
        )


class PaymentEventPage(Page[PaymentEventRead]):
    """Events needing attention, oldest first."""


@admin_router.get(
    "/events",
    responses=problems(422),
    summary="Payment events needing attention (unapplied, unmatched, refund mismatches, disputes)",
)
def events_needing_attention(
    session: SessionDep,
    outcome: Annotated[str | None, Query(max_length=32, description="e.g. disputed")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> PaymentEventPage:
    after = decode_cursor(cursor, "payment_events", datetime, str) if cursor else None
    events, next_cursor = page_of(
        PaymentRepository(session).events_needing_attention(
            outcome=outcome, after=after, limit=limit + 1
        ),
        limit,
        lambda event: encode_cursor("payment_events", event.received_at, event.id),
    )
    return PaymentEventPage(
        items=[PaymentEventRead.of(event) for event in events], next_cursor=next_cursor
    )
