"""The admin analytics figures: counts and durations from the lots table, money from the
ledger's postings (each figure's exact definition: docs/platform/analytics.md)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from contextlib import contextmanager

from sqlalchemy.orm import Session

from alot_platform.analytics.repository import AnalyticsRepository, ledger_time
from alot_platform.analytics.schemas import (
    Analytics,
    AnalyticsConversion,
    AnalyticsCredits,
    AnalyticsDay,
    AnalyticsMoney,
    AnalyticsRevenuePerLot,
    AnalyticsTimeToFunding,
)
from alot_platform.db import Database, unit_of_work
from alot_platform.errors import InvalidInput
from alot_platform.money import format_cents

DEFAULT_DAYS = 30
MAX_DAYS = 366
BPS = 10_000

# Kinds the platform posts (grep ``.post(`` in services/platform/src).
PURCHASE = ("entry_purchase",)
REFUND_CASH = ("refund_cash",)
REFUND_CONVERSION = ("refund_credit_conversion",)
REFUND_CREDITS = ("refund_credits", "refund_credit_conversion")
HOST_PAYOUT = ("host_payout",)


class InvalidRange(InvalidInput):
    code = "invalid_range"
    title = "Invalid date range"


def resolve_range(
    start: dt.date | None, end: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """``[from, to)`` in UTC days: by default the last 30 days, today included."""
    try:
        if end is None:
            end = start + dt.timedelta(days=DEFAULT_DAYS) if start else today + dt.timedelta(days=1)
        if start is None:
            start = end - dt.timedelta(days=DEFAULT_DAYS)
    except OverflowError:
        raise InvalidRange("the range must fall between years 1 and 9999") from None
    if end <= start:
        raise InvalidRange(f"to ({end}) must be after from ({start}): to is exclusive")
    if (end - start).days > MAX_DAYS:
        raise InvalidRange(
            f"a range covers at most {MAX_DAYS} days; this one has {(end - start).days}"
        )
    return start, end


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def rate(numerator: int, denominator: int) -> tuple[int | None, str | None]:
    """``numerator / denominator`` in basis points (rounded down) and as "66.66"."""
    if denominator == 0:
        return None, None
    bps = numerator * BPS // denominator
    return bps, f"{bps // 100}.{bps % 100:02d}"


def nearest_rank(ordered: list[int], percent: int) -> int:
    """The nearest-rank percentile: the smallest value with at least ``percent``% of the
    values at or below it (``ordered`` sorted, not empty)."""
    rank = -(-percent * len(ordered) // 100)  # ceil
    return ordered[max(rank, 1) - 1]


ROLLUP_BATCH = 50_000
"""Ledger transactions the rollup job adds in one unit of work."""


def roll_up(database: Database, now: dt.datetime, *, batch: int = ROLLUP_BATCH) -> int:
    """Bring the rollup up to the ledger's head, a batch per unit of work; how many
    transactions it added. Safe beside another run (the cursor row is locked)."""
    added = 0
    while True:
        with contextmanager(unit_of_work)(database) as session:
            done = AnalyticsRepository(session).roll_up(batch, now)
        added += done
        if done < batch:
            return added


class AnalyticsService:
    def __init__(self, session: Session) -> None:
        self._repository = AnalyticsRepository(session)

    def compute(self, start: dt.date, end: dt.date) -> Analytics:
        begin, finish = _midnight(start), _midnight(end)
        times = self._repository.lot_times(begin, finish)
        days = self._days(start, end, times.created, [f for _o, f in times.funded], times.expired)
        lo, hi = ledger_time(begin), ledger_time(finish)
        # The rollup's days through its cursor, then the postings after it, live.
        through = self._repository.rollup_cursor(lock=False)
        sums = self._repository.rolled_up(start, end) + self._repository.tail(through, lo, hi)
        settlements = self._repository.settlements(start, end, through, lo, hi)

        funded, expired = len(times.funded), len(times.expired)
        bps, text = rate(funded, funded + expired)
        durations = sorted(int((f - o).total_seconds()) for o, f in times.funded if o is not None)

        # Plain dicts, validated once with the answer: thousands of lots over a year.
        revenues: list[dict[str, object]] = [
            {
                "lot_id": s.lot_id,
                "ledger_seq": s.seq,
                "settled_at": s.created_at,
                "revenue_cents": s.revenue_cents,
                "revenue": format_cents(s.revenue_cents),
            }
            for s in settlements
        ]
        total = sum(s.revenue_cents for s in settlements)
        mean = total // len(settlements) if settlements else None
        host_lots = [s for s in settlements if s.host_id is not None]
        commission = sum(
            s.escrow_cash_cents + s.credits_redeemed - s.host_held_cents for s in host_lots
        )
        gmv = -sums.of(PURCHASE, "platform:cash", "USD")
        refunded = sums.of(REFUND_CASH, "platform:cash", "USD")
        processing = -sums.of(None, "platform:processing_fees", "USD")
        payouts = -sums.of(HOST_PAYOUT, "host:*:payable", "USD")
        return Analytics(
            from_=start,
            to=end,
            days=days,
            lots_created=len(times.created),
            lots_funded=funded,
            lots_expired=expired,
            conversion=AnalyticsConversion(funded=funded, expired=expired, rate_bps=bps, rate=text),
            time_to_funding=AnalyticsTimeToFunding(
                lots=len(durations),
                mean_seconds=sum(durations) // len(durations) if durations else None,
                p50_seconds=nearest_rank(durations, 50) if durations else None,
                p90_seconds=nearest_rank(durations, 90) if durations else None,
            ),
            credits=AnalyticsCredits(
                issued_credits=-sums.of(None, "platform:credits_issued", "CRD"),
                spent_credits=-sums.of(PURCHASE, "user:*:credits", "CRD"),
                redeemed_credits=sums.of(None, "platform:credits_redeemed", "CRD"),
                refunded_credits=sums.of(REFUND_CREDITS, "user:*:credits", "CRD"),
            ),
            revenue_per_lot=AnalyticsRevenuePerLot.model_validate(
                {
                    "lots": revenues,
                    "settled_lots": len(revenues),
                    "total_cents": total,
                    "total": format_cents(total),
                    "mean_cents": mean,
                    "mean": format_cents(mean) if mean is not None else None,
                }
            ),
            money=AnalyticsMoney(
                gmv_cents=gmv,
                gmv=format_cents(gmv),
                cash_refunded_cents=refunded,
                cash_refunded=format_cents(refunded),
                refund_fees_cents=sums.of(REFUND_CASH, "platform:fees", "USD"),
                refunded_to_credits_cents=sums.of(REFUND_CONVERSION, "platform:revenue", "USD"),
                processing_fees_cents=processing,
                processing_fees=format_cents(processing),
                host_payouts_cents=payouts,
                host_payouts=format_cents(payouts),
                host_commission_cents=commission,
                host_commission=format_cents(commission),
                host_share_held_cents=sum(s.host_held_cents for s in settlements),
            ),
        )

    @staticmethod
    def _days(
        start: dt.date,
        end: dt.date,
        created: list[dt.datetime],
        funded: list[dt.datetime],
        expired: list[dt.datetime],
    ) -> list[AnalyticsDay]:
        def per_day(moments: list[dt.datetime]) -> Counter[dt.date]:
            return Counter(m.astimezone(dt.UTC).date() for m in moments)

        c, f, e = per_day(created), per_day(funded), per_day(expired)
        return [
            AnalyticsDay(date=day, lots_created=c[day], lots_funded=f[day], lots_expired=e[day])
            for day in (start + dt.timedelta(days=n) for n in range((end - start).days))
        ]
