"""alot_ledger: the append-only, hash-chained, double-entry ledger of ALOT!.

Public surface:

- ``migrate(engine_or_url)``: create/upgrade the ledger tables (own Alembic history).
- ``create_engine(url)``: an engine with the SQLite pragmas the ledger needs.
- ``Ledger(session)``: post inside the caller's DB transaction; balances, proofs.
- ``LedgerWriter(engine)``: the standalone ledger that commits, batching callers.
- ``Checkpointer``: signed C2SP checkpoints; ``export_lines``: the JSON Lines export.
- ``reconcile``: compare a projection of balances with the ledger.
- ``alot_ledger.http.create_router`` / ``create_app``: the HTTP API.
"""

from alot_ledger.appender import Receipt
from alot_ledger.checkpoints import Checkpointer
from alot_ledger.db import create_engine, migrate
from alot_ledger.errors import (
    DuplicatePosting,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    InvalidRange,
    InvalidTransaction,
    LedgerError,
    NotFound,
    UnbalancedTransaction,
    UnknownAsset,
)
from alot_ledger.export import export_lines
from alot_ledger.reconcile import Difference, reconcile
from alot_ledger.rules import ASSETS, Posting, must_not_go_negative
from alot_ledger.service import Balance, ConsistencyProof, InclusionProof, Ledger
from alot_ledger.writer import LedgerWriter

__all__ = [
    "ASSETS",
    "Balance",
    "Checkpointer",
    "ConsistencyProof",
    "Difference",
    "DuplicatePosting",
    "IdempotencyConflict",
    "InclusionProof",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidRange",
    "InvalidTransaction",
    "Ledger",
    "LedgerError",
    "LedgerWriter",
    "NotFound",
    "Posting",
    "Receipt",
    "UnbalancedTransaction",
    "UnknownAsset",
    "create_engine",
    "export_lines",
    "migrate",
    "must_not_go_negative",
    "reconcile",
]
