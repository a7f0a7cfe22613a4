"""All of the ledger's SQL. A repository wraps one Connection and keeps it.

Nothing here decides anything: the appender (``appender.py``) holds the rules and the
order of operations; this module only reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
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
class AppendedRows:
    """What an append writes: its rows, the accounts it changed and the new head."""

    transactions: list[dict[str, Any]]
    postings: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    changed: Iterable[AccountState]
    head: HeadState


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root_hash: str
    origin: str
    note: str
    created_at: str


def _split_peaks(blob: bytes) -> list[bytes]:
    return [bytes(blob[i : i + _HASH]) for i in range(0, len(blob), _HASH)]


_PG_LOCK_HEAD = "SELECT size, last_hash, peaks FROM ledger_head WHERE id = 1 FOR UPDATE"
_PG_ACCOUNTS = (
    "SELECT a.id, a.name, a.asset, a.must_not_go_negative, a.balance, a.version"
    " FROM ledger_accounts a JOIN unnest(%s::text[], %s::text[]) AS w(name, asset)"
    " ON a.name = w.name AND a.asset = w.asset"
)
_PG_IDEMPOTENT = (
    "SELECT idempotency_key, request_hash, seq, id, kind, created_at, prev_hash, hash"
    " FROM ledger_transactions WHERE idempotency_key = ANY(%s::text[])"
)
# Each table is written with one statement over arrays (unnest), sent in binary:
# per-row executemany costs far more in the driver than the database spends on rows.
_PG_WRITES = (
    (
        "transactions",
        (
            "seq",
            "id",
            "kind",
            "created_at",
            "refs_json",
            "metadata_json",
            "idempotency_key",
            "request_hash",
            "prev_hash",
            "hash",
        ),
        "INSERT INTO ledger_transactions (seq, id, kind, created_at, refs_json, metadata_json,"
        " idempotency_key, request_hash, prev_hash, hash) SELECT * FROM unnest(%b::bigint[],"
        " %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],"
        " %b::text[], %b::text[])",
    ),
    (
        "postings",
        (
            "seq",
            "position",
            "account_id",
            "amount",
            "balance_before",
            "balance_after",
            "account_version",
        ),
        "INSERT INTO ledger_postings (seq, position, account_id, amount, balance_before,"
        " balance_after, account_version) SELECT * FROM unnest(%b::bigint[], %b::smallint[],"
        " %b::integer[], %b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[])",
    ),
    (
        "nodes",
        ("level", "idx", "hash"),
        "INSERT INTO ledger_merkle_nodes (level, idx, hash)"
        " SELECT * FROM unnest(%b::smallint[], %b::bigint[], %b::bytea[])",
    ),
    (
        "balances",
        ("b_id", "b_balance", "b_version"),
        "UPDATE ledger_accounts AS a SET balance = u.balance, version = u.version"
        " FROM unnest(%b::integer[], %b::bigint[], %b::bigint[]) AS u(id, balance, version)"
        " WHERE a.id = u.id",
    ),
)


class LedgerRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _pipelined(self) -> Any | None:
        """The psycopg connection when on PostgreSQL: appends pipeline their statements
        into a couple of round trips, which is most of an append's cost."""
        if self.connection.dialect.name != "postgresql":
            return None
        return self.connection.connection.driver_connection

    # -- appending ------------------------------------------------------------------

    def start_append(
        self, pairs: Collection[tuple[str, str]], keys: Collection[str]
    ) -> tuple[HeadState, dict[str, Any], dict[tuple[str, str], AccountState]]:
        """Take the head lock, then read the head, earlier uses of ``keys`` and the
        balances of ``pairs`` (all read after the lock is granted, hence current)."""
        raw = self._pipelined()
        if raw is None:
            state = self.lock_head()
            return state, self.find_idempotent(keys), self.load_accounts(pairs)
        with raw.pipeline():
            received = self.send_start_append(pairs, keys)
        return received()

    def send_start_append(
        self, pairs: Collection[tuple[str, str]], keys: Collection[str]
    ) -> Callable[[], tuple[HeadState, dict[str, Any], dict[tuple[str, str], AccountState]]]:
        """``start_append``'s statements, sent in the caller's psycopg pipeline on this
        connection (PostgreSQL); call the result once the pipeline has synced."""
        from psycopg.rows import namedtuple_row

        raw = self._pipelined()
        assert raw is not None, "pipelines are for PostgreSQL"
        names = [name for name, _ in pairs]
        assets = [asset for _, asset in pairs]
        head_cursor = raw.cursor(row_factory=namedtuple_row)
        head_cursor.execute(_PG_LOCK_HEAD)
        account_cursor = raw.cursor(row_factory=namedtuple_row)
        account_cursor.execute(_PG_ACCOUNTS, (names, assets))
        key_cursor = raw.cursor(row_factory=namedtuple_row)
        key_cursor.execute(_PG_IDEMPOTENT, (list(keys),))

        def received() -> tuple[HeadState, dict[str, Any], dict[tuple[str, str], AccountState]]:
            row = head_cursor.fetchone()
            state = HeadState(row.size, row.last_hash, _split_peaks(row.peaks))
            found = {
                (r.name, r.asset): AccountState(
                    r.id, r.name, r.asset, r.must_not_go_negative, r.balance, r.version
                )
                for r in account_cursor.fetchall()
            }
            known = {r.idempotency_key: r for r in key_cursor.fetchall()}
            for cursor in (head_cursor, account_cursor, key_cursor):
                cursor.close()
            return state, known, found

        return received

    def finish_append(self, rows: AppendedRows, *, expected_size: int | None = None) -> bool:
        """Write the appended rows, the new balances and the new head.

        With ``expected_size`` (PostgreSQL only) the head update is conditional on the
        head still having that size, and the result says whether it had: the update
        comes first, so it also takes the head lock before anything else is written.
        """
        raw = self._pipelined()
        if raw is None:
            assert expected_size is None, "conditional appends are for PostgreSQL"
            self.insert_appended(rows.transactions, rows.postings, rows.nodes)
            self.update_balances(rows.changed)
            self.update_head(rows.head)
            return True
        with raw.pipeline():
            matched = self.send_finish_append(rows, expected_size=expected_size)
        return matched()

    def send_finish_append(
        self, rows: AppendedRows, *, expected_size: int | None = None
    ) -> Callable[[], bool]:
        """``finish_append``'s statements, sent in the caller's psycopg pipeline on this
        connection (PostgreSQL); call the result once the pipeline has synced."""
        raw = self._pipelined()
        assert raw is not None, "pipelines are for PostgreSQL"
        tables = {
            "transactions": rows.transactions,
            "postings": rows.postings,
            "nodes": rows.nodes,
            "balances": [
                {"b_id": a.id, "b_balance": a.balance, "b_version": a.version} for a in rows.changed
            ],
        }
        state = rows.head
        new_head = (state.size, state.last_hash, b"".join(state.peaks))
        head_cursor, cursor = raw.cursor(), raw.cursor()
        if expected_size is not None:
            head_cursor.execute(
                "UPDATE ledger_head SET size = %s, last_hash = %s, peaks = %s"
                " WHERE id = 1 AND size = %s",
                (*new_head, expected_size),
            )
        for name, columns, statement in _PG_WRITES:
            if tables[name]:
                cursor.execute(statement, [[r[c] for r in tables[name]] for c in columns])
        if expected_size is None:
            head_cursor.execute(
                "UPDATE ledger_head SET size = %s, last_hash = %s, peaks = %s WHERE id = 1",
                new_head,
            )

        def matched() -> bool:
            updated = bool(head_cursor.rowcount == 1)
            head_cursor.close()
            cursor.close()
            return updated

        return matched

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
        rows: Any
        if self._pipelined() is not None:
            # PostgreSQL plans a long (name, asset) IN list as a scan of every account
            # (0.6 s for 1,000 pairs among 80,000 accounts); the join over two arrays
            # uses the (name, asset) index.
            rows = self.connection.exec_driver_sql(
                _PG_ACCOUNTS, ([name for name, _ in pairs], [asset for _, asset in pairs])
            )
        else:
            rows = self.connection.execute(
                sa.select(accounts).where(
                    sa.tuple_(accounts.c.name, accounts.c.asset).in_(list(pairs))
                )
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

    def export_transaction_rows(self, first: int, last: int) -> Sequence[Any]:
        """(seq, id, kind, created_at, refs_json, metadata_json, prev_hash, hash) rows."""
        t = transactions.c
        return self.connection.execute(
            sa.select(
                t.seq, t.id, t.kind, t.created_at, t.refs_json, t.metadata_json, t.prev_hash, t.hash
            )
            .where(t.seq >= first, t.seq <= last)
            .order_by(t.seq)
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
