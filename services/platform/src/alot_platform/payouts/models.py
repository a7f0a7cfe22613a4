"""Host payouts: one row per transfer of a host's payable balance to its connected account.

A payout runs in phases with a recovery point between each, like a cash refund:

1. the row is written ``pending`` (amount, idempotency key) and committed, with an
   outbox task: it reserves its amount (the payable balance minus the pending payouts is
   what the next payout may take);
2. the provider is asked for the transfer under the row's key, with no transaction open;
3. its answer is recorded: the ledger's ``host_payout`` (payable -> platform:cash, the
   transfer id in the refs) and the row ``paid``, in one transaction.

A lost answer or a crash between 2 and 3 leaves the row ``pending``: the retry asks the
provider again with the same key and gets the same transfer, never a second one. A
refusal for good (the account cannot receive transfers) marks the row ``failed``,
posts nothing and frees its amount; an admin retries it once the cause is fixed (a new
key: the refused request moved nothing).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class PayoutStatus(StrEnum):
    PENDING = "pending"
    """Reserved; the transfer is asked for (again) until the provider answers."""
    PAID = "paid"
    """Transferred; the ledger's ``host_payout`` records it."""
    FAILED = "failed"
    """Refused by the provider for good: nothing moved; an admin may retry it."""


class HostPayout(Base):
    __tablename__ = "host_payouts"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(PayoutStatus)})", name="status"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_host_payouts_host_id_created_at", "host_id", "created_at"),
        Index("ix_host_payouts_status_created_at", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    host_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hosts.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default=PayoutStatus.PENDING.value)
    destination: Mapped[str] = mapped_column(String(255))
    """The connected account the transfer goes to (fixed when the payout is made)."""
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    ledger_seq: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
