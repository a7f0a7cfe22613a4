"""The `audit_log` table: admin and host actions, hash-chained and append-only.

Rows are only ever inserted (triggers in migration 0020 refuse UPDATE, DELETE and
TRUNCATE). ``hash`` is SHA-256 of the canonical JSON of the entry (every column but
``hash``, ``at`` as RFC 3339 UTC with microseconds), ``prev_hash`` is the previous
entry's ``hash`` (64 zeros for seq 1): docs/spec/audit-log.md.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (CheckConstraint("seq >= 1", name="seq_positive"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # No foreign key: an entry outlives anything it names, and the log never changes.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_roles: Mapped[list[str]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
