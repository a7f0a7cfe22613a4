"""The `terms_acceptances` table: which versions of the terms and the privacy notice each
player accepted, and when. Rows are only ever added (a new version is a new row)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime


class Document(StrEnum):
    TERMS = "terms"
    PRIVACY = "privacy"


class AcceptanceSource(StrEnum):
    REGISTRATION = "registration"
    """Accepted with the register form's statement."""
    PLAYER = "player"
    """Accepted again by the player (POST /api/users/me/terms)."""
    OPERATOR = "operator"
    """An account an operator's tool made (create-admin, seed-demo, scripts): recorded
    as created under these versions, not as a player's click."""


class TermsAcceptance(Base):
    __tablename__ = "terms_acceptances"
    __table_args__ = (
        UniqueConstraint("user_id", "document", "version"),
        CheckConstraint("document IN ('terms', 'privacy')", name="document"),
        CheckConstraint("source IN ('registration', 'player', 'operator')", name="source"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    document: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
