"""SQL for the audit log: the chain's head under a lock, appends, and reads by seq."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alot_platform.audit.models import AuditEntry
from alot_platform.users.models import UserRole

# pg_advisory_xact_lock key of the audit log's appends ("audit" in ASCII): held until
# the appending transaction ends, so the next append reads the head it left.
_APPEND_LOCK = 0x6175646974


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_head(self) -> AuditEntry | None:
        """The last entry, read under the append lock. PostgreSQL: a transaction-scoped
        advisory lock. SQLite: the platform's transactions begin with the database's
        write lock (BEGIN IMMEDIATE), which serializes appends already."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(_APPEND_LOCK)))
        return self.session.scalars(
            select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)
        ).first()

    def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)
        self.session.flush()

    def roles_of(self, user_id: uuid.UUID) -> list[str]:
        query = select(UserRole.role).where(UserRole.user_id == user_id).order_by(UserRole.role)
        return list(self.session.scalars(query))

    def page(self, *, after_seq: int, limit: int) -> Sequence[AuditEntry]:
        query = (
            select(AuditEntry)
            .where(AuditEntry.seq > after_seq)
            .order_by(AuditEntry.seq)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def page_before(self, *, before_seq: int | None, limit: int) -> Sequence[AuditEntry]:
        """Entries before ``before_seq`` (None: from the newest), newest first."""
        query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
        if before_seq is not None:
            query = query.where(AuditEntry.seq < before_seq)
        return self.session.scalars(query).all()

    def hash_at(self, seq: int) -> str | None:
        return self.session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))

    def size(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
