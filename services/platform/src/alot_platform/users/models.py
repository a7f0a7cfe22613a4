"""The `users` table (per the architecture document) and the `user_roles` it grants.

Later domains (lots, entries, payments, hosts) reference `users.id` with foreign keys.
Full name and date of birth are stored encrypted (see `security.crypto`); `email` is
stored normalized (trimmed, lower-case) and is unique.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alot_platform.db import Base, UTCDateTime


class Role(StrEnum):
    PLAYER = "player"
    HOST = "host"
    ADMIN = "admin"
    AUDITOR = "auditor"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BANNED = "banned"
    # Erased at the player's request (privacy/service.py): personal data gone, login refused.
    DELETED = "deleted"


HOLDER_SECRET_BYTES = 32


def new_holder_secret() -> bytes:
    """A user's holder secret: 32 random bytes, the key of their per-lot pseudonyms."""
    return os.urandom(HOLDER_SECRET_BYTES)


def _sql_in(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"status IN ({_sql_in(UserStatus)})", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    full_name_encrypted: Mapped[str | None] = mapped_column(Text)
    date_of_birth_encrypted: Mapped[str | None] = mapped_column(Text)
    verified_email: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=UserStatus.ACTIVE.value)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(2))
    """ISO 3166-1 alpha-2, as the player declared it at registration (compliance)."""
    # The key of the player's holder pseudonyms (alot_verify.draw.holder_pseudonym, one
    # per lot): public proofs name their entries by those, and only this secret ties
    # them together, so it never leaves the platform (no response, log, event or export).
    holder_secret: Mapped[bytes] = mapped_column(LargeBinary, default=new_holder_secret)
    total_entries: Mapped[int] = mapped_column(Integer, default=0)
    total_won: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(grant.role) for grant in self.role_grants)


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN ({_sql_in(Role)})", name="role"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="role_grants")


class ReservedUsername(Base):
    """A username spent by a registration that created no account (its email already
    had one). Registering takes the username whether or not the email was taken, so a
    second registration with it cannot tell the two cases apart."""

    __tablename__ = "reserved_usernames"

    username: Mapped[str] = mapped_column(String(50), primary_key=True)
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime)
