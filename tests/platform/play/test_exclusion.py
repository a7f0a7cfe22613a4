"""Time-outs and self-exclusion over the real API: every purchase path is refused while
one runs, it cannot be ended early or shortened (a longer one replaces it), credits
stay the player's, marketing email is off, and admins see it but cannot lift it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ..conftest import FakeClock, LotDesk

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)


@pytest.fixture
def desk(make_lot_desk: Callable[..., LotDesk], clock: FakeClock) -> LotDesk:
    clock.now = NOW
    return make_lot_desk(funding_target_cents=1_000_000, max_tickets_per_user=None)


def _time_out(desk: LotDesk, account: Any, hours: int, **more: Any) -> Any:
    return desk.client.post(
        "/api/users/me/play/time-out",
        json={"hours": hours, "confirm": True, **more},
        headers=account.headers,
    )


def _self_exclude(desk: LotDesk, account: Any, months: int) -> Any:
    return desk.client.post(
        "/api/users/me/play/self-exclusion",
        json={"months": months, "confirm": True},
        headers=account.headers,
    )


def test_a_time_out_refuses_cash_and_credit_purchases_until_it_ends(
    desk: LotDesk, services: Any
) -> None:
    lot = desk.open_lot()
    ada = desk.player(lot["id"])
    services.grant_credits(ada.id, 1_000)
    response = _time_out(desk, ada, 48)
    assert response.status_code == 200, response.text
    exclusion = response.json()["exclusion"]
    assert exclusion["kind"] == "time_out"
    assert exclusion["ends_at"].startswith("2026-12-11T12:00:00")

    for refused in (desk.buy(ada, lot["id"], 0), desk.buy_with_credits(ada, lot["id"], 1)):
        assert refused.status_code == 403, refused.text
        problem = refused.json()
        assert problem["code"] == "play_excluded"
        assert problem["kind"] == "time_out"
        assert problem["ends_at"].startswith("2026-12-11T12:00:00")
    # The credits stay the player's.
    balance = desk.client.get("/api/users/me/credits", headers=ada.headers)
    assert balance.json()["balance_credits"] == 1_000, balance.text

    desk.clock.advance(hours=48)
    desk.login_again(ada)
    assert desk.buy(ada, lot["id"], 0).status_code == 201
    assert desk.client.get("/api/users/me/play", headers=ada.headers).json()["exclusion"] is None


def test_it_cannot_be_shortened_but_a_longer_one_replaces_it(desk: LotDesk) -> None:
    ada = desk.player()
    assert _time_out(desk, ada, 24 * 7).status_code == 200
    shorter = _time_out(desk, ada, 24)
    assert shorter.status_code == 409
    assert shorter.json()["code"] == "exclusion_not_shortened"
    longer = _time_out(desk, ada, 24 * 14)
    assert longer.json()["exclusion"]["ends_at"].startswith("2026-12-23T12:00:00")
    excluded = _self_exclude(desk, ada, 6)
    assert excluded.json()["exclusion"]["kind"] == "self_exclusion"
    assert excluded.json()["exclusion"]["ends_at"].startswith("2027-06-09T12:00:00")
    # A time-out cannot end a self-exclusion earlier either.
    assert _time_out(desk, ada, 24 * 42).status_code == 409
    status = desk.client.get("/api/users/me/play", headers=ada.headers).json()
    assert status["exclusion"]["kind"] == "self_exclusion"
    assert status["exclusion"]["started_at"].startswith("2026-12-09T12:00:00")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("time-out", {"hours": 23, "confirm": True}),
        ("time-out", {"hours": 24 * 42 + 1, "confirm": True}),
        ("time-out", {"hours": 24}),
        ("time-out", {"hours": 24, "confirm": False}),
        ("self-exclusion", {"months": 5, "confirm": True}),
        ("self-exclusion", {"months": 61, "confirm": True}),
        ("self-exclusion", {"months": 6}),
    ],
)
def test_the_lengths_are_bounded_and_need_a_confirmation(
    desk: LotDesk, path: str, body: dict[str, Any]
) -> None:
    ada = desk.player()
    response = desk.client.post(f"/api/users/me/play/{path}", json=body, headers=ada.headers)
    assert response.status_code == 422, response.text
    assert desk.client.get("/api/users/me/play", headers=ada.headers).json()["exclusion"] is None


def test_marketing_email_is_off_during_an_exclusion_and_cannot_be_turned_on(
    desk: LotDesk,
) -> None:
    ada = desk.player()
    prefs = "/api/users/me/preferences"
    on = desk.client.patch(prefs, json={"marketing_emails": True}, headers=ada.headers)
    assert on.json()["marketing_emails"] is True
    _time_out(desk, ada, 24)
    assert desk.client.get(prefs, headers=ada.headers).json()["marketing_emails"] is False
    refused = desk.client.patch(prefs, json={"marketing_emails": True}, headers=ada.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "play_excluded"
    # Other choices can still change; the marketing choice returns when the break ends.
    other = desk.client.patch(prefs, json={"reminder_emails": False}, headers=ada.headers)
    assert other.status_code == 200
    assert other.json()["marketing_emails"] is False
    desk.clock.advance(hours=24)
    desk.login_again(ada)
    assert desk.client.get(prefs, headers=ada.headers).json()["marketing_emails"] is True


def test_admins_see_a_players_status_and_nothing_lifts_it(desk: LotDesk) -> None:
    ada = desk.player()
    _self_exclude(desk, ada, 12)
    desk.client.put(
        "/api/users/me/play/limits",
        json={"daily_cents": 1_000, "weekly_cents": None, "monthly_cents": None},
        headers=ada.headers,
    )
    seen = desk.client.get(f"/api/admin/users/{ada.id}/play", headers=desk.admin.headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["exclusion"]["kind"] == "self_exclusion"
    assert seen.json()["limits"]["daily_cents"] == 1_000
    as_player = desk.client.get(f"/api/admin/users/{ada.id}/play", headers=ada.headers)
    assert as_player.status_code == 403
    missing = "00000000-0000-4000-8000-000000000000"
    assert (
        desk.client.get(f"/api/admin/users/{missing}/play", headers=desk.admin.headers).status_code
        == 404
    )
    paths = desk.client.get("/openapi.json").json()["paths"]
    assert [p for p in paths if "play" in p] == [
        "/api/users/me/play",
        "/api/users/me/play/limits",
        "/api/users/me/play/time-out",
        "/api/users/me/play/self-exclusion",
        "/api/users/me/play/reality-check",
        "/api/admin/users/{user_id}/play",
    ]
    for method in ("delete", "put", "patch"):
        response = getattr(desk.client, method)(
            f"/api/admin/users/{ada.id}/play", headers=desk.admin.headers
        )
        assert response.status_code == 405


def test_reality_check_minutes_are_15_to_240_or_off(desk: LotDesk) -> None:
    ada = desk.player()
    path = "/api/users/me/play/reality-check"
    assert (
        desk.client.put(path, json={"minutes": 30}, headers=ada.headers).json()[
            "reality_check_minutes"
        ]
        == 30
    )
    for bad in (14, 241, "30", 0):
        assert desk.client.put(path, json={"minutes": bad}, headers=ada.headers).status_code == 422
    assert (
        desk.client.put(path, json={"minutes": None}, headers=ada.headers).json()[
            "reality_check_minutes"
        ]
        is None
    )
