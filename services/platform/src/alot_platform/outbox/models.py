"""Emails owed to users, written in the same transaction as the change they report.

A message that must not be lost (a buyer told their payment was refunded) is a row here,
committed with the refund itself; it is delivered after the commit and by every tick
until the mailer accepts it. The recipient is a user id, resolved when sending: the
address is not copied out of the users table.

An account email whose request must not reveal whether an address has an account (a
password reset) is written for an *address* instead: the request path writes the same
row for a known and an unknown address, and the sender resolves the address to an
account (or drops the message and forgets the address). Such a message has a ``kind``:
its body, with a fresh one-time link, is written when it is sent, so no token rests
in this table.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DROPPED = "dropped"
    """The recipient no longer exists; nothing to send."""


class OutboxEmail(Base):
    __tablename__ = "outbox_emails"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(OutboxStatus)})", name="status"),
        CheckConstraint(
            "user_id IS NOT NULL OR address IS NOT NULL OR status = 'dropped'",
            name="has_recipient",
        ),
        Index("ix_outbox_emails_due", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    """What the message is about (``late-refund:<purchase id>``): one message per key."""
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    """The recipient; None for a message to an ``address`` not resolved yet."""
    address: Mapped[str | None] = mapped_column(String(254))
    """An address to resolve to an account when sending (cleared once resolved)."""
    kind: Mapped[str | None] = mapped_column(String(32))
    """A message whose body is written when sending (see alot_platform.auth.emails)."""
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """Not sent before this: a retry after a failure, or the lease of a sender."""
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
