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


class LedgerRollup(Base):
    """One row: the ledger seq the rollup has summed through (0: nothing yet)."""

    __tablename__ = "analytics_rollup"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    through_seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
