"""Appending transactions to the chain: the one place that writes ledger history.

``append_batch`` takes the chain-head lock once, then turns a list of validated requests
into transactions: it replays idempotent retries, applies postings to the running
balances, refuses what would break a must-not-go-negative account, hashes each body
(RFC 9162 leaf hash of its canonical JSON, chained by ``prev_hash``), extends the Merkle
compact range, and writes all rows with a few bulk statements. Each request gets its
own receipt or its own error; a request that fails leaves nothing behind.

Correctness rests on the head lock alone: whoever holds it sees every committed append
(PostgreSQL READ COMMITTED takes a fresh snapshot per statement, and the lock is only
granted after the previous holder committed or rolled back; SQLite has one writer), so
seq, prev_hash, balances and peaks are always read current. Batching only changes how
many appends share one lock and one commit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alot_verify.canonical import MAX_SAFE_INTEGER, canonical_json
from alot_verify.merkle import CompactRange, leaf_hash
from sqlalchemy.engine import Connection, Row

from alot_ledger.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidTransaction,
    LedgerError,
)
from alot_ledger.repository import AccountState, AppendedRows, HeadState, LedgerRepository
from alot_ledger.rules import TransactionRequest, must_not_go_negative

GENESIS_HASH = "0" * 64

AppendObserver = Callable[[int, float], None]
"""Told ``(transactions written, seconds)`` after each append's writes are sent."""

_observers: list[AppendObserver] = []


def observe_appends(observer: AppendObserver) -> None:
    """Call ``observer`` after every append (metrics: the ledger knows nothing of them).

    The seconds run from asking for the chain-head lock to sending the writes; the
    caller's commit, which releases the lock, comes after.
    """
    if observer not in _observers:
        _observers.append(observer)


def _observed(prepared: PreparedAppend) -> None:
    written = len(prepared.chain.transaction_rows)
    if written and _observers:
        seconds = time.perf_counter() - prepared.started
        for observer in _observers:
            observer(written, seconds)


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof of acceptance: where the transaction sits in the chain and its hash."""

    seq: int
    id: str
    kind: str
    created_at: str
    prev_hash: str
    hash: str


def utc_timestamp(moment: datetime | None = None) -> str:
    """The ledger's timestamp form: ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _receipt(row: Row[Any]) -> Receipt:
    return Receipt(row.seq, row.id, row.kind, row.created_at, row.prev_hash, row.hash)


def append_batch(
    connection: Connection,
    requests: Sequence[TransactionRequest],
    cache: ChainCache | None = None,
) -> list[Receipt | LedgerError]:
    """Append ``requests`` in order inside the connection's current DB transaction.

    With ``cache`` (a writer's own), the cache is refreshed to the state after this
    batch, for ``append_batch_cached`` to use on the next one.
    """
    start = start_append(
        connection,
        {(p.account, p.asset) for r in requests for p in r.postings},
        {r.idempotency_key for r in requests if r.idempotency_key is not None},
    )
    prepared = prepare_append(connection, start, requests)
    finish_append(connection, prepared)
    if cache is not None:
        cache.refresh(prepared.head, start.balances)
    return prepared.results


# An append in three steps, for a caller that sends the ledger's statements in its own
# round trips (PostgreSQL pipelines): ``start_append`` (or ``send_start_append``) takes
# the head lock and reads, ``prepare_append`` builds the transactions in memory, and
# ``finish_append`` (or ``send_finish_append``) writes them. All three run in one DB
# transaction, which the caller commits.


@dataclass
class AppendStart:
    """What an append is built on, read under the chain-head lock."""

    head: HeadState
    known: dict[str, Any]
    """Earlier transactions under the idempotency keys read, by key."""
    balances: dict[tuple[str, str], AccountState]
    """The accounts read that are open (an account read but absent is not opened yet)."""
    pairs: frozenset[tuple[str, str]]
    keys: frozenset[str]
    started: float = field(default_factory=time.perf_counter)
    """When the lock was asked for (``time.perf_counter``)."""


def start_append(
    connection: Connection, pairs: Collection[tuple[str, str]], keys: Collection[str]
) -> AppendStart:
    """Take the chain-head lock, then read the head, the balances of ``pairs`` and
    earlier uses of ``keys``: what appends touching them are built on."""
    head, known, balances = LedgerRepository(connection).start_append(pairs, keys)
    return AppendStart(head, known, balances, frozenset(pairs), frozenset(keys))


def send_start_append(
    connection: Connection, pairs: Collection[tuple[str, str]], keys: Collection[str]
) -> Callable[[], AppendStart]:
    """``start_append`` sent in the caller's psycopg pipeline on ``connection``; call
    the result once the pipeline has synced."""
    started = time.perf_counter()
    received = LedgerRepository(connection).send_start_append(pairs, keys)
    return lambda: AppendStart(*received(), frozenset(pairs), frozenset(keys), started)


@dataclass
class PreparedAppend:
    """Transactions built on an ``AppendStart``, not written yet."""

    results: list[Receipt | LedgerError]
    """Each request's receipt or its own error, in order."""
    chain: _Chain
    started: float

    @property
    def head(self) -> HeadState:
        return self.chain.head()


def prepare_append(
    connection: Connection, start: AppendStart, requests: Sequence[TransactionRequest]
) -> PreparedAppend:
    """Build ``requests`` in order on ``start`` (which this consumes).

    Accounts and keys that ``start`` did not read are read now, and accounts opened by
    the batch are inserted now (a round trip each, only when needed): a guess of which
    accounts a batch touches can cost time, never a wrong balance.
    """
    store = LedgerRepository(connection)
    missing_pairs = {(p.account, p.asset) for r in requests for p in r.postings} - start.pairs
    if missing_pairs:
        start.balances.update(store.load_accounts(missing_pairs))
    keys = {r.idempotency_key for r in requests if r.idempotency_key is not None}
    if keys - start.keys:
        start.known.update(store.find_idempotent(keys - start.keys))
    replays: dict[str, tuple[str | None, Receipt]] = {
        key: (row.request_hash, _receipt(row)) for key, row in start.known.items()
    }
    chain = _Chain(start.head)
    results = _build(chain, requests, start.balances, replays)
    opened = [a for a in chain.touched.values() if a.id is None]
    if opened:
        store.insert_accounts(opened)
    for row, account in zip(chain.posting_rows, chain.posting_accounts, strict=True):
        row["account_id"] = account.id
    return PreparedAppend(results, chain, start.started)


def finish_append(connection: Connection, prepared: PreparedAppend) -> None:
    """Write the prepared transactions, the new balances and the new head."""
    if prepared.chain.transaction_rows:
        LedgerRepository(connection).finish_append(prepared.chain.rows())
        _observed(prepared)


def send_finish_append(connection: Connection, prepared: PreparedAppend) -> None:
    """``finish_append`` sent in the caller's psycopg pipeline on ``connection``."""
    if prepared.chain.transaction_rows:
        LedgerRepository(connection).send_finish_append(prepared.chain.rows())
        _observed(prepared)


class StaleCache(Exception):
    """The chain moved since the writer's cache was taken: redo the batch from the DB."""


class ChainCache:
    """A writer's copy of the head and of the balances it has seen.

    It is only a guess: ``append_batch_cached`` writes the batch together with a head
    update conditional on the cached size, and the batch stands only if that matched
    (every append grows the size, so an unchanged size means unchanged balances).
    """

    _LIMIT = 100_000

    def __init__(self) -> None:
        self.head: HeadState | None = None
        self.accounts: dict[tuple[str, str], AccountState] = {}

    def refresh(self, head: HeadState, accounts: dict[tuple[str, str], AccountState]) -> None:
        if len(self.accounts) + len(accounts) > self._LIMIT:
            self.accounts.clear()
        self.head = head
        self.accounts.update({pair: a for pair, a in accounts.items() if a.id is not None})

    def forget(self) -> None:
        self.head = None
        self.accounts.clear()

    def covers(self, requests: Sequence[TransactionRequest]) -> bool:
        return self.head is not None and all(
            (p.account, p.asset) in self.accounts for r in requests for p in r.postings
        )


def append_batch_cached(
    connection: Connection, requests: Sequence[TransactionRequest], cache: ChainCache
) -> list[Receipt | LedgerError]:
    """Append from the writer's cache in one pipelined round trip (PostgreSQL).

    Raises StaleCache (the caller rolls back and uses ``append_batch``) when the head
    moved, and lets an IntegrityError through when an idempotency key turns out to be
    used already; both leave the cache forgotten.
    """
    assert cache.head is not None
    head = cache.head
    cache.head = None  # until this batch is known to have landed
    chain = _Chain(head)
    results = _build(chain, requests, cache.accounts, {})
    if not chain.transaction_rows:
        raise StaleCache("nothing to write: let the database confirm the refusals")
    for row, account in zip(chain.posting_rows, chain.posting_accounts, strict=True):
        row["account_id"] = account.id
    matched = LedgerRepository(connection).finish_append(chain.rows(), expected_size=head.size)
    if not matched:
        cache.forget()
        raise StaleCache(f"the head moved past {head.size}")
    cache.head = chain.head()
    return results


def _build(
    chain: _Chain,
    requests: Sequence[TransactionRequest],
    balances: dict[tuple[str, str], AccountState],
    replays: dict[str, tuple[str | None, Receipt]],
) -> list[Receipt | LedgerError]:
    results: list[Receipt | LedgerError] = []
    for request in requests:
        key = request.idempotency_key
        if key is not None and key in replays:
            first_hash, first_receipt = replays[key]
            results.append(
                first_receipt if first_hash == request.request_hash else IdempotencyConflict(key)
            )
            continue
        try:
            receipt = chain.append(request, balances)
        except LedgerError as error:
            results.append(error)
            continue
        if key is not None:
            replays[key] = (request.request_hash, receipt)
        results.append(receipt)
    return results


class _Chain:
    """The chain's tip while a batch is being built, and the rows to write."""

    def __init__(self, state: HeadState) -> None:
        self.compact = CompactRange.from_state(state.size, state.peaks)
        self.last_hash = state.last_hash
        self.transaction_rows: list[dict[str, Any]] = []
        self.posting_rows: list[dict[str, Any]] = []
        self.posting_accounts: list[AccountState] = []
        self.node_rows: list[dict[str, Any]] = []
        self.touched: dict[tuple[str, str], AccountState] = {}

    def head(self) -> HeadState:
        return HeadState(self.compact.size, self.last_hash, self.compact.peaks)

    def rows(self) -> AppendedRows:
        return AppendedRows(
            self.transaction_rows,
            self.posting_rows,
            self.node_rows,
            self.touched.values(),
            self.head(),
        )

    def append(
        self, request: TransactionRequest, balances: dict[tuple[str, str], AccountState]
    ) -> Receipt:
        # First compute every new balance; only when all postings pass is anything kept.
        updates: list[tuple[AccountState, int, int]] = []
        for posting in request.postings:
            pair = (posting.account, posting.asset)
            account = balances.get(pair)
            if account is None:
                account = AccountState(
                    None,
                    posting.account,
                    posting.asset,
                    must_not_go_negative(posting.account),
                    0,
                    0,
                )
            after = account.balance + posting.amount
            if account.must_not_go_negative and after < 0:
                raise InsufficientFunds(
                    posting.account, posting.asset, account.balance, posting.amount
                )
            if abs(after) > MAX_SAFE_INTEGER:
                raise InvalidTransaction(
                    f"{posting.account} {posting.asset} balance would leave +/-(2**53 - 1)"
                )
            updates.append((account, after, account.version + 1))

        seq = self.compact.size + 1
        transaction_id = str(uuid.uuid4())
        created_at = utc_timestamp()
        body = {
            "seq": seq,
            "id": transaction_id,
            "kind": request.kind,
            "created_at": created_at,
            "refs": request.refs,
            "metadata": request.metadata,
            "postings": [
                {
                    "account": posting.account,
                    "asset": posting.asset,
                    "amount": posting.amount,
                    "balance_after": after,
                    "account_version": version,
                }
                for posting, (_, after, version) in zip(request.postings, updates, strict=True)
            ],
            "prev_hash": self.last_hash,
        }
        leaf = leaf_hash(canonical_json(body))
        for level, index, value in self.compact.append(leaf):
            if level > 0:  # level 0 is the transaction's own hash
                self.node_rows.append({"level": level, "idx": index, "hash": value})
        digest = leaf.hex()
        self.transaction_rows.append(
            {
                "seq": seq,
                "id": transaction_id,
                "kind": request.kind,
                "created_at": created_at,
                "refs_json": request.refs_json,
                "metadata_json": request.metadata_json,
                "idempotency_key": request.idempotency_key,
                "request_hash": request.request_hash,
                "prev_hash": self.last_hash,
                "hash": digest,
            }
        )
        for position, (posting, (account, after, version)) in enumerate(
            zip(request.postings, updates, strict=True)
        ):
            self.posting_rows.append(
                {
                    "seq": seq,
                    "position": position,
                    "account_id": account.id,
                    "amount": posting.amount,
                    "balance_before": account.balance,
                    "balance_after": after,
                    "account_version": version,
                }
            )
            self.posting_accounts.append(account)
            account.balance, account.version = after, version
            balances[(account.name, account.asset)] = account
            self.touched[(account.name, account.asset)] = account
        receipt = Receipt(seq, transaction_id, request.kind, created_at, self.last_hash, digest)
        self.last_hash = digest
        return receipt
