"""Tables behind authentication.

- `auth_sessions`: one per login (a refresh-token *family*). Revoking it ends the login
  everywhere at once: its access tokens (they carry the session id) and its refresh
  tokens.
- `refresh_tokens`: every refresh token issued, by its JWT id. A token is used once;
  presenting a used one again means it was copied, so the whole session is revoked,
  unless it comes within the reuse grace window of its rotation: then the same
  rotated pair is issued again (two browser tabs refreshing at once). The rotated
  pair is not stored, only the ids it was minted with: signing is deterministic, so
  the same claims give the same tokens.
- `one_time_tokens`: email-verification and password-reset tokens (signed JWTs whose
  ids are recorded here so each works once).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime


class AuthSession(Base):
    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Indexed for the cleanup job, which removes sessions long over (cleanup/).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rotated_to_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """The refresh token this one was swapped for (its row holds the rotation's time)."""
    rotated_access_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """The id of the access token issued beside it."""


class OneTimeToken(Base):
    __tablename__ = "one_time_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
