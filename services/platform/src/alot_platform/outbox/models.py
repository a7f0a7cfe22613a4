"""The transactional outbox: work owed after a commit, written in the same transaction
as the change that calls for it.

A row is either an email (``task = 'email'``) or a task for a handler
(alot_platform.outbox.handlers: draw a funded lot, apply a payment event, ...) with its
JSON ``payload``. It exists exactly when the change it follows was committed; a relay
hands it to a runner after the commit (Celery in production, a thread when embedded),
and a periodic sweep hands over whatever is still due, so nothing waits on luck. A
runner claims a row for a lease before it runs it: at-least-once delivery, and a
handler that is idempotent makes the effect exactly-once.

An email's recipient is a user id, resolved when sending: the address is not copied out
of the users table. An account email whose request must not reveal whether an address
has an account (a password reset) is written for an *address* instead, and resolved
(or dropped, forgetting the address) when sent; such a message has a ``kind``: its
body, with a fresh one-time link, is written when it is sent, so no token rests here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in

EMAIL = "email"
"""The ``task`` of an email."""


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DROPPED = "dropped"
    """Nothing to do any more (an email's recipient no longer exists)."""
    DEAD = "dead"
    """Failed on every attempt: left for an admin to look at and retry."""


class OutboxItem(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(OutboxStatus)})", name="status"),
        CheckConstraint(
            "task <> 'email' OR user_id IS NOT NULL OR address IS NOT NULL OR status = 'dropped'",
            name="has_recipient",
        ),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    """What the work is about (``draw:<lot id>``, ``late-refund:<purchase id>``): one
    row per key, so the same change recorded twice owes the work once."""
    task: Mapped[str] = mapped_column(String(40), default=EMAIL)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A task's arguments (JSON: ids as strings); None for an email."""
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    """An email's recipient; None for a message to an ``address`` not resolved yet."""
    address: Mapped[str | None] = mapped_column(String(254))
    """An address to resolve to an account when sending (cleared once resolved)."""
    kind: Mapped[str | None] = mapped_column(String(32))
    """An email whose body is written when sending (see alot_platform.auth.emails)."""
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """Not run before this: a retry after a failure, a task waiting for its time (a drand
    round not published yet), or the lease of the runner that claimed it."""
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    traceparent: Mapped[str | None] = mapped_column(String(55))
    """The W3C trace context of the span that wrote the row, when it was traced: its runs
    are spans of the same trace (alot_platform.observability.tracing)."""
