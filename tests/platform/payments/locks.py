"""Probing for row locks from a test: whether work runs with no lock held."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError


def row_lock_free(engine: Engine, table: str, row_id: str) -> bool:
    """Whether another transaction could lock the row now, without waiting (on SQLite,
    which has no row locks: the database's write lock, which every unit of work takes)."""
    if engine.dialect.name == "sqlite":
        raw: Any = engine.raw_connection()
        try:
            raw.execute("PRAGMA busy_timeout=0")
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return False
            raw.execute("ROLLBACK")
            return True
        finally:
            raw.execute("PRAGMA busy_timeout=30000")
            raw.close()
    with engine.connect() as connection:
        try:
            with connection.begin():
                connection.execute(
                    text(f"SELECT id FROM {table} WHERE id = CAST(:id AS uuid) FOR UPDATE NOWAIT"),
                    {"id": row_id},
                )
            return True
        except OperationalError:
            return False
