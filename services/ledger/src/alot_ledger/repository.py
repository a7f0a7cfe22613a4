"""All of the ledger's SQL. A repository wraps one Connection and keeps it.

Nothing here decides anything: the appender (``appender.py``) holds the rules and the
order of operations; this module only reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from alot_ledger.tables import accounts, checkpoints, head, merkle_nodes, postings, transactions

_HASH = 32


@dataclass(frozen=True, slots=True)
class HeadState:
    size: int
    last_hash: str
    peaks: list[bytes]


@dataclass(slots=True)
class AccountState:
    """An account's current balance row; ``id`` is None until the account is opened."""

    id: int | None
    name: str
    asset: str
    must_not_go_negative: bool
    balance: int
    version: int


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root_hash: str
    origin: str
    note: str
    created_at: str


def _split_peaks(blob: bytes) -> list[bytes]:
    return [bytes(blob[i : i + _HASH]) for i in range(0, len(blob), _HASH)]


class LedgerRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # -- the chain head -------------------------------------------------------------

    def lock_head(self) -> HeadState:
        """Take the chain-head lock for the rest of this DB transaction and read the head.

        PostgreSQL: ``SELECT ... FOR UPDATE`` on the single head row. SQLite has no row
        locks: a no-op UPDATE takes the database write lock, which serializes writers.
        """
        if self.connection.dialect.name == "sqlite":
            self.connection.execute(sa.update(head).where(head.c.id == 1).values(size=head.c.size))
            return self.read_head()
        return self._head(sa.select(head).where(head.c.id == 1).with_for_update())

    def read_head(self) -> HeadState:
        return self._head(sa.select(head).where(head.c.id == 1))

    def _head(self, query: sa.Select[Any]) -> HeadState:
        row = self.connection.execute(query).one()
        return HeadState(size=row.size, last_hash=row.last_hash, peaks=_split_peaks(row.peaks))

    def update_head(self, state: HeadState) -> None:
        self.connection.execute(
            sa.update(head)
            .where(head.c.id == 1)
            .values(size=state.size, last_hash=state.last_hash, peaks=b"".join(state.peaks))
        )

    # -- accounts -------------------------------------------------------------------

    def load_accounts(
        self, pairs: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], AccountState]:
        if not pairs:
            return {}
        rows = self.connection.execute(
            sa.select(accounts).where(sa.tuple_(accounts.c.name, accounts.c.asset).in_(list(pairs)))
        )
        return {
            (r.name, r.asset): AccountState(
                r.id, r.name, r.asset, r.must_not_go_negative, r.balance, r.version
            )
            for r in rows
        }

    def insert_accounts(self, new: Sequence[AccountState]) -> None:
        """Insert unopened accounts and fill in their ids."""
        if not new:
            return
        self.connection.execute(
            sa.insert(accounts),
            [
                {
                    "name": a.name,
                    "asset": a.asset,
                    "must_not_go_negative": a.must_not_go_negative,
                    "balance": 0,
                    "version": 0,
                }
                for a in new
            ],
        )
        ids = self.load_accounts([(a.name, a.asset) for a in new])
        for account in new:
            account.id = ids[(account.name, account.asset)].id

    def update_balances(self, changed: Iterable[AccountState]) -> None:
        rows = [{"b_id": a.id, "b_balance": a.balance, "b_version": a.version} for a in changed]
        if rows:
            self.connection.execute(
                sa.update(accounts)
                .where(accounts.c.id == sa.bindparam("b_id"))
                .values(balance=sa.bindparam("b_balance"), version=sa.bindparam("b_version")),
                rows,
            )

    def list_accounts(self, asset: str | None = None) -> list[AccountState]:
        query = sa.select(accounts).order_by(accounts.c.name, accounts.c.asset)
        if asset is not None:
            query = query.where(accounts.c.asset == asset)
        return [
            AccountState(r.id, r.name, r.asset, r.must_not_go_negative, r.balance, r.version)
            for r in self.connection.execute(query)
        ]

    def balance_as_of(self, account_id: int, seq: int) -> tuple[int, int]:
        """(balance, version) of an account after transaction ``seq``."""
        row = self.connection.execute(
            sa.select(postings.c.balance_after, postings.c.account_version)
            .where(postings.c.account_id == account_id, postings.c.seq <= seq)
            .order_by(postings.c.seq.desc())
            .limit(1)
        ).first()
        return (row.balance_after, row.account_version) if row else (0, 0)

    # -- transactions ---------------------------------------------------------------

    def find_idempotent(self, keys: Collection[str]) -> dict[str, Any]:
        if not keys:
            return {}
        rows = self.connection.execute(
            sa.select(
                transactions.c.idempotency_key,
                transactions.c.request_hash,
                transactions.c.seq,
                transactions.c.id,
                transactions.c.kind,
                transactions.c.created_at,
                transactions.c.prev_hash,
                transactions.c.hash,
            ).where(transactions.c.idempotency_key.in_(list(keys)))
        )
        return {r.idempotency_key: r for r in rows}

    def insert_appended(
        self,
        transaction_rows: list[dict[str, Any]],
        posting_rows: list[dict[str, Any]],
        node_rows: list[dict[str, Any]],
    ) -> None:
        if transaction_rows:
            self.connection.execute(sa.insert(transactions), transaction_rows)
        if posting_rows:
            self.connection.execute(sa.insert(postings), posting_rows)
        if node_rows:
            self.connection.execute(sa.insert(merkle_nodes), node_rows)

    def transaction_rows(self, first: int, last: int) -> Sequence[Any]:
        return self.connection.execute(
            sa.select(transactions)
            .where(transactions.c.seq >= first, transactions.c.seq <= last)
            .order_by(transactions.c.seq)
        ).all()

    def posting_rows(self, first: int, last: int) -> Sequence[Any]:
        return self.connection.execute(
            sa.select(
                postings.c.seq,
                accounts.c.name,
                accounts.c.asset,
                postings.c.amount,
                postings.c.balance_after,
                postings.c.account_version,
            )
            .join(accounts, accounts.c.id == postings.c.account_id)
            .where(postings.c.seq >= first, postings.c.seq <= last)
            .order_by(postings.c.seq, postings.c.position)
        ).all()

    # -- Merkle nodes ---------------------------------------------------------------

    def perfect_nodes(self, wanted: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Fetch perfect subtree hashes: leaves from the transactions, the rest from nodes."""
        found: dict[tuple[int, int], bytes] = {}
        leaves = [index for level, index in wanted if level == 0]
        inner = [(level, index) for level, index in wanted if level > 0]
        if leaves:
            for seq, value in self.connection.execute(
                sa.select(transactions.c.seq, transactions.c.hash).where(
                    transactions.c.seq.in_([i + 1 for i in leaves])
                )
            ):
                found[(0, seq - 1)] = bytes.fromhex(value)
        if inner:
            for level, index, value in self.connection.execute(
                sa.select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash).where(
                    sa.tuple_(merkle_nodes.c.level, merkle_nodes.c.idx).in_(inner)
                )
            ):
                found[(level, index)] = bytes(value)
        return found

    # -- checkpoints ----------------------------------------------------------------

    def insert_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        values = {
            "size": checkpoint.size,
            "root_hash": checkpoint.root_hash,
            "origin": checkpoint.origin,
            "note": checkpoint.note,
            "created_at": checkpoint.created_at,
        }
        if self.connection.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        # Two checkpointers racing on one size both succeed: the first note is kept.
        self.connection.execute(insert(checkpoints).values(values).on_conflict_do_nothing())

    def checkpoint(self, size: int | None = None) -> StoredCheckpoint | None:
        """The checkpoint of exactly ``size``, or the latest one when size is None."""
        query = sa.select(checkpoints)
        if size is None:
            query = query.order_by(checkpoints.c.size.desc()).limit(1)
        else:
            query = query.where(checkpoints.c.size == size)
        row = self.connection.execute(query).first()
        return _checkpoint(row) if row else None

    def checkpoints(self, before_size: int | None, limit: int) -> list[StoredCheckpoint]:
        query = sa.select(checkpoints).order_by(checkpoints.c.size.desc()).limit(limit)
        if before_size is not None:
            query = query.where(checkpoints.c.size < before_size)
        return [_checkpoint(r) for r in self.connection.execute(query)]


def _checkpoint(row: Row[Any]) -> StoredCheckpoint:
    return StoredCheckpoint(row.size, row.root_hash, row.origin, row.note, row.created_at)
