"""Reveals ("digital cards"): one per player per lot they entered."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class RevealStatus(StrEnum):
    PENDING = "pending"
    LOST = "lost"
    WON = "won"
    CLAIMED = "claimed"
    SHIPPED = "shipped"
    REFUNDED = "refunded"


class Reveal(Base):
    __tablename__ = "reveals"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(RevealStatus)})", name="status"),
        UniqueConstraint("user_id", "lot_id", name="uq_reveals_user_lot"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=RevealStatus.PENDING.value)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fulfillment arrives with its own issue; the columns are here so reveals keep one shape.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipping_address_encrypted: Mapped[str | None] = mapped_column(String(4000))
    tracking_number: Mapped[str | None] = mapped_column(String(255))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
