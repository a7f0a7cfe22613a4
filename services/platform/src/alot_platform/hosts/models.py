"""The `hosts` table (the architecture document's marketplace table).

A host is a user who applied to list their own lots. An admin reviews the application:
approval grants the user the `host` role; suspension stops new lots and sales. The
commission (the seed's `revenue_share_percentage`) is ALOT!'s share of a host lot's
funded value, in integer basis points (1500 = 15.00%); it is copied into each lot and
frozen there when the lot opens.
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
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class HostStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Host(Base):
    __tablename__ = "hosts"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(HostStatus)})", name="status"),
        CheckConstraint("commission_bps BETWEEN 0 AND 10000", name="commission_bps"),
        CheckConstraint("total_lots_created >= 0 AND total_lots_funded >= 0", name="totals"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), unique=True)

    display_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    logo_url: Mapped[str | None] = mapped_column(String(500))
    website_url: Mapped[str | None] = mapped_column(String(500))
    country: Mapped[str] = mapped_column(String(2))
    # Legal name, registration and tax numbers, business address: seen by the host and
    # admins only, never by the public profile.
    business_details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    status: Mapped[str] = mapped_column(String(20), default=HostStatus.PENDING.value)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last review's reason and reviewer (approve, reject, suspend, reinstate).
    status_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    commission_bps: Mapped[int] = mapped_column(Integer)
    stripe_connect_account_id: Mapped[str | None] = mapped_column(String(255))
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)

    total_lots_created: Mapped[int] = mapped_column(Integer, default=0)
    total_lots_funded: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
