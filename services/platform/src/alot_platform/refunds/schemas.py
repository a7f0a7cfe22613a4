"""Request and response bodies of the refund endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alot_platform.entries.models import (
    LotEntryPurchase,
    PaymentMethod,
    PurchaseStatus,
    RefundChoice,
)
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.money import percent_of
from alot_platform.refunds.models import RefundRequest
from alot_platform.refunds.service import (
    CASH_REFUND_PERCENT,
    CREDIT_CONVERSION_PERCENT,
    RefundSummary,
)


class RefundChoiceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: RefundChoice = Field(
        description="cash: 98% back to the card; credits: 1.5x the amount paid as credits"
    )


class PurchaseRefundRead(BaseModel):
    purchase_id: uuid.UUID
    lot_id: uuid.UUID
    lot_title: str
    lot_status: str
    refund_choice_deadline: datetime | None = Field(
        description="the lot's date to choose by (set when refunds start); after it, a"
        " purchase without a choice is refunded in cash"
    )
    status: str
    method: str
    tickets: int
    amount_cents: int
    spent_credits: int
    cash_offer_cents: int | None = Field(
        description="what choosing cash returns: 98% of `amount_cents`, rounded down"
        " (null for a credit purchase, which has no choice)"
    )
    credits_offer_credits: int | None = Field(
        description="what choosing credits returns: 1.5x `amount_cents` as credits, rounded"
        " down (null for a credit purchase)"
    )
    can_choose: bool = Field(
        description="true while this purchase waits for its buyer's choice: a cash purchase"
        " not refunded, in a refunding lot, before `refund_choice_deadline`"
    )
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
    purchase: LotEntryPurchase, lot: Lot, now: datetime, request: RefundRequest | None = None
) -> PurchaseRefundRead:
    if request is not None:
        status: Any = request.status
    elif purchase.status == PurchaseStatus.REFUNDED.value:
        status = "succeeded"
    else:
        status = "none"
    cash = purchase.method == PaymentMethod.CASH.value
    can_choose = (
        cash
        and purchase.status == PurchaseStatus.SUCCEEDED.value
        and request is None
        and lot.status == LotStatus.REFUNDING.value
        and lot.refund_choice_deadline is not None
        and now <= lot.refund_choice_deadline
    )
    return PurchaseRefundRead(
        purchase_id=purchase.id,
        lot_id=purchase.lot_id,
        lot_title=lot.title,
        lot_status=lot.status,
        refund_choice_deadline=lot.refund_choice_deadline,
        status=purchase.status,
        method=purchase.method,
        tickets=purchase.tickets,
        amount_cents=purchase.amount_cents,
        spent_credits=purchase.credits_spent,
        cash_offer_cents=percent_of(purchase.amount_cents, CASH_REFUND_PERCENT) if cash else None,
        credits_offer_credits=(
            percent_of(purchase.amount_cents, CREDIT_CONVERSION_PERCENT) if cash else None
        ),
        can_choose=can_choose,
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
