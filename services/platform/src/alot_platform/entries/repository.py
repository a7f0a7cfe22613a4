"""SQL for purchases, the ticket ranges they bought, and the buyer's reveal row."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

import psycopg
from alot_ledger.appender import (
    AppendStart,
    PreparedAppend,
    finish_append,
    send_finish_append,
    send_start_append,
    start_append,
)
from psycopg.rows import dict_row
from psycopg.types.json import Json
from sqlalchemy import Table, bindparam, exists, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, class_mapper

from alot_platform.auth.repository import AuthRepository, SessionState
from alot_platform.credits.repository import CreditsRepository
from alot_platform.db import Base
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

_Row = TypeVar("_Row", bound=Base)
_POSTGRESQL: Dialect = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
_PURCHASES, _ENTRIES, _REVEALS = (
    cast(Table, model.__table__) for model in (LotEntryPurchase, LotEntry, Reveal)
)

_IGNORE_EXISTING_REVEALS = {
    "postgresql": postgresql.insert(Reveal).on_conflict_do_nothing(
        index_elements=["user_id", "lot_id"]
    ),
    "sqlite": sqlite.insert(Reveal).on_conflict_do_nothing(index_elements=["user_id", "lot_id"]),
}


@dataclass(frozen=True)
class BatchReads:
    """What a batch of purchases is checked against, read after the lot's lock."""

    lot: Lot | None
    """The lot as committed now, detached from the session (None: no such lot)."""
    sessions: dict[uuid.UUID, SessionState]
    """The callers' login sessions that exist."""
    earlier: dict[tuple[uuid.UUID, str], uuid.UUID]
    """Purchases already made under the batch's (user id, idempotency key) pairs."""
    passed_trivia: set[uuid.UUID]
    """The buyers who answered the lot's question correctly."""
    tickets_held: dict[uuid.UUID, int]
    """Tickets each buyer holds in the lot; read only when the lot has a per-user cap."""
    credit_balances: dict[uuid.UUID, int]
    """The credit balances of the buyers paying with credits (absent: none)."""
    ledger: AppendStart
    """The ledger's chain head, locked after the lot (the order settlement takes too)."""
    holder_secrets: dict[uuid.UUID, bytes]
    """The holder secrets of the callers' users (read with their sessions), for the
    holder pseudonyms of their entries (entries.holders)."""


# On PostgreSQL a batch's reads go in one pipeline, and its writes with the commit in a
# second: two round trips under the lot's lock, whatever the batch's size. Every round
# trip is paid while the lot is locked, and in a busy process each one also waits for
# the GIL on its way back.
_PG_LOCK_LOT = "SELECT * FROM lots WHERE id = %s FOR UPDATE"
_PG_SESSIONS = (
    "SELECT s.id, s.user_id, s.revoked_at, u.status, u.verified_email, u.holder_secret"
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
# Sent before the lot is known: the EXISTS skips the sum for a lot without a cap.
_PG_HELD = (
    "SELECT user_id, sum(ticket_count) FROM lot_entries"
    " WHERE lot_id = %(lot)s AND user_id = ANY(%(users)s) AND EXISTS"
    " (SELECT 1 FROM lots WHERE id = %(lot)s AND max_tickets_per_user IS NOT NULL)"
    " GROUP BY user_id"
)
_PG_CREDITS = "SELECT user_id, balance FROM user_universal_credits WHERE user_id = ANY(%s)"
_PG_LOT_TOTALS = (
    "UPDATE lots SET tickets_sold = %(tickets_sold)s, cash_cents = %(cash_cents)s,"
    " credits_spent = %(credits_spent)s, status = %(status)s, funded_at = %(funded_at)s,"
    " updated_at = %(updated_at)s WHERE id = %(id)s"
)
_LOT_TOTALS = ("tickets_sold", "cash_cents", "credits_spent", "status", "funded_at", "updated_at")


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


def _detached(model: type[_Row], values: Mapping[str, Any], dialect: Dialect) -> _Row:
    """A ``model`` object, outside any session, from a row read without the ORM (with
    the columns' own result processing, e.g. UTC timestamps)."""
    fields = {}
    for key, name, process in _result_columns(model, dialect):
        value = values[name]
        fields[key] = value if process is None or value is None else process(value)
    return model(**fields)


@lru_cache(maxsize=16)
def _result_columns(
    model: type[Base], dialect: Dialect
) -> list[tuple[str, str, Callable[[Any], Any] | None]]:
    """Each of ``model``'s columns: attribute, column name and result processor (built
    once: every batch reads its lot through ``_detached``)."""
    return [
        (attr.key, attr.columns[0].name, attr.columns[0].type.result_processor(dialect, None))
        for attr in class_mapper(model).column_attrs
    ]


def _pg_insert(
    table: Table, rows: Sequence[Mapping[str, Any]], *, ignore: str = ""
) -> tuple[str, list[list[Any]]]:
    """A psycopg INSERT of ``rows`` (all with the same keys) into ``table`` as one
    statement over one array per column, and those arrays: one command in a pipeline,
    not one per row, which costs both the driver and the server far more."""
    names = tuple(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} must all set the same columns")
    return _pg_insert_statement(table, names, ignore), [[row[n] for row in rows] for n in names]


@lru_cache(maxsize=64)
def _pg_insert_statement(table: Table, names: tuple[str, ...], ignore: str) -> str:
    # Table and column names and types are this module's own (from the models). The
    # arrays go in binary: psycopg's text form escapes every element in Python.
    types = [table.c[name].type.compile(dialect=_POSTGRESQL) for name in names]
    arrays = ", ".join(f"%b::{type_}[]" for type_ in types)
    statement = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"  # noqa: S608
    return statement + (f" ON CONFLICT {ignore} DO NOTHING" if ignore else "")


class EntryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def read_for_batch(
        self,
        lot_id: uuid.UUID,
        session_ids: Collection[uuid.UUID],
        keys: Collection[tuple[uuid.UUID, str]],
        credit_users: Collection[uuid.UUID],
        ledger_accounts: Collection[tuple[str, str]],
    ) -> BatchReads:
        """Lock the lot's row and then the ledger's chain head (both until commit), and
        read what the batch is checked against (see `BatchReads`), all after the locks
        are granted. ``ledger_accounts``: the (account, asset) pairs the batch's ledger
        transactions will likely touch."""
        users = list({user_id for user_id, _ in keys})
        connection = self.session.connection()
        if connection.dialect.name != "postgresql":
            lot = self.session.scalars(
                select(Lot).where(Lot.id == lot_id).execution_options(populate_existing=True)
            ).one_or_none()
            if lot is not None:
                self.session.expunge(lot)  # changed by the batch's own statements only
            credits = CreditsRepository(self.session)
            callers = AuthRepository(self.session).sessions_with_users(session_ids)
            return BatchReads(
                lot=lot,
                sessions={
                    session_id: SessionState.of(auth_session, user)
                    for session_id, (auth_session, user) in callers.items()
                },
                earlier={key: p.id for key, p in self.purchases_by_keys(keys).items()},
                passed_trivia=TriviaRepository(self.session).passed_among(lot_id, users),
                tickets_held=(
                    self.tickets_held_by(lot_id, users)
                    if lot is not None and lot.max_tickets_per_user is not None
                    else {}
                ),
                credit_balances={
                    user_id: row.balance
                    for user_id in credit_users
                    if (row := credits.get(user_id)) is not None
                },
                ledger=start_append(connection, ledger_accounts, ()),
                holder_secrets={user.id: user.holder_secret for _, user in callers.values()},
            )
        raw: Any = connection.connection.driver_connection  # psycopg, for its pipeline
        with raw.pipeline():
            lock = raw.cursor(row_factory=dict_row)
            lock.execute(_PG_LOCK_LOT, (lot_id,))
            sessions, earlier, passed, held, balances = (raw.cursor() for _ in range(5))
            sessions.execute(_PG_SESSIONS, (list(session_ids),))
            earlier.execute(_PG_EARLIER, ([user for user, _ in keys], [key for _, key in keys]))
            passed.execute(_PG_PASSED, (lot_id, users))
            held.execute(_PG_HELD, {"lot": lot_id, "users": users})
            balances.execute(_PG_CREDITS, (list(credit_users),))
            ledger = send_start_append(connection, ledger_accounts, ())
        row = lock.fetchone()
        callers = sessions.fetchall()
        return BatchReads(
            lot=None if row is None else _detached(Lot, row, connection.dialect),
            sessions={row[0]: SessionState(row[1], row[2], row[3], row[4]) for row in callers},
            earlier={(row[0], row[1]): row[2] for row in earlier.fetchall()},
            passed_trivia={row[0] for row in passed.fetchall()},
            tickets_held={row[0]: int(row[1]) for row in held.fetchall()},
            credit_balances={row[0]: row[1] for row in balances.fetchall()},
            ledger=ledger(),
            holder_secrets={row[1]: bytes(row[5]) for row in callers},
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

    def holder_secret(self, user_id: uuid.UUID) -> bytes:
        """``user_id``'s holder secret (the key of their holder pseudonyms)."""
        return self.session.scalars(select(User.holder_secret).where(User.id == user_id)).one()

    def entry_of(self, purchase_id: uuid.UUID) -> LotEntry | None:
        return self.session.scalars(
            select(LotEntry).where(LotEntry.purchase_id == purchase_id)
        ).one_or_none()

    def tickets_held(self, lot_id: uuid.UUID, user_id: uuid.UUID) -> int:
        return self.tickets_held_by(lot_id, {user_id}).get(user_id, 0)

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
        lot: Lot,
        ledger: PreparedAppend,
        purchases: Sequence[LotEntryPurchase],
        entries: Sequence[LotEntry],
        entries_by_user: Mapping[uuid.UUID, int],
        now: datetime,
        *,
        commit: bool,
    ) -> None:
        """A batch's writes: its ledger transactions, new purchases, their entries, the
        buyers' pending reveal rows and entry counts, and the lot's totals and status
        (the lot as `read_for_batch` gave it, changed by the batch).

        On PostgreSQL in one pipeline: one round trip, with the COMMIT when ``commit``
        (the caller's commit then has nothing left to send). The caller commits either
        way, and writes nothing more when it asked for ``commit``.
        """
        connection = self.session.connection()
        totals = {"id": lot.id, **{name: getattr(lot, name) for name in _LOT_TOTALS}}
        if connection.dialect.name != "postgresql":
            finish_append(connection, ledger)
            self.insert_new(purchases)
            self.insert_new(entries)
            self.ensure_pending_reveals(lot.id, entries_by_user.keys(), now)
            self.count_entries(entries_by_user)
            self.session.execute(
                update(Lot).where(Lot.id == lot.id).values(**totals),
                execution_options={"synchronize_session": False},
            )
            return
        raw: Any = connection.connection.driver_connection  # psycopg, for its pipeline
        reveals = _pending_reveals(lot.id, entries_by_user, now, details=Json({}))
        counts = [{"user": u, "entries": n} for u, n in sorted(entries_by_user.items())]
        tables = [
            (_PURCHASES, _column_values(purchases), ""),
            (_ENTRIES, _column_values(entries), ""),
            (_REVEALS, reveals, "(user_id, lot_id)"),
        ]
        inserts = [_pg_insert(table, rows, ignore=ignore) for table, rows, ignore in tables if rows]
        try:
            with raw.pipeline(), raw.cursor() as cursor:
                send_finish_append(connection, ledger)
                for statement, arrays in inserts:
                    cursor.execute(statement, arrays)
                # One update per buyer, in id order: other batches lock the same rows.
                cursor.executemany(_PG_COUNT_ENTRIES, counts)
                cursor.execute(_PG_LOT_TOTALS, totals)
                if commit:
                    cursor.execute("COMMIT")
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
