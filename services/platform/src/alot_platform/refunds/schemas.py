"""Request and response bodies of the refund endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alot_platform.entries.models import LotEntryPurchase, PurchaseStatus, RefundChoice
from alot_platform.refunds.models import RefundRequest
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
    spent_credits: int
    refund_choice: str | None
    refunded_cents: int | None
    refunded_credits: int | None
    refunded_at: datetime | None
    provider_refund_id: str | None
    refund_status: Literal["none", "requested", "pending", "succeeded", "failed"] = Field(
        description="requested: cash chosen and recorded, the payment provider's refund not"
        " confirmed yet (retried with the same key until it is); pending: the provider"
        " accepted it and has not completed it; succeeded: refunded; failed: the provider"
        " refused it (support will contact you); none: not refunded"
    )


class LotRefundsRead(BaseModel):
    lot_id: uuid.UUID
    lot_status: str
    refund_choice_deadline: datetime | None
    purchases: dict[str, int] = Field(description="number of the lot's purchases per status")


def purchase_refund_read(
    purchase: LotEntryPurchase, request: RefundRequest | None = None
) -> PurchaseRefundRead:
    if request is not None:
        status: Any = request.status
    elif purchase.status == PurchaseStatus.REFUNDED.value:
        status = "succeeded"
    else:
        status = "none"
    return PurchaseRefundRead(
        purchase_id=purchase.id,
        lot_id=purchase.lot_id,
        status=purchase.status,
        method=purchase.method,
        amount_cents=purchase.amount_cents,
        spent_credits=purchase.credits_spent,
        refund_choice=purchase.refund_choice,
        refunded_cents=purchase.refunded_cents,
        refunded_credits=purchase.refunded_credits,
        refunded_at=purchase.refunded_at,
        provider_refund_id=purchase.provider_refund_id,
        refund_status=status,
    )


def lot_refunds_read(summary: RefundSummary) -> LotRefundsRead:
    return LotRefundsRead(
        lot_id=summary.lot.id,
        lot_status=summary.lot.status,
        refund_choice_deadline=summary.lot.refund_choice_deadline,
        purchases=summary.purchases,
    )
