"""Response bodies for a player's credits: the balance and its history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from alot_platform.credits.models import CreditTransaction, UserUniversalCredits
from alot_platform.money import CREDITS_PER_TICKET, format_cents
from alot_platform.pagination import Page


class CreditsRead(BaseModel):
    """A player's credits (1 credit = $0.01 of platform value, 100 credits = 1 ticket)."""

    balance_credits: int
    value: str = Field(description="the balance's platform value in dollars", examples=["12.50"])
    tickets_affordable: int = Field(description="tickets the balance buys")
    total_earned_credits: int
    total_spent_credits: int

    @classmethod
    def of(cls, row: UserUniversalCredits | None) -> CreditsRead:
        balance = row.balance if row else 0
        return cls(
            balance_credits=balance,
            value=format_cents(balance),
            tickets_affordable=balance // CREDITS_PER_TICKET,
            total_earned_credits=row.total_earned if row else 0,
            total_spent_credits=row.total_spent if row else 0,
        )


class CreditTransactionRead(BaseModel):
    id: uuid.UUID
    amount_credits: int = Field(description="positive earned, negative spent")
    balance_after_credits: int
    type: str = Field(
        description="lot_settlement, expired_conversion, credit_refund, entry_purchase, adjustment"
    )
    lot_id: uuid.UUID | None
    purchase_id: uuid.UUID | None
    lot_entry_id: uuid.UUID | None
    ledger_seq: int | None = Field(description="the ledger transaction this movement mirrors")
    details: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: CreditTransaction) -> CreditTransactionRead:
        return cls(
            id=row.id,
            amount_credits=row.amount,
            balance_after_credits=row.balance_after,
            type=row.transaction_type,
            lot_id=row.lot_id,
            purchase_id=row.purchase_id,
            lot_entry_id=row.lot_entry_id,
            ledger_seq=row.ledger_seq,
            details=row.details,
            created_at=row.created_at,
        )


class CreditTransactionPage(Page[CreditTransactionRead]):
    """The caller's credit movements, newest first."""
