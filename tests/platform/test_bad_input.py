"""Bad input: always a 4xx problem+json naming the problem, and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

GOOD = {
    "email": "new@example.com",
    "username": "newcomer",
    "password": "a-decent-passphrase",
    "date_of_birth": "1990-01-01",
}
TABLES = ("users", "user_roles", "auth_sessions", "refresh_tokens", "one_time_tokens")


def _counts(count_rows: Callable[[str], int]) -> dict[str, int]:
    return {table: count_rows(table) for table in TABLES}


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"email": "not-an-email"}, 422, "validation_error", "email"),
        ({"email": "a@b@example.com"}, 422, "validation_error", "email"),
        ({"email": 42}, 422, "validation_error", "email"),
        ({"password": "short7!"}, 422, "validation_error", "password"),
        ({"password": "x" * 257}, 422, "validation_error", "password"),
        ({"password": "password123"}, 422, "weak_password", None),
        ({"password": "QWERTYUIOP"}, 422, "weak_password", None),
        ({"password": "newcomer"}, 422, "weak_password", None),
        ({"password": "aaaaaaaaaaaa"}, 422, "weak_password", None),
        ({"date_of_birth": "2008-03-02"}, 422, "underage", None),  # 18 tomorrow
        ({"date_of_birth": "2030-01-01"}, 422, "invalid_input", None),
        ({"date_of_birth": "1990-02-30"}, 422, "validation_error", "date_of_birth"),
        ({"date_of_birth": 19900101}, 422, "validation_error", "date_of_birth"),
        ({"username": ["list"]}, 422, "validation_error", "username"),
        ({"username": "a b"}, 422, "validation_error", "username"),
        ({"username": "x"}, 422, "validation_error", "username"),
        ({"roles": ["admin"]}, 422, "validation_error", "roles"),
        ({"full_name": ""}, 422, "validation_error", "full_name"),
    ],
)
def test_bad_registration_changes_nothing(
    client: TestClient,
    count_rows: Callable[[str], int],
    change: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    before = _counts(count_rows)
    response = client.post("/api/auth/register", json={**GOOD, **change})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    if field is not None:
        assert ["body", field] in [e["loc"][:2] for e in body["errors"]]
    assert _counts(count_rows) == before
    secret = client.app.state.platform.settings.dev_mailbox_secret.get_secret_value()  # type: ignore[attr-defined]
    mail = client.get(
        "/api/dev/mailbox", params={"to": "new@example.com"}, headers={"X-Dev-Secret": secret}
    )
    assert mail.json() == []


def test_eighteen_today_is_old_enough(client: TestClient, clock: Any) -> None:
    assert clock().date().isoformat() == "2026-03-01"
    response = client.post("/api/auth/register", json={**GOOD, "date_of_birth": "2008-03-01"})
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"{not json", {"content-type": "application/json"}),
        (b"[]", {"content-type": "application/json"}),
        (b"null", {"content-type": "application/json"}),
        (b"email=a@b.c", {"content-type": "application/x-www-form-urlencoded"}),
    ],
)
def test_malformed_bodies(
    client: TestClient,
    count_rows: Callable[[str], int],
    content: bytes,
    headers: dict[str, str],
) -> None:
    before = _counts(count_rows)
    response = client.post("/api/auth/register", content=content, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert _counts(count_rows) == before


def test_bad_profile_update_changes_nothing(client: TestClient, api: Any) -> None:
    account = api.account()
    taken = api.account()
    before = client.get("/api/users/me", headers=account.headers).json()
    for body, code in (
        ({"username": "no spaces"}, "validation_error"),
        ({"full_name": 7}, "validation_error"),
        ({"username": taken.username}, "username_taken"),
    ):
        response = client.patch("/api/users/me", json=body, headers=account.headers)
        assert 400 <= response.status_code < 500
        assert response.json()["code"] == code
    assert client.get("/api/users/me", headers=account.headers).json() == before


def test_bad_path_and_query_parameters(client: TestClient, api: Any) -> None:
    admin = api.admin()
    bad_id = client.get("/api/users/not-a-uuid", headers=admin.headers)
    assert bad_id.status_code == 422
    assert bad_id.json()["errors"][0]["loc"] == ["path", "user_id"]
    too_many = client.get("/api/admin/users", params={"limit": 10_000}, headers=admin.headers)
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["loc"] == ["query", "limit"]


# -- strict integers and plain text (issue 12, findings 7 and 8) ---------------------------

NOT_INTEGERS = [True, False, "0", "1", 1.0, 0.0, [1], {"n": 1}]


@pytest.mark.parametrize("value", NOT_INTEGERS, ids=repr)
def test_quantities_indexes_and_amounts_are_strict_integers(
    client: TestClient, make_lot_desk: Callable[..., Any], value: Any
) -> None:
    desk = make_lot_desk()
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    before = client.get(f"/api/lots/{lot['id']}").json()
    for url, body in (
        (f"/api/lots/{lot['id']}/entries/purchase", {"bundle_index": value}),
        (f"/api/lots/{lot['id']}/entries/purchase-with-credits", {"tickets": value}),
        ("/api/payments/create-checkout-session", {"lot_id": lot["id"], "bundle_index": value}),
    ):
        response = client.post(
            url, json=body, headers={**player.headers, "Idempotency-Key": desk.key()}
        )
        assert response.status_code == 422, (url, response.text)
        assert response.json()["code"] == "validation_error"
    assert client.get(f"/api/lots/{lot['id']}").json() == before
    assert client.get("/api/users/me/entries", headers=player.headers).json()["items"] == []

    admin = desk.admin.headers
    product_url = f"/api/admin/product-classes/{lot['product']['product_class_id']}"
    product = client.get(product_url, headers=admin).json()
    bodies = [{"retail_value_cents": value}]
    if not isinstance(value, str | bool):  # a specification may be text or yes/no
        bodies.append({"specifications": {"case_mm": value}})
    for body in bodies:
        response = client.patch(product_url, json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
    assert client.get(product_url, headers=admin).json() == product

    created = desk.create()
    for body in (
        {"funding_target_cents": value},
        {"max_tickets_per_user": value},
        {"non_winner_credit_rate_percent": value},
        {"entry_bundles": [{"price_cents": value, "tickets": 1}]},
        {"entry_bundles": [{"price_cents": 200, "tickets": value}]},
    ):
        response = client.patch(f"/api/lots/{created['id']}", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
    unchanged = client.get(f"/api/lots/{created['id']}", headers=admin).json()
    assert unchanged["funding"] == created["funding"]
    assert unchanged["entry_bundles"] == created["entry_bundles"]
    assert unchanged["max_tickets_per_user"] == created["max_tickets_per_user"]


CONTROLS = ["\x00", "\x07", "\x1b[31m", "\r", "\x7f", "\x85", "\u202e", "\u2066", "\u2069"]


@pytest.mark.parametrize("control", CONTROLS, ids=repr)
def test_free_text_refuses_control_characters_and_bidi_overrides(
    client: TestClient, make_lot_desk: Callable[..., Any], control: str
) -> None:
    desk = make_lot_desk()
    admin = desk.admin.headers
    text = f"Ada{control}Lovelace"
    response = client.post(
        "/api/auth/register", json={**GOOD, "email": "ctl@example.com", "full_name": text}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "full_name"]
    assert response.json()["errors"][0]["type"] == "string_pattern_mismatch"
    assert response.json()["errors"][0]["message"] == (
        "must not contain control characters or bidirectional overrides"
    )
    response = client.post(
        "/api/auth/register", json={**GOOD, "email": "ctl@example.com", "username": f"ad{control}a"}
    )
    assert response.status_code == 422, response.text
    me = client.get("/api/users/me", headers=admin).json()
    # A line feed or other whitespace at either end of a field is stripped, not stored.
    edges = [] if control.isspace() else [{"full_name": f"{control}Ada"}]
    for body in ({"full_name": text}, {"username": f"ad{control}a"}, *edges):
        response = client.patch("/api/users/me", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
    assert client.get("/api/users/me", headers=admin).json() == me

    lot = desk.create()
    for body in (
        {"title": f"A {control}watch"},
        {"trivia_question": f"Which{control} maker?"},
        {"trivia_answer": f"Ro{control}lex"},
    ):
        response = client.patch(f"/api/lots/{lot['id']}", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
    product_url = f"/api/admin/product-classes/{lot['product']['product_class_id']}"
    for body in (
        {"name": f"Sub{control}mariner"},
        {"brand": f"Rol{control}ex"},
        {"description": f"Ref.{control} 126610LN"},
        {"specifications": {f"case{control}": 41}},
        {"specifications": {"movement": f"32{control}35"}},
        {"images": [f"https://img.example.com/{control}.jpg"]},
    ):
        response = client.patch(product_url, json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
    open_lot = desk.open_lot()
    player = desk.player()
    response = client.post(
        f"/api/lots/{open_lot['id']}/trivia/attempt",
        json={"answer": f"Ro{control}lex"},
        headers=player.headers,
    )
    assert response.status_code == 422, response.text


def test_descriptions_keep_line_feeds_and_tabs(
    client: TestClient, make_lot_desk: Callable[..., Any]
) -> None:
    desk = make_lot_desk()
    description = "Ref. 126610LN\n\tBlack dial, Oystersteel\n"
    product = desk.product_class(description=description, name="Submariner Date")
    assert product["description"] == description
    for field in ("name", "brand"):
        response = client.post(
            "/api/admin/product-classes",
            json={**GOOD_PRODUCT, field: "Line one\nline two"},
            headers=desk.admin.headers,
        )
        assert response.status_code == 422, (field, response.text)


GOOD_PRODUCT = {
    "name": "Speedmaster",
    "brand": "Omega",
    "category": "watch",
    "tier": "GRAIL",
    "retail_value_cents": 700_000,
}


@pytest.mark.parametrize(
    "deadline", ["9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00Z"]
)
def test_a_deadline_no_column_can_hold_is_refused(
    client: TestClient, make_lot_desk: Callable[..., Any], deadline: str
) -> None:
    desk = make_lot_desk()
    admin = desk.admin.headers
    created = client.post("/api/lots", json=desk.lot_body(deadline=deadline), headers=admin)
    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["loc"] == ["body", "deadline"]
    lot = desk.create()
    changed = client.patch(f"/api/lots/{lot['id']}", json={"deadline": deadline}, headers=admin)
    assert changed.status_code == 422, changed.text
    extended = client.post(
        f"/api/admin/lots/{lot['id']}/extend",
        json={"deadline": deadline, "reason": "a later date"},
        headers=admin,
    )
    assert extended.status_code == 422, extended.text
    assert extended.json()["errors"][0]["loc"] == ["body", "deadline"]
    assert client.get(f"/api/lots/{lot['id']}", headers=admin).json()["deadline"] == lot["deadline"]
