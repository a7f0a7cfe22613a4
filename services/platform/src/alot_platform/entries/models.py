"""Purchases (one payment, cash or credits) and the ticket ranges they bought.

A purchase that succeeds owns exactly one entry: `tickets_start..tickets_end`. A lot's
entries tile `1..tickets_sold` with no gap or overlap; the unique index on
`(lot_id, tickets_start)` and the lot row lock taken while allocating keep it so.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class PaymentMethod(StrEnum):
    CASH = "cash"
    CREDITS = "credits"
    FREE = "free"
    """A free entry (no purchase necessary): one ticket, nothing paid (entries/free.py)."""


class FreeEntryRoute(StrEnum):
    ONLINE = "online"
    POSTAL = "postal"


class PurchaseStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class RefundChoice(StrEnum):
    CASH = "cash"
    CREDITS = "credits"


class LotEntryPurchase(Base):
    __tablename__ = "lot_entry_purchases"
    __table_args__ = (
        CheckConstraint(f"method IN ({sql_in(PaymentMethod)})", name="method"),
        CheckConstraint(f"status IN ({sql_in(PurchaseStatus)})", name="status"),
        CheckConstraint(
            f"refund_choice IS NULL OR refund_choice IN ({sql_in(RefundChoice)})",
            name="refund_choice",
        ),
        CheckConstraint("tickets > 0", name="tickets_positive"),
        CheckConstraint("amount_cents >= 0 AND credits_spent >= 0", name="amounts_not_negative"),
        CheckConstraint(
            "method <> 'free' OR (amount_cents = 0 AND credits_spent = 0 AND tickets = 1)",
            name="free_pays_nothing",
        ),
        UniqueConstraint("user_id", "idempotency_key", name="uq_lot_entry_purchases_idempotency"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)

    method: Mapped[str] = mapped_column(String(10))
    bundle_index: Mapped[int | None] = mapped_column(Integer)
    tickets: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(20), default=PurchaseStatus.PENDING.value)

    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))

    provider: Mapped[str | None] = mapped_column(String(20))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_checkout_session_id: Mapped[str | None] = mapped_column(String(255))

    refund_choice: Mapped[str | None] = mapped_column(String(10))
    refunded_cents: Mapped[int | None] = mapped_column(BigInteger)
    refunded_credits: Mapped[int | None] = mapped_column(BigInteger)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_refund_id: Mapped[str | None] = mapped_column(String(255))

    ledger_seq: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LotEntry(Base):
    __tablename__ = "lot_entries"
    __table_args__ = (
        CheckConstraint("tickets_start >= 1", name="start_positive"),
        CheckConstraint("tickets_end >= tickets_start", name="range_ordered"),
        CheckConstraint("ticket_count = tickets_end - tickets_start + 1", name="count_matches"),
        UniqueConstraint("lot_id", "tickets_start", name="uq_lot_entries_lot_start"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    purchase_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lot_entry_purchases.id"), unique=True
    )

    tickets_start: Mapped[int] = mapped_column(Integer)
    tickets_end: Mapped[int] = mapped_column(Integer)
    ticket_count: Mapped[int] = mapped_column(Integer)
    amount_paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    # The holder's pseudonym in this lot, as the ticket map names them (a lot with
    # pseudonymous holders); null on a lot that names holders by user id.
    holder: Mapped[str | None] = mapped_column(String(64))

    is_winner: Mapped[bool] = mapped_column(Boolean, default=False)
    credits_awarded: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LotFreeEntry(Base):
    """How a free entry came in: online (the player's form) or postal (an admin recorded
    the card). Its ticket is the entry of ``purchase_id`` (method ``free``)."""

    __tablename__ = "lot_free_entries"
    __table_args__ = (
        CheckConstraint(f"route IN ({sql_in(FreeEntryRoute)})", name="route"),
        CheckConstraint(
            "route <> 'postal' OR (reference IS NOT NULL AND received_on IS NOT NULL)",
            name="postal_has_reference",
        ),
        # A postal reference names one card: recording it twice records one entry.
        UniqueConstraint("lot_id", "reference", name="uq_lot_free_entries_lot_reference"),
        Index("ix_lot_free_entries_lot_user", "lot_id", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    purchase_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lot_entry_purchases.id"), unique=True
    )
    route: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(100))
    received_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
