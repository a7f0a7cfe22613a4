"""Credit balances and their history: a projection of the ledger's `user:<id>:credits`.

The ledger is the source of truth. These rows are updated in the same DB transaction as
the ledger posting they mirror, and `alot reconcile` proves they agree.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime


class CreditTransactionType(StrEnum):
    LOT_SETTLEMENT = "lot_settlement"  # a non-winner's share of a funded lot
    EXPIRED_CONVERSION = "expired_conversion"  # 1.5x refund of an expired lot's cash
    CREDIT_REFUND = "credit_refund"  # credits spent in an expired lot, back 1:1
    ENTRY_PURCHASE = "entry_purchase"  # credits spent on tickets
    ADJUSTMENT = "adjustment"  # an admin grant or correction


class UserUniversalCredits(Base):
    __tablename__ = "user_universal_credits"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    total_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    total_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CreditTransaction(Base):
    __tablename__ = "credit_transactions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    transaction_type: Mapped[str] = mapped_column(String(50))
    lot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lots.id"))
    lot_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lot_entries.id"))
    purchase_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lot_entry_purchases.id"))
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
