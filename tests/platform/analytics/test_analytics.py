"""GET /api/admin/analytics over a real history: every figure exactly, the range rules,
and who may ask."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alot_platform.analytics.models import LedgerDay, LedgerRollup, LedgerSettlement
from alot_platform.analytics.repository import AnalyticsRepository
from alot_platform.scheduler import run_tick
from sqlalchemy import delete, select, update

from tests.platform.analytics.history import build


def _get(http: Any, **params: Any) -> Any:
    return http.admin_get("/api/admin/analytics", params=params)


def test_every_figure_of_a_small_history(
    http: Any, lots: Any, platform: Any, services: Any
) -> None:
    history = build(http, lots, platform, services)
    day0, today = history.day0, history.today
    start, end = day0 - timedelta(days=1), today + timedelta(days=1)
    response = _get(http, **{"from": start.isoformat(), "to": end.isoformat()})
    assert response.status_code == 200, response.text
    found = response.json()

    assert (found["from"], found["to"]) == (start.isoformat(), end.isoformat())
    days = {d["date"]: d for d in found["days"]}
    assert len(found["days"]) == (end - start).days  # every day, zeros included
    assert [d["date"] for d in found["days"]] == sorted(days)
    day1 = (day0 + timedelta(days=1)).isoformat()
    nonzero = {
        k: (v["lots_created"], v["lots_funded"], v["lots_expired"])
        for k, v in days.items()
        if v["lots_created"] or v["lots_funded"] or v["lots_expired"]
    }
    assert nonzero == {day0.isoformat(): (2, 0, 1), day1: (1, 2, 0)}
    assert (found["lots_created"], found["lots_funded"], found["lots_expired"]) == (3, 2, 1)
    assert found["conversion"] == {"funded": 2, "expired": 1, "rate_bps": 6666, "rate": "66.66"}
    assert found["time_to_funding"] == {
        "lots": 2,
        "mean_seconds": (90_000 + 3_600) // 2,
        "p50_seconds": 3_600,
        "p90_seconds": 90_000,
    }
    assert found["credits"] == {
        # cy's 200 and the host lot buyer's 100 (adjustments), bob's 150 (a refund
        # converted to credits), and what the platform lot's non-winners earned
        "issued_credits": 200 + 100 + 150 + history.settlement_credits,
        "spent_credits": 200 + 100,
        "redeemed_credits": 100,  # the host lot's, at its settlement
        "refunded_credits": 200 + 150,
    }
    revenue = found["revenue_per_lot"]
    # platform lot: its 10.00 cash; host lot: 9.00 cash less the host's share of
    # 10.00 funded at 15% commission (8.50)
    assert [(r["lot_id"], r["revenue_cents"]) for r in revenue["lots"]] == [
        (history.platform_lot, 1000),
        (history.host_lot, 50),
    ]
    assert (revenue["settled_lots"], revenue["total_cents"], revenue["mean_cents"]) == (
        2,
        1050,
        525,
    )
    assert (revenue["total"], revenue["mean"]) == ("10.50", "5.25")
    assert found["money"] == {
        "gmv_cents": 1000 + 450 + 100 + 900,
        "gmv": "24.50",
        "cash_refunded_cents": 441,
        "cash_refunded": "4.41",
        "refund_fees_cents": 9,
        "refunded_to_credits_cents": 100,
        "processing_fees_cents": 0,  # the sandbox provider charges none
        "processing_fees": "0.00",
        "host_payouts_cents": 850,
        "host_payouts": "8.50",
        "host_commission_cents": 150,
        "host_commission": "1.50",
        "host_share_held_cents": 850,
    }

    # The same figures from the rollup (the tick brings it to the head), from the
    # postings alone (no rollup), and at every step of a rollup in small batches.
    query = {"from": start.isoformat(), "to": end.isoformat()}
    assert run_tick(platform).ledger_rolled_up > 0
    assert _get(http, **query).json() == found
    with services.session() as session:
        session.execute(delete(LedgerDay))
        session.execute(delete(LedgerSettlement))
        session.execute(update(LedgerRollup).values(through_seq=0))
    assert _get(http, **query).json() == found
    steps = 0
    while True:
        with services.session() as session:
            added = AnalyticsRepository(session).roll_up(7, http.clock.now)
        if not added:
            break
        steps += 1
        assert _get(http, **query).json() == found
    assert steps > 3
    with services.session() as session:
        rolled = session.scalars(select(LedgerDay)).all()
        assert {row.day for row in rolled} == {today}  # the ledger's (real) day
        assert sum(row.postings for row in rolled) > 0
        settled = session.scalars(select(LedgerSettlement).order_by(LedgerSettlement.seq)).all()
        assert [s.lot_id for s in settled] == [history.platform_lot, history.host_lot]
        assert [s.host_id for s in settled] == [None, history.host_id]

    # The lots' days without the ledger's day: counts, and no money.
    early = _get(http, **{"from": day0.isoformat(), "to": (day0 + timedelta(days=2)).isoformat()})
    assert early.status_code == 200, early.text
    assert (early.json()["lots_created"], early.json()["lots_funded"]) == (3, 2)
    assert early.json()["money"]["gmv_cents"] == 0
    assert early.json()["revenue_per_lot"]["lots"] == []
    assert early.json()["revenue_per_lot"]["mean_cents"] is None
    # The ledger's day alone: the money, and no lot counted.
    late = _get(http, **{"from": today.isoformat(), "to": end.isoformat()}).json()
    assert late["money"] == found["money"]
    assert late["lots_created"] == 0
    assert late["conversion"]["rate_bps"] is None
    assert late["time_to_funding"]["mean_seconds"] is None


def test_the_default_range_is_the_last_30_days(http: Any) -> None:
    today = http.clock.now.date()
    found = _get(http).json()
    assert found["to"] == (today + timedelta(days=1)).isoformat()
    assert found["from"] == (today - timedelta(days=29)).isoformat()
    assert len(found["days"]) == 30
    only_from = _get(http, **{"from": today.isoformat()}).json()
    assert only_from["to"] == (today + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-03-02", "to": "2026-03-01"},  # backwards
        {"from": "2026-03-01", "to": "2026-03-01"},  # empty
        {"from": "2025-01-01", "to": "2026-01-03"},  # 367 days
        {"from": "2026-02-30"},  # no such day
        {"to": "yesterday"},
        {"from": "9999-12-20"},  # its default end is past the last day there is
        {"to": "0001-01-05"},
        {"from": "2026-03-01T10:30:00"},  # a day, not a time
    ],
)
def test_a_bad_range_is_refused(http: Any, params: dict[str, str]) -> None:
    response = _get(http, **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_366_days_is_the_longest_range(http: Any) -> None:
    response = _get(http, **{"from": "2025-01-01", "to": "2026-01-02"})
    assert response.status_code == 200, response.text
    assert len(response.json()["days"]) == 366


def test_only_admins_may_read_analytics(http: Any) -> None:
    anonymous = http.client.get("/api/admin/analytics")
    assert anonymous.status_code == 401
    player = http.api.account()
    forbidden = http.client.get("/api/admin/analytics", headers=player.headers)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("application/problem+json")
