"""GET /api/admin/payments/events: provider events for admins, disputes first among them.

Admins see what reconcile lists: events not applied yet, matching no purchase, reporting
a refund the platform did not make, and disputes (whose purchases keep their tickets;
see docs/platform/payments.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from alot_platform.auth.dependencies import SessionDep, require_roles
from alot_platform.openapi_helpers import problems
from alot_platform.payments.models import PaymentEvent
from alot_platform.payments.repository import PaymentRepository
from alot_platform.users.models import Role

admin_router = APIRouter(
    prefix="/api/admin/payments",
    tags=["admin"],
    dependencies=[Depends(require_roles(Role.ADMIN))],
    responses=problems(401, 403),
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


class PaymentEventList(BaseModel):
    items: list[PaymentEventRead]


@admin_router.get(
    "/events",
    responses=problems(422),
    summary="Payment events needing attention (unapplied, unmatched, refund mismatches, disputes)",
)
def events_needing_attention(
    session: SessionDep,
    outcome: Annotated[str | None, Query(max_length=32, description="e.g. disputed")] = None,
) -> PaymentEventList:
    events = PaymentRepository(session).events_needing_attention()
    if outcome is not None:
        events = [event for event in events if event.outcome == outcome]
    return PaymentEventList(items=[PaymentEventRead.of(event) for event in events])
