"""Cash refunds in flight: the recovery point between deciding a refund and recording it.

A cash refund of an expired lot's purchase runs in three phases so that no lock is held
while the payment provider is called:

1. the request is recorded (this row, ``requested``, with the idempotency key, and the
   purchase's ``refund_choice`` set to cash) and committed;
2. the provider is called with that key, outside any transaction;
3. the answer is recorded: ``succeeded`` marks the purchase refunded and posts the
   ledger transaction, in one transaction; ``pending`` keeps the provider's refund id
   and waits (the tick, or Stripe's ``charge.refunded``, asks again); ``failed`` is left
   for a human.

A crash or a lost answer anywhere leaves the row ``requested`` (or ``pending``): the
tick runs phases 2 and 3 again with the same key, and the provider answers with the
refund it already made, never a second one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class RefundRequestStatus(StrEnum):
    REQUESTED = "requested"
    """Recorded and committed; the provider has not (knowingly) answered yet."""
    PENDING = "pending"
    """The provider accepted the refund but has not completed it."""
    SUCCEEDED = "succeeded"
    """Refunded; the purchase and the ledger say so."""
    FAILED = "failed"
    """The provider refused or cancelled the refund: a human must look at it."""


OPEN_REFUND_STATUSES = (RefundRequestStatus.REQUESTED.value, RefundRequestStatus.PENDING.value)


class RefundRequest(Base):
    __tablename__ = "refund_requests"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(RefundRequestStatus)})", name="status"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_refund_requests_open", "status", "requested_at"),
    )

    purchase_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lot_entry_purchases.id"), primary_key=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    provider_payment_id: Mapped[str] = mapped_column(String(255))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    chosen: Mapped[bool] = mapped_column(Boolean)
    """True when the buyer chose cash; False when the tick refunded after the date."""
    status: Mapped[str] = mapped_column(String(10), default=RefundRequestStatus.REQUESTED.value)
    provider_refund_id: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
