"""``Ledger``: the ledger inside the caller's database transaction.

The platform writes its own state change and the ledger transaction in one DB
transaction: ``Ledger(session).post(...)`` appends without committing, and the caller's
commit makes both durable together (or neither). Reads (balances, transactions, proofs)
work the same way on any Session or Connection.

For a service that commits on its own and batches concurrent appends into one commit,
see ``alot_ledger.writer.LedgerWriter``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from alot_verify import merkle
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from alot_ledger.appender import Receipt, append_batch
from alot_ledger.errors import InvalidRange, LedgerError, NotFound
from alot_ledger.export import lines_for_range
from alot_ledger.posting import Posts
from alot_ledger.repository import AccountState, LedgerRepository
from alot_ledger.rules import (
    TransactionRequest,
    check_account,
    must_not_go_negative,
)


@dataclass(frozen=True, slots=True)
class Balance:
    account: str
    asset: str
    balance: int
    version: int
    """Postings to this (account, asset) up to ``as_of_seq``."""
    as_of_seq: int


@dataclass(frozen=True, slots=True)
class InclusionProof:
    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    path: list[bytes]


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    path: list[bytes]


def connection_of(bind: Session | Connection) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind


class Ledger(Posts):
    """The ledger on one Session/Connection; never commits."""

    def __init__(self, bind: Session | Connection) -> None:
        self._bind = bind

    @property
    def _store(self) -> LedgerRepository:
        return LedgerRepository(connection_of(self._bind))

    # -- writing (post, transfer and memo come from Posts) ---------------------------

    def append(self, request: TransactionRequest) -> Receipt:
        """Append a validated request in the caller's DB transaction (no commit).

        The chain-head lock is held from here until the caller commits or rolls back,
        so append as late as possible in the unit of work.
        """
        (result,) = append_batch(connection_of(self._bind), [request])
        if isinstance(result, LedgerError):
            raise result
        return result

    def open_account(
        self, name: str, asset: str, *, must_not_go_negative: bool | None = None
    ) -> Balance:
        """Open an account ahead of its first posting, e.g. to set its flag explicitly.

        Accounts also open on their first posting with the policy flag (user credits
        must not go negative). Opening an existing account returns it unchanged.
        """
        name, asset = check_account(name, asset)
        store = self._store
        store.lock_head()
        existing = store.load_accounts([(name, asset)]).get((name, asset))
        if existing is None:
            flag = must_not_go_negative_default(name, must_not_go_negative)
            existing = AccountState(None, name, asset, flag, 0, 0)
            store.insert_accounts([existing])
        return Balance(name, asset, existing.balance, existing.version, store.read_head().size)

    # -- reading --------------------------------------------------------------------

    def size(self) -> int:
        """The number of transactions visible to this DB transaction."""
        return self._store.read_head().size

    def balance(self, account: str, asset: str, *, as_of_seq: int | None = None) -> Balance:
        """The balance of (account, asset) now, or right after transaction ``as_of_seq``."""
        account, asset = check_account(account, asset)
        store = self._store
        size = store.read_head().size
        state = store.load_accounts([(account, asset)]).get((account, asset))
        if as_of_seq is None or as_of_seq >= size:
            if as_of_seq is not None and as_of_seq > size:
                raise InvalidRange(f"seq {as_of_seq} is beyond the ledger's {size} transactions")
            if state is None:
                return Balance(account, asset, 0, 0, size)
            return Balance(account, asset, state.balance, state.version, size)
        if as_of_seq < 0:
            raise InvalidRange("as_of_seq must not be negative")
        if state is None or state.id is None:
            return Balance(account, asset, 0, 0, as_of_seq)
        balance, version = store.balance_as_of(state.id, as_of_seq)
        return Balance(account, asset, balance, version, as_of_seq)

    def accounts(self, asset: str | None = None) -> list[Balance]:
        store = self._store
        size = store.read_head().size
        return [
            Balance(a.name, a.asset, a.balance, a.version, size) for a in store.list_accounts(asset)
        ]

    def transaction(self, seq: int) -> dict[str, Any]:
        """One transaction as its export line object (see docs/spec/ledger.md)."""
        found = self.transactions(after_seq=seq - 1, limit=1)
        if not found or found[0]["seq"] != seq:
            raise NotFound(f"no transaction with seq {seq}")
        return found[0]

    def transactions(self, *, after_seq: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Up to ``limit`` transactions with seq > ``after_seq``, ascending."""
        if after_seq < 0 or limit < 1:
            raise InvalidRange("after_seq must be >= 0 and limit >= 1")
        store = self._store
        last = min(store.read_head().size, after_seq + limit)
        if last <= after_seq:
            return []
        return [json.loads(line) for line in lines_for_range(store, after_seq + 1, last)]

    # -- proofs ---------------------------------------------------------------------

    def _nodes(self, wanted: set[tuple[int, int]]) -> merkle.PerfectLookup:
        found = self._store.perfect_nodes(wanted)
        missing = wanted - found.keys()
        if missing:
            raise LedgerError(f"Merkle nodes missing from storage: {sorted(missing)[:4]}")
        return lambda level, index: found[(level, index)]

    def _check_size(self, size: int) -> None:
        current = self.size()
        if not 0 <= size <= current:
            raise InvalidRange(f"tree size {size} outside 0..{current}")

    def root(self, size: int) -> bytes:
        """The Merkle root of the first ``size`` transactions."""
        self._check_size(size)
        if size == 0:
            return merkle.EMPTY_ROOT
        wanted = merkle.proof_nodes([(0, size)])
        return merkle.subtree_hash(0, size, self._nodes(wanted))

    def inclusion_proof(self, seq: int, size: int) -> InclusionProof:
        """The RFC 9162 inclusion proof of transaction ``seq`` in the tree of ``size``."""
        self._check_size(size)
        if not 1 <= seq <= size:
            raise InvalidRange(f"seq {seq} is not inside a tree of size {size}")
        index = seq - 1
        # Which perfect nodes a proof needs depends only on (index, size): one query.
        wanted = merkle.inclusion_proof_nodes(index, size) | {(0, index)}
        perfect = self._nodes(wanted)
        return InclusionProof(
            seq, index, size, perfect(0, index), merkle.inclusion_proof(index, size, perfect)
        )

    def consistency_proof(self, old_size: int, new_size: int) -> ConsistencyProof:
        """The RFC 9162 consistency proof between two tree sizes, with both roots."""
        if not 0 <= old_size <= new_size:
            raise InvalidRange(f"sizes must satisfy 0 <= {old_size} <= {new_size}")
        self._check_size(new_size)
        wanted = merkle.consistency_proof_nodes(old_size, new_size)
        for size in (old_size, new_size):
            if size:
                wanted |= merkle.proof_nodes([(0, size)])
        perfect = self._nodes(wanted)

        def root(size: int) -> bytes:
            return merkle.subtree_hash(0, size, perfect) if size else merkle.EMPTY_ROOT

        return ConsistencyProof(
            old_size,
            new_size,
            root(old_size),
            root(new_size),
            merkle.consistency_proof(old_size, new_size, perfect),
        )


def must_not_go_negative_default(name: str, explicit: bool | None) -> bool:
    """An explicit flag may add protection to an account, never remove the policy's."""
    return must_not_go_negative(name) or bool(explicit)
