"""Request and response bodies of the refund endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from alot_platform.entries.models import LotEntryPurchase, RefundChoice
from alot_platform.refunds.service import RefundSummary


class RefundChoiceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: RefundChoice = Field(
        description="cash: 98% back to the card; credits: 1.5x the amount paid as credits"
    )


class PurchaseRefundRead(BaseModel):
    purchase_id: uuid.UUID
    lot_id: uuid.UUID
    status: str
    method: str
    amount_cents: int
    credits_spent: int
    refund_choice: str | None
    refunded_cents: int | None
    refunded_credits: int | None
    refunded_at: datetime | None
    provider_refund_id: str | None


class LotRefundsRead(BaseModel):
    lot_id: uuid.UUID
    lot_status: str
    refund_choice_deadline: datetime | None
    purchases: dict[str, int] = Field(description="number of the lot's purchases per status")


def purchase_refund_read(purchase: LotEntryPurchase) -> PurchaseRefundRead:
    return PurchaseRefundRead(
        purchase_id=purchase.id,
        lot_id=purchase.lot_id,
        status=purchase.status,
        method=purchase.method,
        amount_cents=purchase.amount_cents,
        credits_spent=purchase.credits_spent,
        refund_choice=purchase.refund_choice,
        refunded_cents=purchase.refunded_cents,
        refunded_credits=purchase.refunded_credits,
        refunded_at=purchase.refunded_at,
        provider_refund_id=purchase.provider_refund_id,
    )


def lot_refunds_read(summary: RefundSummary) -> LotRefundsRead:
    return LotRefundsRead(
        lot_id=summary.lot.id,
        lot_status=summary.lot.status,
        refund_choice_deadline=summary.lot.refund_choice_deadline,
        purchases=summary.purchases,
    )
