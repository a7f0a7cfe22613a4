"""The audit log of admin and host actions: appended in the acting request's own
transaction, so an action and its entry commit together or not at all.

``record_action`` is called on one line where the action happens (admin/, lots/,
hosts/, refunds/, fulfillment/, payouts/). The actor is the signed-in user of the
request (``acting_user``: the auth dependency notes it on the unit of work), so services
need no extra parameter to say who acts. ``details`` holds ids and values only, never
personal data: the log is kept for ever, and account deletion does not touch it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from alot_verify.audit import GENESIS_HASH, entry_hash
from alot_verify.canonical import canonical_json
from sqlalchemy.orm import Session

from alot_platform.audit.models import AuditEntry
from alot_platform.audit.repository import AuditRepository
from alot_platform.pagination import decode_cursor, encode_cursor

ACTOR_KEY = "alot_actor_id"
"""Where the request's unit of work (``Session.info``) remembers who is signed in."""


def note_actor(session: Session, user_id: uuid.UUID) -> None:
    """Remember who acts in this unit of work (called by the auth dependency)."""
    session.info[ACTOR_KEY] = user_id


def acting_user(session: Session) -> uuid.UUID | None:
    """The signed-in user of this unit of work; None for the platform's own work."""
    actor: uuid.UUID | None = session.info.get(ACTOR_KEY)
    return actor


def format_at(at: datetime) -> str:
    """The hashed form of an entry's time: RFC 3339 UTC, always with microseconds."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_document(entry: AuditEntry) -> dict[str, Any]:
    """An entry as it is hashed, exported and verified (docs/spec/audit-log.md)."""
    return {
        "seq": entry.seq,
        "at": format_at(entry.at),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_roles": list(entry.actor_roles),
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def record_action(
    session: Session,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str | None,
    details: dict[str, Any],
    now: datetime,
) -> None:
    """Append one entry to the audit log in the caller's transaction."""
    rows = AuditRepository(session)
    head = rows.lock_head()
    # Whole microseconds on every backend, so the stored time re-hashes to the same bytes.
    at = now.astimezone(UTC)
    entry = AuditEntry(
        seq=head.seq + 1 if head else 1,
        at=at,
        actor_id=actor_id,
        actor_roles=rows.roles_of(actor_id) if actor_id else [],
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        details=_plain(details),
        prev_hash=head.hash if head else GENESIS_HASH,
        hash="",
    )
    entry.hash = entry_hash(entry_document(entry))
    rows.add(entry)


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    """``details`` with ids and enum values as strings (canonical JSON takes no UUIDs)."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            items = [plain(v) for v in value]
            return sorted(items) if isinstance(value, set | frozenset) else items
        if isinstance(value, uuid.UUID | datetime):
            return format_at(value) if isinstance(value, datetime) else str(value)
        if isinstance(value, str):
            return str(value)  # a StrEnum member becomes its value
        return value

    result: dict[str, Any] = plain(details)
    return result


class AuditLogReader:
    """Pages and the export of the log, for auditors and admins."""

    def __init__(self, session: Session) -> None:
        self.rows = AuditRepository(session)

    def page(
        self, *, cursor: str | None, limit: int, newest_first: bool = False
    ) -> tuple[list[dict[str, Any]], str | None, bool]:
        """Entries after the cursor (before it, newest first), the next page's cursor, and
        whether the page chains: its entries, in seq order, each hash right and link to
        the one before (the first to the entry before the page)."""
        if newest_first:
            (before,) = decode_cursor(cursor, "audit_log_newest", int) if cursor else (None,)
            rows = list(self.rows.page_before(before_seq=before, limit=limit + 1))
        else:
            (after,) = decode_cursor(cursor, "audit_log", int) if cursor else (0,)
            rows = list(self.rows.page(after_seq=after, limit=limit + 1))
        more = len(rows) > limit
        documents = [entry_document(row) for row in rows[:limit]]
        chain_ok = self._chains(sorted(documents, key=lambda d: int(d["seq"])))
        next_cursor = None
        if more:
            kind = "audit_log_newest" if newest_first else "audit_log"
            next_cursor = encode_cursor(kind, documents[-1]["seq"])
        return documents, next_cursor, chain_ok

    def _chains(self, documents: list[dict[str, Any]]) -> bool:
        if not documents:
            return True
        first = int(documents[0]["seq"])
        previous = self.rows.hash_at(first - 1) if first > 1 else GENESIS_HASH
        for expected, document in enumerate(documents, start=first):
            if (
                document["seq"] != expected
                or document["prev_hash"] != previous
                or entry_hash(document) != document["hash"]
            ):
                return False
            previous = document["hash"]
        return True

    def export(self, batch: int = 500) -> Iterator[bytes]:
        """Every entry as JSON Lines, in seq order (read in batches)."""
        after = 0
        while True:
            rows = self.rows.page(after_seq=after, limit=batch)
            if not rows:
                return
            for row in rows:
                yield canonical_json(entry_document(row)) + b"\n"
            after = rows[-1].seq
