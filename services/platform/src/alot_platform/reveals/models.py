"""Reveals ("digital cards"): one per player per lot they entered."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class RevealStatus(StrEnum):
    PENDING = "pending"
    LOST = "lost"
    WON = "won"
    CLAIMED = "claimed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    DISPUTED = "disputed"
    REFUNDED = "refunded"


class Reveal(Base):
    __tablename__ = "reveals"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(RevealStatus)})", name="status"),
        UniqueConstraint("user_id", "lot_id", name="uq_reveals_user_lot"),
        # The deadline jobs read won prizes by claim deadline (fulfillment/tasks.py).
        Index("ix_reveals_status_claim_deadline", "status", "claim_deadline"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=RevealStatus.PENDING.value)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fulfillment of a won prize: claim (with an address, encrypted at rest), shipment,
    # delivery, or a dispute an admin resolves.
    claim_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipping_address_encrypted: Mapped[str | None] = mapped_column(String(4000))
    ship_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipping_carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(255))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # winner | automatic | admin
    delivery_confirmed_by: Mapped[str | None] = mapped_column(String(20))
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # not_received | not_as_described
    dispute_reason: Mapped[str | None] = mapped_column(String(30))
    dispute_details: Mapped[str | None] = mapped_column(Text)
    dispute_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # release (to the host) | compensate (the winner, from the held share)
    dispute_resolution: Mapped[str | None] = mapped_column(String(20))
    # The prize paid as its retail value in cash instead (user:<id>:payable): a dispute
    # resolved for the winner (dispute_compensated), or the claim deadline passed
    # (claim_expired).
    compensated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    compensation_cents: Mapped[int | None] = mapped_column(Integer)
    compensation_reason: Mapped[str | None] = mapped_column(String(30))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
