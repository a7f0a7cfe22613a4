"""Authentication end to end over HTTP: register, verify, login, refresh, logout, expiry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

PASSWORD = "correct-horse-battery"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["type"] == f"urn:alot:problem:{code}"
    assert body["status"] == status
    return body


def test_register_verify_login_and_read_me(client: TestClient, api: Any) -> None:
    email, _ = api.register("Ada.Lovelace@Example.COM", username="Ada_L")
    assert email == "Ada.Lovelace@Example.COM"
    tokens = api.login("ada.lovelace@example.com")
    me = client.get("/api/users/me", headers=_bearer(tokens["access_token"])).json()
    assert me["email"] == "ada.lovelace@example.com"  # normalized
    assert me["username"] == "ada_l"
    assert me["verified_email"] is False
    assert me["roles"] == ["player"]
    assert me["full_name"] == "Ada Lovelace"
    assert me["date_of_birth"] == "1990-05-17"

    api.verify("ada.lovelace@example.com")
    me = client.get("/api/users/me", headers=_bearer(tokens["access_token"])).json()
    assert me["verified_email"] is True


def test_verification_token_works_once(client: TestClient, api: Any) -> None:
    email, _ = api.register()
    token = api.token_from_mail(email, "Confirm")
    assert client.post("/api/auth/verify-email", json={"token": token}).status_code == 204
    again = client.post("/api/auth/verify-email", json={"token": token})
    _problem(again, 401, "invalid_token")


def test_verification_token_expires(client: TestClient, api: Any, clock: Any) -> None:
    email, _ = api.register()
    token = api.token_from_mail(email, "Confirm")
    clock.advance(hours=48, seconds=1)
    _problem(client.post("/api/auth/verify-email", json={"token": token}), 401, "invalid_token")
    tokens = api.login(email)
    assert (
        client.get("/api/users/me", headers=_bearer(tokens["access_token"])).json()[
            "verified_email"
        ]
        is False
    )


def test_resend_verification(client: TestClient, api: Any) -> None:
    account = api.account(verified=False)
    response = client.post("/api/auth/verify-email/resend", headers=account.headers)
    assert response.status_code == 202
    assert len([m for m in api.mailbox(account.email) if "Confirm" in m["subject"]]) == 2
    api.verify(account.email)
    assert client.get("/api/users/me", headers=account.headers).json()["verified_email"] is True


def test_resend_verification_to_an_email_typed_answers_alike_for_every_address(
    client: TestClient, api: Any
) -> None:
    waiting, _ = api.register()  # registered, not confirmed yet
    confirmed = api.account()
    answers = [
        client.post("/api/auth/verify-email/resend", json={"email": email})
        for email in (waiting.upper(), confirmed.email, "nobody-here@example.com")
    ]
    assert {a.status_code for a in answers} == {202}
    assert len({a.text for a in answers}) == 1  # nothing tells the addresses apart
    confirms = [m for m in api.mailbox(waiting) if "Confirm" in m["subject"]]
    assert len(confirms) == 2  # the registration's and the resent one
    assert len([m for m in api.mailbox(confirmed.email) if "Confirm" in m["subject"]]) == 1
    assert api.mailbox("nobody-here@example.com") == []
    api.verify(waiting)  # the newest link works
    _problem(client.post("/api/auth/verify-email/resend", json={}), 401, "not_authenticated")
    not_an_email = client.post("/api/auth/verify-email/resend", json={"email": "x"})
    _problem(not_an_email, 422, "validation_error")


def test_logout_everywhere_ends_every_session_of_the_user(client: TestClient, api: Any) -> None:
    account = api.account()
    second = api.login(account.email)
    bystander = api.account()
    response = client.post("/api/auth/logout-everywhere", headers=account.headers)
    assert response.status_code == 204, response.text
    for token in (account.access_token, second["access_token"]):
        _problem(client.get("/api/users/me", headers=_bearer(token)), 401, "invalid_token")
    for refresh in (account.refresh_token, second["refresh_token"]):
        refreshed = client.post("/api/auth/refresh", json={"refresh_token": refresh})
        _problem(refreshed, 401, "invalid_token")
    assert client.get("/api/users/me", headers=bystander.headers).status_code == 200
    api.login(account.email)  # the password still works: only the sessions ended
    _problem(client.post("/api/auth/logout-everywhere"), 401, "not_authenticated")


def test_login_failures_do_not_reveal_whether_the_email_exists(
    client: TestClient, api: Any
) -> None:
    email, _ = api.register()
    wrong_password = client.post(
        "/api/auth/login", json={"email": email, "password": "not-the-password"}
    )
    unknown_email = client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "not-the-password"}
    )
    first = _problem(wrong_password, 401, "invalid_credentials")
    second = _problem(unknown_email, 401, "invalid_credentials")
    assert (first["title"], first["detail"]) == (second["title"], second["detail"])


def test_registering_a_known_email_answers_the_same_and_tells_the_owner(
    client: TestClient, api: Any, count_rows: Callable[[str], int]
) -> None:
    email, _ = api.register("owner@example.com", username="owner")
    users_before = count_rows("users")
    again = client.post(
        "/api/auth/register",
        json={
            "email": "OWNER@example.com",
            "username": "intruder",
            "password": "another-good-passphrase",
            "date_of_birth": "1980-01-01",
        },
    )
    fresh = client.post(
        "/api/auth/register",
        json={
            "email": "fresh@example.com",
            "username": "fresh",
            "password": "another-good-passphrase",
            "date_of_birth": "1980-01-01",
        },
    )
    assert again.status_code == fresh.status_code == 202
    assert again.json() == fresh.json()
    assert count_rows("users") == users_before + 1  # only "fresh"
    subjects = [m["subject"] for m in api.mailbox(email)]
    assert "Someone tried to register with your email" in subjects
    # The intruder's password does not work on the existing account.
    failed = client.post(
        "/api/auth/login", json={"email": email, "password": "another-good-passphrase"}
    )
    _problem(failed, 401, "invalid_credentials")


def test_username_taken_is_a_conflict(client: TestClient, api: Any) -> None:
    api.register(username="taken")
    response = client.post(
        "/api/auth/register",
        json={
            "email": "other@example.com",
            "username": "TAKEN",
            "password": PASSWORD,
            "date_of_birth": "1990-01-01",
        },
    )
    _problem(response, 409, "username_taken")


def test_refresh_rotates_and_reuse_revokes_the_family(
    client: TestClient, api: Any, clock: Any
) -> None:
    account = api.account()
    first = client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != account.refresh_token
    assert client.get("/api/users/me", headers=_bearer(rotated["access_token"])).status_code == 200

    # The old refresh token is replayed after the grace window (e.g. it was stolen):
    # the whole session dies.
    clock.advance(seconds=11)
    replay = client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    _problem(replay, 401, "refresh_token_reused")
    after = client.post("/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    _problem(after, 401, "invalid_token")
    _problem(
        client.get("/api/users/me", headers=_bearer(rotated["access_token"])), 401, "invalid_token"
    )
    _problem(client.get("/api/users/me", headers=account.headers), 401, "invalid_token")

    # Other sessions of the same user are untouched.
    other = api.login(account.email)
    assert client.get("/api/users/me", headers=_bearer(other["access_token"])).status_code == 200


def test_logout_ends_the_session(client: TestClient, api: Any) -> None:
    account = api.account()
    other = api.login(account.email)
    assert client.post("/api/auth/logout", headers=account.headers).status_code == 204
    _problem(client.get("/api/users/me", headers=account.headers), 401, "invalid_token")
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    _problem(refreshed, 401, "invalid_token")
    assert client.get("/api/users/me", headers=_bearer(other["access_token"])).status_code == 200


def test_logout_with_only_the_refresh_token(client: TestClient, api: Any) -> None:
    account = api.account()
    response = client.post("/api/auth/logout", json={"refresh_token": account.refresh_token})
    assert response.status_code == 204
    _problem(client.get("/api/users/me", headers=account.headers), 401, "invalid_token")


def test_logout_with_an_expired_access_token_still_ends_the_refresh_token(
    client: TestClient, api: Any, clock: Any
) -> None:
    account = api.account()
    clock.advance(minutes=16)  # the access token has expired; the refresh token has not
    response = client.post(
        "/api/auth/logout",
        json={"refresh_token": account.refresh_token},
        headers=account.headers,
    )
    assert response.status_code == 204
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    _problem(refreshed, 401, "invalid_token")


def test_access_token_expires_after_15_minutes(client: TestClient, api: Any, clock: Any) -> None:
    account = api.account()
    clock.advance(minutes=14, seconds=59)
    assert client.get("/api/users/me", headers=account.headers).status_code == 200
    clock.advance(seconds=1)
    _problem(client.get("/api/users/me", headers=account.headers), 401, "invalid_token")
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    assert refreshed.status_code == 200
    assert (
        client.get("/api/users/me", headers=_bearer(refreshed.json()["access_token"])).status_code
        == 200
    )


def test_refresh_token_expires_after_7_days(client: TestClient, api: Any, clock: Any) -> None:
    account = api.account()
    clock.advance(days=7)
    response = client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
    _problem(response, 401, "invalid_token")


def test_tokens_are_only_accepted_as_their_own_type(client: TestClient, api: Any) -> None:
    account = api.account()
    # Verified once (and remembered by the codec), it is still only an access token.
    assert client.get("/api/users/me", headers=account.headers).status_code == 200
    as_access = client.get("/api/users/me", headers=_bearer(account.refresh_token))
    _problem(as_access, 401, "invalid_token")
    as_refresh = client.post("/api/auth/refresh", json={"refresh_token": account.access_token})
    _problem(as_refresh, 401, "invalid_token")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda claims: jwt.encode(claims, "", algorithm="none"), id="alg-none"),
        pytest.param(
            lambda claims: jwt.encode(claims, "x" * 32, algorithm="HS256"), id="wrong-key"
        ),
        pytest.param(lambda claims: jwt.encode(claims, "x" * 64, algorithm="HS512"), id="hs512"),
    ],
)
def test_forged_tokens_are_refused(
    client: TestClient, api: Any, forge: Callable[[dict[str, Any]], str]
) -> None:
    account = api.account()
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    response = client.get("/api/users/me", headers=_bearer(forge(claims)))
    _problem(response, 401, "invalid_token")


def test_tokens_for_another_audience_or_issuer_are_refused(client: TestClient, api: Any) -> None:
    account = api.account()
    platform = client.app.state.platform  # type: ignore[attr-defined]
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    for change in ({"aud": "someone-else"}, {"iss": "someone-else"}):
        token = jwt.encode({**claims, **change}, platform.keys.jwt, algorithm="HS256")
        _problem(client.get("/api/users/me", headers=_bearer(token)), 401, "invalid_token")
    # The same claims re-signed unchanged are accepted: the refusals above are the changes.
    same = jwt.encode(claims, platform.keys.jwt, algorithm="HS256")
    assert client.get("/api/users/me", headers=_bearer(same)).status_code == 200


def test_password_change_revokes_every_session(client: TestClient, api: Any) -> None:
    account = api.account()
    second = api.login(account.email)
    wrong = client.post(
        "/api/auth/password/change",
        headers=account.headers,
        json={"current_password": "not-it-at-all", "new_password": "a-brand-new-passphrase"},
    )
    _problem(wrong, 403, "wrong_password")
    response = client.post(
        "/api/auth/password/change",
        headers=account.headers,
        json={"current_password": PASSWORD, "new_password": "a-brand-new-passphrase"},
    )
    assert response.status_code == 204, response.text
    for token in (account.access_token, second["access_token"]):
        _problem(client.get("/api/users/me", headers=_bearer(token)), 401, "invalid_token")
    _problem(
        client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]}),
        401,
        "invalid_token",
    )
    failed = client.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
    _problem(failed, 401, "invalid_credentials")
    api.login(account.email, "a-brand-new-passphrase")


def test_password_reset(client: TestClient, api: Any) -> None:
    account = api.account()
    known = client.post("/api/auth/password-reset/request", json={"email": account.email})
    unknown = client.post("/api/auth/password-reset/request", json={"email": "no@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert api.mailbox("no@example.com") == []

    token = api.token_from_mail(account.email, "Reset")
    weak = client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": "password123"}
    )
    _problem(weak, 422, "weak_password")
    done = client.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "new_password": "reset-to-this-passphrase"},
    )
    assert done.status_code == 204, done.text  # the weak attempt did not use up the token
    again = client.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "new_password": "and-once-more-please"},
    )
    _problem(again, 401, "invalid_token")
    _problem(client.get("/api/users/me", headers=account.headers), 401, "invalid_token")
    api.login(account.email, "reset-to-this-passphrase")


def test_reset_token_expires_and_is_not_a_verification_token(
    client: TestClient, api: Any, clock: Any
) -> None:
    account = api.account(verified=False)
    client.post("/api/auth/password-reset/request", json={"email": account.email})
    token = api.token_from_mail(account.email, "Reset")
    _problem(client.post("/api/auth/verify-email", json={"token": token}), 401, "invalid_token")
    clock.advance(hours=1)
    expired = client.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "new_password": "reset-to-this-passphrase"},
    )
    _problem(expired, 401, "invalid_token")


def test_bcrypt_hashes_verify_and_are_upgraded_at_login(client: TestClient, api: Any) -> None:
    import bcrypt
    from sqlalchemy import text

    account = api.account()
    legacy = bcrypt.hashpw(b"legacy-bcrypt-pass", bcrypt.gensalt(rounds=12)).decode()
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE users SET hashed_password = :h WHERE email = :e"),
            {"h": legacy, "e": account.email},
        )
    api.login(account.email, "legacy-bcrypt-pass")
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT hashed_password FROM users WHERE email = :e"), {"e": account.email}
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    api.login(account.email, "legacy-bcrypt-pass")


def test_argon2_parameters_are_upgraded_at_login(
    make_client: Callable[..., TestClient], db_url: str
) -> None:
    from sqlalchemy import text

    weak = make_client()
    weak_api_email = "cost@example.com"
    weak.post(
        "/api/auth/register",
        json={
            "email": weak_api_email,
            "username": "cost",
            "password": PASSWORD,
            "date_of_birth": "1990-01-01",
        },
    )
    stronger = make_client(argon2_time_cost=2)
    assert (
        stronger.post(
            "/api/auth/login", json={"email": weak_api_email, "password": PASSWORD}
        ).status_code
        == 200
    )
    engine = stronger.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT hashed_password FROM users WHERE email = :e"), {"e": weak_api_email}
        ).scalar_one()
    assert ",t=2," in stored
