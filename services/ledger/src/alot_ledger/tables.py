"""The ledger's tables (SQLAlchemy Core, its own MetaData, every name prefixed ``ledger_``).

History tables (transactions, postings, Merkle nodes, checkpoints) are append-only: the
migrations install triggers that reject UPDATE and DELETE on both PostgreSQL and SQLite.
State tables (accounts with their current balance, the chain head) are updated in place,
but only ever under the head lock, and the head's size can only grow.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("asset", String(3), nullable=False),
    Column("must_not_go_negative", Boolean, nullable=False),
    # Current state: the balance after the latest posting and how many postings so far.
    Column("balance", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
    UniqueConstraint("name", "asset"),
    CheckConstraint("asset IN ('USD', 'CRD')", name="asset"),
    CheckConstraint("version >= 0", name="version"),
    CheckConstraint("NOT must_not_go_negative OR balance >= 0", name="not_negative"),
)

transactions = Table(
    "ledger_transactions",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(36), nullable=False, unique=True),
    Column("kind", String(64), nullable=False),
    Column("created_at", String(27), nullable=False),  # YYYY-MM-DDTHH:MM:SS.ffffffZ, as hashed
    Column("refs_json", Text, nullable=False),  # canonical JSON, as hashed
    Column("metadata_json", Text, nullable=False),  # canonical JSON, as hashed
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("request_hash", String(64), nullable=True),  # set with idempotency_key
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("seq >= 1", name="seq"),
    CheckConstraint("(idempotency_key IS NULL) = (request_hash IS NULL)", name="request_hash"),
)

postings = Table(
    "ledger_postings",
    metadata,
    Column("seq", BigInteger, ForeignKey("ledger_transactions.seq"), nullable=False),
    Column("position", SmallInteger, nullable=False),
    Column("account_id", Integer, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("balance_before", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("account_version", BigInteger, nullable=False),
    PrimaryKeyConstraint("seq", "position"),
    # An account appears at most once per transaction, and its versions never repeat:
    # (account_id, seq) also serves point-in-time balance lookups.
    UniqueConstraint("account_id", "seq"),
    UniqueConstraint("account_id", "account_version"),
    CheckConstraint("amount <> 0", name="amount"),
    CheckConstraint("balance_after = balance_before + amount", name="balance"),
    CheckConstraint("account_version >= 1", name="account_version"),
)

merkle_nodes = Table(
    "ledger_merkle_nodes",
    metadata,
    # Perfect subtrees of level >= 1; level 0 (the leaves) is ledger_transactions.hash.
    Column("level", SmallInteger, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    PrimaryKeyConstraint("level", "idx"),
    CheckConstraint("level >= 1", name="level"),
)

head = Table(
    "ledger_head",
    metadata,
    # One row: the serialization point every append locks.
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("peaks", LargeBinary, nullable=False),  # CompactRange peaks, 32 bytes each
    CheckConstraint("id = 1", name="single_row"),
)

checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("origin", String(200), nullable=False),
    Column("note", Text, nullable=False),  # the C2SP signed note, exactly as served
    Column("created_at", String(27), nullable=False),
)

APPEND_ONLY_TABLES = (
    "ledger_transactions",
    "ledger_postings",
    "ledger_merkle_nodes",
    "ledger_checkpoints",
)
