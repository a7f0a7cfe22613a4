"""In-app notifications and per-user email preferences.

A notification is written in the same transaction as the event it reports (a lot
settled, a refund started or made, a lot about to close): it exists exactly when the
event was committed. Its ``key`` says what it is about (``won:<lot id>``): one
notification per user and key, so an event handled twice notifies once.

Email is decided per notification (``email_status``): a win is always emailed; credits
awarded and reminders are emailed unless the player turned that email off
(``notification_preferences``); a refund's notifications are in-app only, since the
refund sends its own emails (alot_platform.refunds.emails). A notification
written one at a time has its email queued in the outbox in the same transaction; one
written in bulk (every buyer of a lot) is left ``due`` and queued by the next run of
``send_due_emails``, which checks the preference then.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class NotificationKind(StrEnum):
    WON = "won"
    """The player holds the winning ticket of a settled lot."""
    CREDITS_AWARDED = "credits_awarded"
    """A lot the player entered was settled and they did not win: their credits."""
    REFUND_AVAILABLE = "refund_available"
    """A lot expired unfunded: the player chooses cash or credits by a deadline."""
    REFUND_DONE = "refund_done"
    """One of the player's purchases was refunded (cash or credits)."""
    LOT_CLOSING = "lot_closing"
    """A lot the player entered is 90% funded, or closes within 24 hours."""
    PRIZE = "prize"
    """A won prize's fulfillment: a claim to make or to ship, shipped, delivered, a
    dispute opened or resolved, a deadline near or passed (``data["event"]`` says which)."""


class EmailStatus(StrEnum):
    DUE = "due"
    """To be queued (or skipped, per the preference) by ``send_due_emails``."""
    QUEUED = "queued"
    """Written to the email outbox (which delivers it)."""
    OPTED_OUT = "opted_out"
    """Not emailed: the player turned this kind of email off."""


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(NotificationKind)})", name="kind"),
        CheckConstraint(
            f"email_status IS NULL OR email_status IN ({sql_in(EmailStatus)})",
            name="email_status",
        ),
        UniqueConstraint("user_id", "key", name="uq_notifications_user_key"),
        Index("ix_notifications_user_newest", "user_id", "created_at", "id"),
        Index("ix_notifications_email_status", "email_status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    """What it is about, per user (``won:<lot id>``, ``refund-done:<purchase id>``)."""
    lot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lots.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The facts the text is written from (JSON: ids and timestamps as strings)."""
    email_status: Mapped[str | None] = mapped_column(String(10))
    """None: this kind is never emailed."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationPreferences(Base):
    """A player's email choices; no row means the defaults."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    reminder_emails: Mapped[bool] = mapped_column(Boolean, default=True)
    credits_emails: Mapped[bool] = mapped_column(Boolean, default=True)
    marketing_emails: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
