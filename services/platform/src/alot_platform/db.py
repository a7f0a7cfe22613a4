"""Database access: the declarative base, the engine, and the per-request unit of work.

One SQLAlchemy `Session` per request, from `get_session`. Services and repositories
never commit: the unit of work commits once when the endpoint has returned, and rolls
back if anything raised (an `AlotError` that says `keeps_changes`, such as a detected
refresh-token reuse whose revocation must stick, commits before it is rendered).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from alot_platform.errors import AlotError
from alot_platform.observability.metrics import forget_engine, instrument_engine

_NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every platform table (one metadata, stable constraint names)."""

    metadata = MetaData(naming_convention=_NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every backend (SQLite stores no zone: we put UTC back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def prepare_sqlite_file(url: str, *, create_folder: bool = True) -> None:
    """Create a SQLite database file readable by its owner only, before anything opens it.

    The file holds password hashes, tokens and (until they are sealed) draw seeds. Its
    folder is created 0700 and the file 0600; SQLite gives the -wal and -shm files the
    database file's mode. An existing file (or -wal/-shm) that others could read is
    narrowed to 0600. Other URLs (PostgreSQL, in-memory SQLite) are left alone.
    Without ``create_folder`` (an app's engine) a missing folder stays missing: the
    database is then unreachable, as ``/readyz`` reports; ``alot migrate`` creates it.
    """
    if not url.startswith("sqlite"):
        return
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if create_folder:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        return
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except FileNotFoundError:
            continue


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> Engine:
    if url.startswith("sqlite"):
        prepare_sqlite_file(url, create_folder=False)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=max_overflow,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # No pool_pre_ping: it costs every unit of work a round trip. A connection that died
    # (a database restart) fails the one request that meets it; SQLAlchemy then sees a
    # disconnect and invalidates the whole pool, so the next requests reconnect.
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the driver, which would otherwise start a
    # transaction only at the first write: reads before it would see a stale state.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """SQLite has no row locks, so every unit of work takes the database write lock.

    With it, ``SELECT ... FOR UPDATE`` (which SQLite ignores) is still serialized: what
    a transaction reads stays current until it commits. PostgreSQL locks rows instead.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine and its session factory; one per app."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.capacity = pool_size + max_overflow
        """How many units of work can hold a connection at once."""
        instrument_engine(self.engine, self.capacity)
        self._disposed = False

    def dispose(self) -> None:
        self.engine.dispose()
        if not self._disposed:
            self._disposed = True
            forget_engine(self.capacity)


def unit_of_work(database: Database) -> Iterator[Session]:
    """Yield a session; commit if the body finished (or raised an error that keeps its
    changes), roll back if it raised anything else; then close it."""
    session = database.sessions()
    try:
        yield session
    except BaseException as error:
        _end(session, error)
        raise
    _end(session, None)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """FastAPI dependency: the request's session (use with `Depends(..., scope="function")`).

    The same unit of work as :func:`unit_of_work`, but ``async``: opening a session does
    no I/O, and ending one that holds no transaction (nothing used it, or the endpoint
    already ended it) does none either, so only a commit or rollback that talks to the
    database goes to a worker thread. A sync dependency would cost two thread hops on
    every request.
    """
    session = request.app.state.platform.database.sessions()
    try:
        yield session
    except BaseException as error:
        await run_in_threadpool(_end, session, error)
        raise
    if session.in_transaction():
        await run_in_threadpool(_end, session, None)
    else:
        session.close()


def _end(session: Session, error: BaseException | None) -> None:
    """Commit, or roll back after ``error`` unless it keeps its changes, then close."""
    try:
        if error is None or (isinstance(error, AlotError) and error.keeps_changes):
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


class RequestSlotsMiddleware:
    """Admit at most ``slots`` HTTP requests into the app at once, waiting without a thread.

    A request holds its database session between dependency and endpoint calls without
    holding a worker thread. With more requests in flight than pooled connections, the
    threads could all be blocked waiting for a connection that only a thread-less request
    would return: a deadlock broken only by the pool timeout. Bounding requests in flight
    by the pool's capacity (below the thread pool's size) makes that impossible.

    A request that will hold no session and no worker thread from some point on may
    give its slot back then (``release_request_slot``): a purchase waiting in its lot's
    line does, so that a hot lot's buyers all wait in one batch instead of a third of
    them waiting here for a slot.
    """

    def __init__(self, app: ASGIApp, *, slots: int) -> None:
        self.app = app
        self.slots = slots
        # One event loop per server process; the semaphore belongs to it.
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores.setdefault(loop, asyncio.Semaphore(self.slots))
        await semaphore.acquire()
        slot = _RequestSlot(semaphore)
        scope[_SLOT] = slot
        try:
            await self.app(scope, receive, send)
        finally:
            slot.release()


_SLOT = "alot.request_slot"


class _RequestSlot:
    """One request's admission: given back once, early or when the request ends."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore: asyncio.Semaphore | None = semaphore

    def release(self) -> None:
        if self._semaphore is not None:
            self._semaphore.release()
            self._semaphore = None


def release_request_slot(scope: Scope) -> None:
    """Give the request's slot back now (see ``RequestSlotsMiddleware``): the caller
    holds no session and will open none on the event loop or in a worker thread."""
    slot = scope.get(_SLOT)
    if slot is not None:
        slot.release()
