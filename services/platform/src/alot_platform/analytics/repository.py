"""The analytics queries: the ledger's postings summed per kind, account class and asset
(the rollup's days, plus the tail it has not reached), its settlements, and the lots'
timestamps.

Ledger times are the ledger's own ``created_at`` strings (``YYYY-MM-DDTHH:MM:SS.ffffffZ``,
UTC), which sort as text: a range is ``from <= created_at < to`` on those strings and uses
the index ``ix_ledger_transactions_created_at``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from alot_ledger.tables import accounts, head, postings, transactions
from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from alot_platform.analytics.models import LedgerDay, LedgerRollup, LedgerSettlement
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

    def __add__(self, other: Sums) -> Sums:
        totals = dict(self.totals)
        for key, amount in other.totals.items():
            totals[key] = totals.get(key, 0) + amount
        return Sums(totals)

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

    def rollup_cursor(self, *, lock: bool) -> int:
        """The seq the rollup has summed through; ``lock``: held until the unit of work
        ends (shared for a reader, so the rollup cannot move between its two reads;
        exclusive for the job). SQLite's transactions are snapshots already."""
        query = select(LedgerRollup)
        query = query.with_for_update() if lock else query.with_for_update(read=True)
        row = self._session.scalars(query).one_or_none()
        if row is None and not lock:
            return 0
        if row is None:  # made by migration 0015; a database made by create_all has none
            row = LedgerRollup(id=1, through_seq=0, updated_at=None)
            self._session.add(row)
            self._session.flush()
        return row.through_seq

    def rolled_up(self, first: date, after: date) -> Sums:
        """The rollup's sums for the days ``[first, after)``."""
        rows = self._session.execute(
            select(
                LedgerDay.kind, LedgerDay.account_class, LedgerDay.asset, func.sum(LedgerDay.amount)
            )
            .where(LedgerDay.day >= first, LedgerDay.day < after)
            .group_by(LedgerDay.kind, LedgerDay.account_class, LedgerDay.asset)
        ).all()
        return Sums({(kind, c, asset): int(total) for kind, c, asset, total in rows})

    def tail(self, after_seq: int, start: str, end: str) -> Sums:
        """Sums of the postings after ``after_seq`` with a ledger time in ``[start, end)``
        (the part the rollup has not reached yet)."""
        cls = _account_class()
        query = (
            select(
                transactions.c.kind, cls.label("cls"), accounts.c.asset, func.sum(postings.c.amount)
            )
            .select_from(postings)
            .join(transactions, transactions.c.seq == postings.c.seq)
            # "+ 0": no probing the postings by account (SQLite would, once per account);
            # the scan is the seq range, each account found by its primary key
            .join(accounts, accounts.c.id == postings.c.account_id + 0)
            .where(
                # on both tables, so that either's primary key bounds the scan
                transactions.c.seq > after_seq,
                postings.c.seq > after_seq,
                transactions.c.created_at >= start,
                transactions.c.created_at < end,
            )
            .group_by(transactions.c.kind, "cls", accounts.c.asset)
        )
        rows = self._session.execute(query).all()
        return Sums({(kind, c, asset): int(total) for kind, c, asset, total in rows})

    def roll_up(self, limit: int, now: datetime) -> int:
        """Add the next ``limit`` ledger transactions (at most) to the rollup; how many
        were added (0: caught up). The cursor is locked first, so readers wait for this
        unit of work rather than seeing the rollup and its cursor out of step."""
        through = self.rollup_cursor(lock=True)
        size = self._session.execute(select(head.c.size)).scalar_one_or_none() or 0
        upto = min(through + limit, size)
        if upto <= through:
            return 0
        cls = _account_class()
        day = func.substr(transactions.c.created_at, 1, 10)
        rows = self._session.execute(
            select(
                day.label("day"),
                transactions.c.kind,
                cls.label("cls"),
                accounts.c.asset,
                func.sum(postings.c.amount),
                func.count(),
            )
            .select_from(postings)
            .join(transactions, transactions.c.seq == postings.c.seq)
            .join(accounts, accounts.c.id == postings.c.account_id + 0)  # see tail()
            .where(postings.c.seq > through, postings.c.seq <= upto)
            .group_by("day", transactions.c.kind, "cls", accounts.c.asset)
        ).all()
        # Core statements, one per kind of write: a batch touches a few hundred day rows.
        sums = {
            (date.fromisoformat(text), kind, c, asset): (int(amount), int(count))
            for text, kind, c, asset, amount, count in rows
        }
        days = {key[0] for key in sums}
        table = cast(Table, LedgerDay.__table__)
        existing = (
            {
                (row.day, row.kind, row.account_class, row.asset)
                for row in self._session.execute(
                    select(table.c.day, table.c.kind, table.c.account_class, table.c.asset).where(
                        table.c.day.in_(days)
                    )
                )
            }
            if days
            else set()
        )
        fresh = [
            {
                "day": k[0],
                "kind": k[1],
                "account_class": k[2],
                "asset": k[3],
                "amount": a,
                "postings": n,
            }
            for k, (a, n) in sums.items()
            if k not in existing
        ]
        if fresh:
            self._session.execute(insert(table), fresh)
        known = [
            {"k_day": k[0], "k_kind": k[1], "k_class": k[2], "k_asset": k[3], "add": a, "more": n}
            for k, (a, n) in sums.items()
            if k in existing
        ]
        if known:
            self._session.execute(
                update(table)
                .where(
                    table.c.day == bindparam("k_day"),
                    table.c.kind == bindparam("k_kind"),
                    table.c.account_class == bindparam("k_class"),
                    table.c.asset == bindparam("k_asset"),
                )
                .values(
                    amount=table.c.amount + bindparam("add"),
                    postings=table.c.postings + bindparam("more"),
                )
                .execution_options(synchronize_session=False),
                known,
            )
        settled = [
            {
                "seq": x.seq,
                "day": date.fromisoformat(x.created_at[:10]),
                "created_at": x.created_at,
                "lot_id": x.lot_id,
                "host_id": x.host_id,
                "revenue_cents": x.revenue_cents,
                "host_held_cents": x.host_held_cents,
                "escrow_cash_cents": x.escrow_cash_cents,
                "credits_redeemed": x.credits_redeemed,
            }
            for x in self._ledger_settlements(
                transactions.c.seq > through,
                transactions.c.seq <= upto,
                postings.c.seq > through,
                postings.c.seq <= upto,
            )
        ]
        if settled:
            self._session.execute(insert(cast(Table, LedgerSettlement.__table__)), settled)
        self._session.execute(
            update(LedgerRollup)
            .where(LedgerRollup.id == 1)
            .values(through_seq=upto, updated_at=now)
        )
        return upto - through

    def settlements(
        self, first: date, after: date, through: int, start: str, end: str
    ) -> list[Settlement]:
        """The settlements of the days ``[first, after)``: the rollup's (seq <= ``through``),
        then the ledger's after it with a time in ``[start, end)``, in seq order."""
        table = cast(Table, LedgerSettlement.__table__)
        rolled = self._session.execute(
            select(
                table.c.seq,
                table.c.created_at,
                table.c.lot_id,
                table.c.host_id,
                table.c.revenue_cents,
                table.c.host_held_cents,
                table.c.escrow_cash_cents,
                table.c.credits_redeemed,
            )
            .where(table.c.day >= first, table.c.day < after)
            .order_by(table.c.seq)
        ).all()
        return [
            Settlement(*row)  # columns in the dataclass's order
            for row in rolled
        ] + self._ledger_settlements(
            transactions.c.seq > through,
            postings.c.seq > through,
            transactions.c.created_at >= start,
            transactions.c.created_at < end,
        )

    def _ledger_settlements(self, *where: ColumnElement[bool]) -> list[Settlement]:
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
            .join(accounts, accounts.c.id == postings.c.account_id + 0)  # see tail()
            .where(transactions.c.kind == "lot_settlement", *where)
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
