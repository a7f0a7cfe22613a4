"""SQL for purchases, the ticket ranges they bought, and the buyer's reveal row."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, exists, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, class_mapper

from alot_platform.auth.repository import AuthRepository, SessionState
from alot_platform.entries.models import LotEntry, LotEntryPurchase
from alot_platform.lots.models import Lot
from alot_platform.reveals.models import Reveal, RevealStatus
from alot_platform.trivia.repository import TriviaRepository, passed_trivia
from alot_platform.users.models import User

# Built once, like every statement on the purchase path: building a select costs more
# CPU than the database spends answering it.
_BEFORE_PURCHASE = select(
    Lot,
    exists().where(
        LotEntryPurchase.user_id == bindparam("user_id"),
        LotEntryPurchase.idempotency_key == bindparam("idempotency_key"),
    ),
    passed_trivia(bindparam("lot_id"), bindparam("user_id")),
).where(Lot.id == bindparam("lot_id"))

_IGNORE_EXISTING_REVEALS = {
    "postgresql": postgresql.insert(Reveal).on_conflict_do_nothing(
        index_elements=["user_id", "lot_id"]
    ),
    "sqlite": sqlite.insert(Reveal).on_conflict_do_nothing(index_elements=["user_id", "lot_id"]),
}


@dataclass(frozen=True)
class BatchReads:
    """What a batch of purchases is checked against, read after the lot's lock."""

    lot_exists: bool
    sessions: dict[uuid.UUID, SessionState]
    """The callers' login sessions that exist."""
    earlier: dict[tuple[uuid.UUID, str], uuid.UUID]
    """Purchases already made under the batch's (user id, idempotency key) pairs."""
    passed_trivia: set[uuid.UUID]
    """The buyers who answered the lot's question correctly."""


# On PostgreSQL a batch's reads go in one pipeline: one round trip (with the BEGIN)
# instead of five. Every round trip of the batch is paid while the lot is locked, and
# in a busy process each one also waits for the GIL on its way back.
_PG_LOCK_LOT = "SELECT id FROM lots WHERE id = %s FOR UPDATE"
_PG_SESSIONS = (
    "SELECT s.id, s.user_id, s.revoked_at, u.status, u.verified_email"
    " FROM auth_sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.id = ANY(%s)"
)
_PG_EARLIER = (
    "SELECT p.user_id, p.idempotency_key, p.id FROM lot_entry_purchases AS p"
    " JOIN unnest(%s::uuid[], %s::text[]) AS k(user_id, idempotency_key)"
    " ON p.user_id = k.user_id AND p.idempotency_key = k.idempotency_key"
)
_PG_PASSED = (
    "SELECT DISTINCT user_id FROM lot_trivia_attempts"
    " WHERE lot_id = %s AND user_id = ANY(%s) AND is_correct"
)


_PG_COUNT_ENTRIES = (
    "UPDATE users SET total_entries = total_entries + %(entries)s WHERE id = %(user)s"
)


def _column_values(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Each new ORM object's column values, by column name. Unset attributes of a new
    object are None: those are left to the column's default, as the unit of work would."""
    if not rows:
        return []
    mapper = class_mapper(type(rows[0]))
    columns = [(attr.key, attr.columns[0]) for attr in mapper.column_attrs]
    return [
        {
            column.name: value
            for key, column in columns
            if (value := getattr(row, key)) is not None or column.default is None
        }
        for row in rows
    ]


def _pending_reveals(
    lot_id: uuid.UUID, user_ids: Collection[uuid.UUID], now: datetime, *, details: Any
) -> list[dict[str, Any]]:
    """New pending reveal rows of ``user_ids`` in the lot (in id order), each inserted
    unless the user's row exists; ``details`` as the driver takes an empty JSON object."""
    return [
        {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "lot_id": lot_id,
            "status": RevealStatus.PENDING.value,
            "details": details,
            "created_at": now,
        }
        for user_id in sorted(user_ids)
    ]


def _pg_insert(table: str, values: Sequence[Mapping[str, Any]], *, ignore: str = "") -> str:
    """A psycopg INSERT into ``table`` of rows with the keys of ``values``."""
    names = list(values[0]) if values else []
    # Table and column names are this module's own (from the models), never input.
    columns, placeholders = ", ".join(names), ", ".join(f"%({name})s" for name in names)
    statement = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    return statement + (f" ON CONFLICT {ignore} DO NOTHING" if ignore else "")


class EntryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def read_for_batch(
        self,
        lot_id: uuid.UUID,
        session_ids: Collection[uuid.UUID],
        keys: Collection[tuple[uuid.UUID, str]],
    ) -> BatchReads:
        """Lock the lot's row (until commit), then read what the batch is checked
        against (see `BatchReads`); all of it is read after the lock is granted."""
        users = list({user_id for user_id, _ in keys})
        connection = self.session.connection()
        if connection.dialect.name != "postgresql":
            locked = self.session.scalar(select(Lot.id).where(Lot.id == lot_id))
            return BatchReads(
                lot_exists=locked is not None,
                sessions={
                    session_id: SessionState.of(auth_session, user)
                    for session_id, (auth_session, user) in AuthRepository(self.session)
                    .sessions_with_users(session_ids)
                    .items()
                },
                earlier={key: p.id for key, p in self.purchases_by_keys(keys).items()},
                passed_trivia=TriviaRepository(self.session).passed_among(lot_id, users),
            )
        raw: Any = connection.connection.driver_connection  # psycopg, for its pipeline
        with raw.pipeline():
            lock, sessions, earlier, passed = (raw.cursor() for _ in range(4))
            lock.execute(_PG_LOCK_LOT, (lot_id,))
            sessions.execute(_PG_SESSIONS, (list(session_ids),))
            earlier.execute(_PG_EARLIER, ([user for user, _ in keys], [key for _, key in keys]))
            passed.execute(_PG_PASSED, (lot_id, users))
        return BatchReads(
            lot_exists=lock.fetchone() is not None,
            sessions={
                row[0]: SessionState(row[1], row[2], row[3], row[4]) for row in sessions.fetchall()
            },
            earlier={(row[0], row[1]): row[2] for row in earlier.fetchall()},
            passed_trivia={row[0] for row in passed.fetchall()},
        )

    def purchases_by_ids(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, LotEntryPurchase]:
        if not ids:
            return {}
        found = self.session.scalars(
            select(LotEntryPurchase)
            .where(LotEntryPurchase.id.in_(list(ids)))
            .execution_options(populate_existing=True)
        )
        return {purchase.id: purchase for purchase in found}

    def purchase_by_key(self, user_id: uuid.UUID, idempotency_key: str) -> LotEntryPurchase | None:
        """The purchase ``user_id`` made under ``idempotency_key``, as committed now.

        ``populate_existing``: under the lot lock this must see a purchase another
        transaction committed after this session first looked.
        """
        return self.session.scalars(
            select(LotEntryPurchase)
            .where(
                LotEntryPurchase.user_id == user_id,
                LotEntryPurchase.idempotency_key == idempotency_key,
            )
            .execution_options(populate_existing=True)
        ).one_or_none()

    def before_purchase(
        self, lot_id: uuid.UUID, user_id: uuid.UUID, idempotency_key: str
    ) -> tuple[Lot, bool, bool] | None:
        """The lot, whether ``user_id`` already used ``idempotency_key``, and whether they
        passed the lot's trivia; None if there is no such lot.

        One round trip for what every purchase reads before it joins the line.
        """
        row = self.session.execute(
            _BEFORE_PURCHASE,
            {"lot_id": lot_id, "user_id": user_id, "idempotency_key": idempotency_key},
        ).first()
        return None if row is None else (row[0], bool(row[1]), bool(row[2]))

    def entry_of(self, purchase_id: uuid.UUID) -> LotEntry | None:
        return self.session.scalars(
            select(LotEntry).where(LotEntry.purchase_id == purchase_id)
        ).one_or_none()

    def tickets_held(self, lot_id: uuid.UUID, user_id: uuid.UUID) -> int:
        return int(
            self.session.scalar(
                select(func.coalesce(func.sum(LotEntry.ticket_count), 0)).where(
                    LotEntry.lot_id == lot_id, LotEntry.user_id == user_id
                )
            )
            or 0
        )

    def purchases_by_keys(
        self, keys: Collection[tuple[uuid.UUID, str]]
    ) -> dict[tuple[uuid.UUID, str], LotEntryPurchase]:
        """The purchases made under any of these (user id, idempotency key) pairs."""
        if not keys:
            return {}
        found = self.session.scalars(
            select(LotEntryPurchase).where(
                LotEntryPurchase.user_id.in_({user for user, _ in keys}),
                LotEntryPurchase.idempotency_key.in_({key for _, key in keys}),
            )
        )
        wanted = set(keys)
        return {
            (p.user_id, p.idempotency_key): p
            for p in found
            if (p.user_id, p.idempotency_key) in wanted
        }

    def tickets_held_by(
        self, lot_id: uuid.UUID, user_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, int]:
        """Tickets each of ``user_ids`` holds in ``lot_id`` (absent: none)."""
        if not user_ids:
            return {}
        rows = self.session.execute(
            select(LotEntry.user_id, func.sum(LotEntry.ticket_count))
            .where(LotEntry.lot_id == lot_id, LotEntry.user_id.in_(set(user_ids)))
            .group_by(LotEntry.user_id)
        )
        return {user_id: int(total) for user_id, total in rows}

    def insert_new(self, rows: Sequence[LotEntryPurchase] | Sequence[LotEntry]) -> None:
        """Insert new purchases (or entries) with one executemany, outside the unit of
        work: the objects stay transient, as the answers of their requests. A batch
        inserts dozens at once; the unit of work's flush would cost several times more."""
        if rows:
            self.session.connection().execute(insert(type(rows[0])), _column_values(rows))

    def write_batch(
        self,
        purchases: Sequence[LotEntryPurchase],
        entries: Sequence[LotEntry],
        lot_id: uuid.UUID,
        entries_by_user: Mapping[uuid.UUID, int],
        now: datetime,
    ) -> None:
        """A batch's new purchases, their entries, the buyers' pending reveal rows and
        entry counts. On PostgreSQL in one pipeline: one round trip, not four."""
        connection = self.session.connection()
        if connection.dialect.name != "postgresql":
            self.insert_new(purchases)
            self.insert_new(entries)
            self.ensure_pending_reveals(lot_id, entries_by_user.keys(), now)
            self.count_entries(entries_by_user)
            return
        raw: Any = connection.connection.driver_connection  # psycopg, for its pipeline
        reveals = _pending_reveals(lot_id, entries_by_user, now, details=Jsonb({}))
        counts = [{"user": u, "entries": n} for u, n in sorted(entries_by_user.items())]
        purchase_rows, entry_rows = _column_values(purchases), _column_values(entries)
        writes = [
            (_pg_insert("lot_entry_purchases", purchase_rows), purchase_rows),
            (_pg_insert("lot_entries", entry_rows), entry_rows),
            (_pg_insert("reveals", reveals, ignore="(user_id, lot_id)"), reveals),
            (_PG_COUNT_ENTRIES, counts),
        ]
        try:
            with raw.pipeline(), raw.cursor() as cursor:
                for statement, values in writes:
                    if values:
                        cursor.executemany(statement, values)
        except psycopg.IntegrityError as error:
            # As SQLAlchemy would raise it: the batch redoes on an idempotency clash.
            raise IntegrityError("write_batch", None, error) from error

    def add(self, row: LotEntryPurchase | LotEntry | Reveal) -> None:
        self.session.add(row)

    def ensure_pending_reveals(
        self, lot_id: uuid.UUID, user_ids: Collection[uuid.UUID], now: datetime
    ) -> None:
        """Each buyer's reveal row for the lot, created pending unless it exists (one
        statement: insert, ignoring the rows the unique (user, lot) index already has)."""
        if not user_ids:
            return
        rows = _pending_reveals(lot_id, user_ids, now, details={})
        # Executed with a list of rows: one cached statement, sent as one multi-row
        # INSERT by SQLAlchemy's insertmanyvalues (a .values(rows) statement would be
        # compiled anew for every batch).
        dialect = self.session.get_bind().dialect.name
        statement = _IGNORE_EXISTING_REVEALS[dialect]
        self.session.connection().execute(statement, rows)

    def count_entries(self, entries_by_user: Mapping[uuid.UUID, int]) -> None:
        """Add to each buyer's ``total_entries`` (one statement, users in id order)."""
        if not entries_by_user:
            return
        statement = (
            update(User)
            .where(User.id == bindparam("user"))
            .values(total_entries=User.total_entries + bindparam("entries"))
        )
        self.session.connection().execute(
            statement,
            [{"user": user, "entries": n} for user, n in sorted(entries_by_user.items())],
        )

    def entries_of_user(
        self,
        user_id: uuid.UUID,
        *,
        before: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[tuple[LotEntry, LotEntryPurchase, Lot]]:
        """A user's entries across lots, newest first, strictly after the ``before`` key."""
        query = (
            select(LotEntry, LotEntryPurchase, Lot)
            .join(LotEntryPurchase, LotEntryPurchase.id == LotEntry.purchase_id)
            .join(Lot, Lot.id == LotEntry.lot_id)
            .where(LotEntry.user_id == user_id)
        )
        if before is not None:
            query = query.where(tuple_(LotEntry.created_at, LotEntry.id) < tuple_(*before))
        query = query.order_by(LotEntry.created_at.desc(), LotEntry.id.desc()).limit(limit)
        return [(entry, purchase, lot) for entry, purchase, lot in self.session.execute(query)]
