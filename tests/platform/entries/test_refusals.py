"""Every refused purchase answers its 4xx problem and writes nothing, nor charges anyone."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest


def _refused(shop: Any, response: Any, status: int, code: str, before: dict[str, int]) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert shop.census() == before
    assert shop.platform.payments.charges == []


def test_unverified_player_is_403(shop: Any) -> None:
    lot = shop.open_lot()
    unverified = shop.player(verified=False)
    before = shop.census()
    _refused(shop, shop.buy(unverified, lot["id"]), 403, "email_not_verified", before)


def test_trivia_not_passed_is_403(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player()
    wrong = shop.client.post(
        f"/api/lots/{lot['id']}/trivia/attempt", json={"answer": "Omega"}, headers=ada.headers
    )
    assert wrong.json()["correct"] is False
    before = shop.census()
    _refused(shop, shop.buy(ada, lot["id"]), 403, "trivia_not_passed", before)
    shop.grant_credits(ada.id, 1_000)
    before = shop.census()
    _refused(shop, shop.buy_with_credits(ada, lot["id"], 1), 403, "trivia_not_passed", before)


def test_lot_not_open_is_409_with_its_state(shop: Any) -> None:
    created = shop.create_lot()
    ada = shop.player()
    before = shop.census()
    response = shop.buy(ada, created["id"])
    _refused(shop, response, 409, "lot_state_conflict", before)
    assert response.json()["state"] == "created"


def test_after_the_deadline_is_409_before_any_expiry_tick(shop: Any) -> None:
    lot = shop.open_lot(deadline=(shop.clock.now + timedelta(minutes=10)).isoformat())
    ada = shop.player(lot["id"])
    shop.grant_credits(ada.id, 1_000)
    shop.clock.advance(minutes=10)  # exactly at the deadline: closed
    before = shop.census()
    _refused(shop, shop.buy(ada, lot["id"]), 409, "lot_deadline_passed", before)
    _refused(shop, shop.buy_with_credits(ada, lot["id"], 1), 409, "lot_deadline_passed", before)
    assert shop.lot_row(lot["id"])["status"] == "open"  # nobody ran the tick


def test_ticket_cap_counts_what_the_player_already_holds(shop: Any) -> None:
    lot = shop.open_lot(max_tickets_per_user=4)
    ada = shop.player(lot["id"])
    assert shop.buy(ada, lot["id"], 1).status_code == 201  # 3 tickets
    before = shop.census()
    response = shop.buy(ada, lot["id"], 1)  # 3 more: 6 > 4
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "ticket_cap_exceeded"
    assert (response.json()["cap"], response.json()["held"]) == (4, 3)
    assert shop.census() == before
    assert len(shop.platform.payments.charges) == 1
    assert shop.buy(ada, lot["id"], 0).status_code == 201  # 1 more: 4, allowed


def test_unknown_bundle_is_422(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    before = shop.census()
    response = shop.buy(ada, lot["id"], 2)
    _refused(shop, response, 422, "unknown_bundle", before)
    assert response.json()["bundles"] == 2


def test_unknown_lot_is_404(shop: Any) -> None:
    ada = shop.player()
    before = shop.census()
    _refused(shop, shop.buy(ada, str(uuid.uuid4())), 404, "lot_not_found", before)


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "idempotency_key_required"),
        ({"Idempotency-Key": "   "}, "idempotency_key_required"),
        ({"Idempotency-Key": "k" * 256}, "invalid_idempotency_key"),
        ({"Idempotency-Key": "two words"}, "invalid_idempotency_key"),
    ],
)
def test_idempotency_key_is_required_and_bounded(
    shop: Any, headers: dict[str, str], code: str
) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    before = shop.census()
    for path, body in (
        ("purchase", {"bundle_index": 0}),
        ("purchase-with-credits", {"tickets": 1}),
    ):
        response = shop.client.post(
            f"/api/lots/{lot['id']}/entries/{path}",
            json=body,
            headers={**ada.headers, **headers},
        )
        _refused(shop, response, 400, code, before)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("purchase", {"bundle_index": -1}),
        ("purchase", {"bundle_index": "first"}),
        ("purchase", {}),
        ("purchase", {"bundle_index": 0, "extra": 1}),
        ("purchase-with-credits", {"tickets": 0}),
        ("purchase-with-credits", {"tickets": 10_001}),
    ],
)
def test_malformed_bodies_are_422(shop: Any, path: str, body: dict[str, Any]) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    before = shop.census()
    response = shop.client.post(
        f"/api/lots/{lot['id']}/entries/{path}",
        json=body,
        headers={**ada.headers, "Idempotency-Key": shop.key()},
    )
    _refused(shop, response, 422, "validation_error", before)


def test_anonymous_is_401(shop: Any) -> None:
    lot = shop.open_lot()
    before = shop.census()
    response = shop.client.post(
        f"/api/lots/{lot['id']}/entries/purchase",
        json={"bundle_index": 0},
        headers={"Idempotency-Key": shop.key()},
    )
    _refused(shop, response, 401, "not_authenticated", before)


@pytest.mark.parametrize("credits", [False, True], ids=["cash", "credits"])
def test_a_token_of_an_ended_session_is_401(shop: Any, credits: bool) -> None:
    # The purchase endpoints check the caller's session in the purchase's own batch,
    # not per request: a token whose session ended must still be refused there.
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    if credits:
        shop.grant_credits(ada.id, 500)
    assert shop.client.post("/api/auth/logout", headers=ada.headers).status_code == 204
    before = shop.census()
    response = shop.buy_with_credits(ada, lot["id"], 1) if credits else shop.buy(ada, lot["id"])
    _refused(shop, response, 401, "invalid_token", before)


def test_an_unverified_player_is_403_even_with_a_repeated_key(shop: Any) -> None:
    # The caller is checked before the key is looked up: an unverified account learns
    # nothing about purchases, not even that a key was never used.
    lot = shop.open_lot()
    unverified = shop.player(verified=False)
    before = shop.census()
    for _ in range(2):
        response = shop.buy(unverified, lot["id"], key="same-key")
        _refused(shop, response, 403, "email_not_verified", before)


def test_a_cookie_purchase_needs_the_csrf_token(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    login = shop.client.post(
        "/api/auth/login",
        json={"email": ada.email, "password": ada.password, "transport": "cookie"},
    )
    assert login.status_code == 200, login.text
    path = f"/api/lots/{lot['id']}/entries/purchase"
    before = shop.census()
    try:
        refused = shop.client.post(
            path, json={"bundle_index": 0}, headers={"Idempotency-Key": shop.key()}
        )
        _refused(shop, refused, 403, "csrf_failed", before)
        accepted = shop.client.post(
            path,
            json={"bundle_index": 0},
            headers={"Idempotency-Key": shop.key(), "X-CSRF-Token": login.json()["csrf_token"]},
        )
        assert accepted.status_code == 201, accepted.text
        mine = shop.client.get("/api/users/me/entries", headers=ada.headers).json()["items"]
        assert [item["purchase_id"] for item in mine] == [accepted.json()["id"]]
    finally:
        shop.client.cookies.clear()
