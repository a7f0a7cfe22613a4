"""The ledger's postings summed per UTC day, kind, account class and asset: a rollup
the tick keeps up to date, so that a year of analytics reads a few thousand rows instead
of millions of postings. It is derived data: the ledger stays the source (an auditor
recomputes every figure from the export; docs/platform/analytics.md)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime


class LedgerDay(Base):
    """Σ amount of the postings of ledger transactions with seq <= the rollup's cursor,
    per (day of the transaction's ledger time, kind, account class, asset)."""

    __tablename__ = "analytics_ledger_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_class: Mapped[str] = mapped_column(String(40), primary_key=True)
    asset: Mapped[str] = mapped_column(String(3), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    postings: Mapped[int] = mapped_column(Integer)


class LedgerSettlement(Base):
    """One ``lot_settlement`` ledger transaction with seq <= the rollup's cursor, its
    postings summed per account class (what revenue per lot and host commission read)."""

    __tablename__ = "analytics_settlements"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[str] = mapped_column(String(27))
    """The ledger's time, as the ledger writes it."""
    lot_id: Mapped[str] = mapped_column(String(36))
    host_id: Mapped[str | None] = mapped_column(String(36))
    revenue_cents: Mapped[int] = mapped_column(BigInteger)
    """platform:revenue USD"""
    host_held_cents: Mapped[int] = mapped_column(BigInteger)
    """host:*:held USD"""
    escrow_cash_cents: Mapped[int] = mapped_column(BigInteger)
    """minus lot:*:escrow USD: the lot's cash"""
    credits_redeemed: Mapped[int] = mapped_column(BigInteger)
    """platform:credits_redeemed CRD"""


class LedgerRollup(Base):
    """One row: the ledger seq the rollup has summed through (0: nothing yet)."""

    __tablename__ = "analytics_rollup"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    through_seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
