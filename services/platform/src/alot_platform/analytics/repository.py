"""The analytics queries: one aggregate over the ledger's postings in a time range, one
over its settlements, and the lots' timestamps.

Ledger times are the ledger's own ``created_at`` strings (``YYYY-MM-DDTHH:MM:SS.ffffffZ``,
UTC), which sort as text: a range is ``from <= created_at < to`` on those strings and uses
the index ``ix_ledger_transactions_created_at``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alot_ledger.tables import accounts, postings, transactions
from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from alot_platform.lots.models import Lot

# The account classes the figures are defined over: the platform's accounts by name, the
# per-holder ones by pattern (docs/platform/analytics.md).
PLATFORM_ACCOUNTS = (
    "platform:cash",
    "platform:revenue",
    "platform:fees",
    "platform:processing_fees",
    "platform:credits_issued",
    "platform:credits_redeemed",
)
_PATTERNS = (
    ("user:%:credits", "user:*:credits"),
    ("host:%:held", "host:*:held"),
    ("host:%:payable", "host:*:payable"),
    ("lot:%:escrow", "lot:*:escrow"),
)


def ledger_time(moment: datetime) -> str:
    """``moment`` as the ledger writes its times (sortable text)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _account_class() -> ColumnElement[str]:
    return case(
        *((accounts.c.name == name, literal(name)) for name in PLATFORM_ACCOUNTS),
        *((accounts.c.name.like(pattern), literal(label)) for pattern, label in _PATTERNS),
        else_=literal("other"),
    )


@dataclass(frozen=True, slots=True)
class Sums:
    """Sum of posted amounts, per (kind, account class, asset)."""

    totals: dict[tuple[str, str, str], int]

    def of(self, kinds: tuple[str, ...] | None, account: str, asset: str) -> int:
        return sum(
            amount
            for (kind, cls, a), amount in self.totals.items()
            if cls == account and a == asset and (kinds is None or kind in kinds)
        )


@dataclass(frozen=True, slots=True)
class Settlement:
    """One ``lot_settlement`` transaction, its postings summed per account class."""

    seq: int
    created_at: str
    lot_id: str
    host_id: str | None
    revenue_cents: int  # platform:revenue USD
    host_held_cents: int  # host:*:held USD
    escrow_cash_cents: int  # -(lot:*:escrow USD): the cash the lot had
    credits_redeemed: int  # platform:credits_redeemed CRD


@dataclass(frozen=True, slots=True)
class LotTimes:
    created: list[datetime]
    funded: list[tuple[datetime | None, datetime]]  # (opened_at, funded_at)
    expired: list[datetime]


class AnalyticsRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def sums(self, start: str, end: str) -> Sums:
        cls = _account_class()
        in_range = and_(transactions.c.created_at >= start, transactions.c.created_at < end)
        query = (
            select(
                transactions.c.kind,
                cls.label("cls"),
                accounts.c.asset,
                func.sum(postings.c.amount),
            )
            .select_from(transactions)
            .join(postings, postings.c.seq == transactions.c.seq)
            .join(accounts, accounts.c.id == postings.c.account_id)
            .where(in_range)
            .group_by(transactions.c.kind, "cls", accounts.c.asset)
        )
        rows = self._session.execute(query).all()
        return Sums({(kind, c, asset): int(total) for kind, c, asset, total in rows})

    def settlements(self, start: str, end: str) -> list[Settlement]:
        cls = _account_class()

        def total(label: str, asset: str) -> ColumnElement[int]:
            return func.sum(
                case((and_(cls == label, accounts.c.asset == asset), postings.c.amount), else_=0)
            )

        query = (
            select(
                transactions.c.seq,
                transactions.c.created_at,
                transactions.c.refs_json,
                total("platform:revenue", "USD"),
                total("host:*:held", "USD"),
                total("lot:*:escrow", "USD"),
                total("platform:credits_redeemed", "CRD"),
            )
            .select_from(transactions)
            .join(postings, postings.c.seq == transactions.c.seq)
            .join(accounts, accounts.c.id == postings.c.account_id)
            .where(
                transactions.c.kind == "lot_settlement",
                transactions.c.created_at >= start,
                transactions.c.created_at < end,
            )
            .group_by(transactions.c.seq, transactions.c.created_at, transactions.c.refs_json)
            .order_by(transactions.c.seq)
        )
        found = []
        for seq, created_at, refs_json, revenue, held, escrow, redeemed in self._session.execute(
            query
        ):
            refs = json.loads(refs_json)
            found.append(
                Settlement(
                    seq=int(seq),
                    created_at=created_at,
                    lot_id=str(refs.get("lot_id", "")),
                    host_id=refs.get("host_id"),
                    revenue_cents=int(revenue or 0),
                    host_held_cents=int(held or 0),
                    escrow_cash_cents=-int(escrow or 0),
                    credits_redeemed=int(redeemed or 0),
                )
            )
        return found

    def lot_times(self, start: datetime, end: datetime) -> LotTimes:
        def within(column: Any) -> ColumnElement[bool]:
            return and_(column >= start, column < end)

        rows = self._session.execute(
            select(Lot.created_at, Lot.opened_at, Lot.funded_at, Lot.expired_at).where(
                or_(within(Lot.created_at), within(Lot.funded_at), within(Lot.expired_at))
            )
        ).all()
        created, funded, expired = [], [], []
        for created_at, opened_at, funded_at, expired_at in rows:
            if start <= created_at < end:
                created.append(created_at)
            if funded_at is not None and start <= funded_at < end:
                funded.append((opened_at, funded_at))
            if expired_at is not None and start <= expired_at < end:
                expired.append(expired_at)
        return LotTimes(created, funded, expired)
