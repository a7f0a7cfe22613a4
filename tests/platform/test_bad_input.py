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
