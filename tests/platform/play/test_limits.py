"""Spend limits over the real API: lowering is immediate, raising waits 24 hours, a
purchase that would pass a limit is refused saying what is left and when it resets,
and no purchase slips past a limit when a player buys in parallel (one lot or two).

Every test runs on SQLite and, with ALOT_TEST_POSTGRES_URL, on PostgreSQL too (the
shared ``db_url`` fixture behind ``client``)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..conftest import FakeClock, LotDesk

# 2026-12-09 is a Wednesday: the week began Monday the 7th, the month on the 1st.
WEDNESDAY_NOON = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)


@pytest.fixture
def desk(make_lot_desk: Callable[..., LotDesk], clock: FakeClock) -> LotDesk:
    clock.now = WEDNESDAY_NOON
    return make_lot_desk(funding_target_cents=1_000_000, max_tickets_per_user=None)


def _limits(client: TestClient, account: Any, **limits: int | None) -> Any:
    body = {"daily_cents": None, "weekly_cents": None, "monthly_cents": None, **limits}
    return client.put("/api/users/me/play/limits", json=body, headers=account.headers)


def _play(client: TestClient, account: Any) -> dict[str, Any]:
    response = client.get("/api/users/me/play", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _period(status: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [p for p in status["periods"] if p["period"] == name]
    assert len(found) == 1
    return found[0]


def test_a_new_player_has_no_limits_and_the_periods_are_utc_calendar_periods(
    desk: LotDesk,
) -> None:
    ada = desk.player()
    status = _play(desk.client, ada)
    assert status["limits"] == {"daily_cents": None, "weekly_cents": None, "monthly_cents": None}
    assert status["exclusion"] is None
    assert status["reality_check_minutes"] is None
    assert _period(status, "daily")["resets_at"].startswith("2026-12-10T00:00:00")
    assert _period(status, "weekly")["started_at"].startswith("2026-12-07T00:00:00")
    assert _period(status, "weekly")["resets_at"].startswith("2026-12-14T00:00:00")
    assert _period(status, "monthly")["resets_at"].startswith("2027-01-01T00:00:00")


def test_a_purchase_over_the_limit_is_refused_saying_what_is_left_and_when(
    desk: LotDesk,
) -> None:
    lot = desk.open_lot()
    ada = desk.player(lot["id"])
    assert _limits(desk.client, ada, daily_cents=600).status_code == 200
    assert desk.buy(ada, lot["id"], 1).status_code == 201  # 500 of 600

    refused = desk.buy(ada, lot["id"], 0)  # 200 more: 700 > 600
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "spend_limit_exceeded"
    assert problem["period"] == "daily"
    assert (problem["limit_cents"], problem["spent_cents"], problem["remaining_cents"]) == (
        600,
        500,
        100,
    )
    assert problem["resets_at"].startswith("2026-12-10T00:00:00")
    assert "$1.00 is left" in problem["detail"]
    daily = _period(_play(desk.client, ada), "daily")
    assert (daily["spent_cents"], daily["remaining_cents"]) == (500, 100)

    # The next day has room again.
    desk.clock.now = datetime(2026, 12, 10, 0, 0, 1, tzinfo=UTC)
    desk.login_again(ada)
    assert desk.buy(ada, lot["id"], 0).status_code == 201


def test_the_weekly_and_monthly_limits_count_the_earlier_days(desk: LotDesk) -> None:
    lot = desk.open_lot(deadline=(WEDNESDAY_NOON + timedelta(days=30)).isoformat())
    ada = desk.player(lot["id"])
    assert _limits(desk.client, ada, weekly_cents=700, monthly_cents=900).status_code == 200
    assert desk.buy(ada, lot["id"], 1).status_code == 201  # Wednesday: 500
    desk.clock.advance(days=1)
    desk.login_again(ada)
    refused = desk.buy(ada, lot["id"], 1)  # Thursday: 500 more passes the week's 700
    assert refused.status_code == 409
    assert (refused.json()["period"], refused.json()["remaining_cents"]) == ("weekly", 200)
    assert desk.buy(ada, lot["id"], 0).status_code == 201  # 700 of 700
    desk.clock.now = datetime(2026, 12, 14, 0, 0, tzinfo=UTC)  # a new week, same month
    desk.login_again(ada)
    refused = desk.buy(ada, lot["id"], 1)
    assert (refused.json()["period"], refused.json()["remaining_cents"]) == ("monthly", 200)


def test_lowering_is_immediate_and_raising_or_removing_waits_24_hours(desk: LotDesk) -> None:
    lot = desk.open_lot()
    ada = desk.player(lot["id"])
    status = _limits(desk.client, ada, daily_cents=1_000).json()
    assert status["limits"]["daily_cents"] == 1_000  # setting one where none: at once
    assert status["pending"] == []

    status = _limits(desk.client, ada, daily_cents=5_000, weekly_cents=300).json()
    assert status["limits"]["daily_cents"] == 1_000
    assert status["limits"]["weekly_cents"] == 300
    [pending] = status["pending"]
    assert pending["period"] == "daily"
    assert pending["limit_cents"] == 5_000
    assert pending["applies_at"].startswith("2026-12-10T12:00:00")
    assert desk.buy(ada, lot["id"], 1).status_code == 409  # the weekly 300 holds at once

    # Asking again for the waiting change keeps its time.
    desk.clock.advance(hours=12)
    desk.login_again(ada)
    again = _limits(desk.client, ada, daily_cents=5_000, weekly_cents=300).json()
    assert again["pending"][0]["applies_at"] == pending["applies_at"]

    # Removing the weekly limit waits too; just before the time nothing changed.
    status = _limits(desk.client, ada, daily_cents=5_000, weekly_cents=None).json()
    assert status["limits"]["weekly_cents"] == 300
    desk.clock.advance(hours=11, minutes=59)
    desk.login_again(ada)
    assert _play(desk.client, ada)["limits"]["daily_cents"] == 1_000
    desk.clock.advance(minutes=1)
    desk.login_again(ada)
    status = _play(desk.client, ada)
    assert status["limits"]["daily_cents"] == 5_000  # applied when read after its time
    assert status["limits"]["weekly_cents"] == 300  # its removal waits until 12 hours later
    desk.clock.advance(hours=12)
    desk.login_again(ada)
    assert desk.buy(ada, lot["id"], 1).status_code == 201


def test_lowering_below_a_waiting_raise_cancels_it(desk: LotDesk) -> None:
    ada = desk.player()
    _limits(desk.client, ada, monthly_cents=1_000)
    assert _limits(desk.client, ada, monthly_cents=2_000).json()["pending"]
    status = _limits(desk.client, ada, monthly_cents=800).json()
    assert status["limits"]["monthly_cents"] == 800
    assert status["pending"] == []
    desk.clock.advance(days=2)
    desk.login_again(ada)
    assert _play(desk.client, ada)["limits"]["monthly_cents"] == 800


@pytest.mark.parametrize(
    "body",
    [
        {"daily_cents": 0, "weekly_cents": None, "monthly_cents": None},
        {"daily_cents": -5, "weekly_cents": None, "monthly_cents": None},
        {"daily_cents": "500", "weekly_cents": None, "monthly_cents": None},
        {"daily_cents": 1.5, "weekly_cents": None, "monthly_cents": None},
        {"daily_cents": 500},
        {"daily_cents": 500, "weekly_cents": None, "monthly_cents": None, "yearly_cents": 1},
    ],
)
def test_limits_are_positive_integers_or_null(desk: LotDesk, body: dict[str, Any]) -> None:
    ada = desk.player()
    response = desk.client.put("/api/users/me/play/limits", json=body, headers=ada.headers)
    assert response.status_code == 422, response.text
    assert _play(desk.client, ada)["limits"]["daily_cents"] is None


def test_a_refund_gives_no_room_back_and_credits_are_not_limited(
    desk: LotDesk, services: Any
) -> None:
    lot = desk.open_lot()
    ada = desk.player(lot["id"])
    _limits(desk.client, ada, daily_cents=500)
    assert desk.buy(ada, lot["id"], 1).status_code == 201
    services.grant_credits(ada.id, 1_000)
    assert desk.buy_with_credits(ada, lot["id"], 3).status_code == 201
    assert _period(_play(desk.client, ada), "daily")["spent_cents"] == 500


def _at_once(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("lots", [1, 2])
def test_no_purchase_slips_past_a_limit_in_parallel(desk: LotDesk, lots: int) -> None:
    """16 purchases of 200 at once by a player with 1000 a day left, in one lot or
    spread over two (two lot locks: the player's settings row is the shared lock)."""
    opened = [desk.open_lot() for _ in range(lots)]
    ada = desk.api.account()
    for lot in opened:
        desk.pass_trivia(ada, lot["id"])
    _limits(desk.client, ada, daily_cents=1_000)
    calls = [functools.partial(desk.buy, ada, opened[i % lots]["id"], 0) for i in range(16)]

    responses = _at_once(calls)

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 5 + [409] * 11, [r.text for r in responses if r.status_code >= 500]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"spend_limit_exceeded"}
    daily = _period(_play(desk.client, ada), "daily")
    assert (daily["spent_cents"], daily["remaining_cents"]) == (1_000, 0)
    held = desk.client.get("/api/users/me/entries", headers=ada.headers).json()["items"]
    assert sum(entry["ticket_count"] for entry in held) == 5
