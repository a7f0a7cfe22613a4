"""Payment provider events (Stripe webhooks), each stored once and handled once.

A row is written when a signed event of an allowed type first arrives (insert-or-ignore
on the provider's event id), before the reply; ``processed_at`` is set in the unit of
work that applied it. An event whose processing failed keeps ``processed_at`` empty,
with ``attempts`` and ``last_error``, and is tried again on its next delivery, by the
tick or by ``alot payments retry-events``.

``payment_fees`` holds the provider's processing fee owed to the ledger by each paid
purchase, from the payment's application until it is posted (payments/fees.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class PaymentOutcome(StrEnum):
    """What handling an event did (kept on the event)."""

    ALLOCATED = "allocated"
    """The payment succeeded and the pending purchase got its tickets."""
    LATE_REFUND_DUE = "late_refund_due"
    """Decided (and committed) that the payment is refunded in full; the refund is next."""
    LATE_REFUND = "late_refund"
    """The payment succeeded for a lot that no longer sells: refunded in full."""
    ALREADY_DONE = "already_done"
    """Another event of the same payment had already settled the purchase."""
    CHECKOUT_EXPIRED = "checkout_expired"
    """The buyer never paid: the pending purchase failed."""
    NOTED = "noted"
    """Recorded only (a failed attempt within a Checkout the buyer may still finish)."""
    REFUND_IN_FLIGHT = "refund_in_flight"
    """``charge.refunded`` for a cash refund of ours not recorded yet: that refund is
    finished first, then the event is applied (it stays unapplied while Stripe's refund
    is pending)."""
    REFUND_CONFIRMED = "refund_confirmed"
    REFUND_MISMATCH = "refund_mismatch"
    """Stripe reports refunds the platform did not make, or amounts that differ."""
    DISPUTED = "disputed"
    ACCOUNT_UPDATED = "account_updated"
    """A host's connected account changed: whether it can be paid out is recorded."""
    UNMATCHED = "unmatched"
    """No purchase of ours matches the event, or it disagrees with the purchase."""


class PaymentEvent(Base):
    __tablename__ = "payment_events"
    __table_args__ = (Index("ix_payment_events_unprocessed", "processed_at", "received_at"),)

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    """The provider's event id (``evt_...``)."""
    provider: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The event's object as the provider sent it (``data.object``)."""
    provider_created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    purchase_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("lot_entry_purchases.id"), index=True
    )
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class FeeStatus(StrEnum):
    DUE = "due"
    """The payment succeeded; the provider's fee is not in the ledger yet."""
    POSTED = "posted"


class PaymentFee(Base):
    """The provider's processing fee on one paid purchase, posted to the ledger once.

    The row is written in the unit of work that applies the payment (``due``); the fee
    itself is read from the provider after that commit (the charge's balance
    transaction, which Stripe may publish later) and posted with the row marked
    ``posted`` in one transaction. A fee still due is retried by the tick.
    """

    __tablename__ = "payment_fees"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(FeeStatus)})", name="status"),
        CheckConstraint("fee_cents IS NULL OR fee_cents >= 0", name="fee_not_negative"),
        Index("ix_payment_fees_due", "status", "created_at"),
    )

    purchase_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lot_entry_purchases.id"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(20))
    payment_intent: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default=FeeStatus.DUE.value)
    charge: Mapped[str | None] = mapped_column(String(255))
    balance_transaction: Mapped[str | None] = mapped_column(String(255))
    fee_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
