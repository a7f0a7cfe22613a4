"""The witness's memory: the latest checkpoint it cosigned per log, in one SQLite file.

The check "the submitted old size is the size I last cosigned" and the update to the
new checkpoint happen in one write transaction (BEGIN IMMEDIATE), so two submissions
racing cannot roll the log back (the race tlog-witness describes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS latest_checkpoint (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root_hash BLOB NOT NULL,
    note TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL
)
"""


@dataclass(frozen=True)
class Latest:
    size: int
    root_hash: bytes


class WitnessState:
    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as connection:
            connection.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def latest(self, origin: str) -> Latest | None:
        connection = self._connect()
        try:
            row = connection.execute(
                "SELECT size, root_hash FROM latest_checkpoint WHERE origin = ?", (origin,)
            ).fetchone()
        finally:
            connection.close()
        return None if row is None else Latest(int(row[0]), bytes(row[1]))

    def advance(
        self,
        origin: str,
        decide: Callable[[Latest | None], _T],
        record: Callable[[_T], tuple[int, bytes, str, int] | None],
    ) -> _T:
        """Run ``decide`` on the latest checkpoint and store what ``record`` returns, atomically.

        ``decide`` raises to refuse; ``record`` turns its result into (size, root, note,
        cosigned_at) to store, or None to store nothing.
        """
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                row = connection.execute(
                    "SELECT size, root_hash FROM latest_checkpoint WHERE origin = ?", (origin,)
                ).fetchone()
                result = decide(None if row is None else Latest(int(row[0]), bytes(row[1])))
                stored = record(result)
                if stored is not None:
                    size, root_hash, note, cosigned_at = stored
                    connection.execute(
                        "INSERT INTO latest_checkpoint (origin, size, root_hash, note, cosigned_at)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET"
                        " size = excluded.size, root_hash = excluded.root_hash,"
                        " note = excluded.note, cosigned_at = excluded.cosigned_at",
                        (origin, size, root_hash, note, cosigned_at),
                    )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result
        finally:
            connection.close()
