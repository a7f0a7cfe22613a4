"""The browser path: tokens in HttpOnly cookies, signed double-submit CSRF on writes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct-horse-battery"


def _cookie_login(client: TestClient, email: str) -> dict[str, Any]:
    response = client.post(
        "/api/auth/login", json={"email": email, "password": PASSWORD, "transport": "cookie"}
    )
    assert response.status_code == 200, response.text
    set_cookies = response.headers.get_list("set-cookie")
    by_name = {c.split("=", 1)[0]: c.lower() for c in set_cookies}
    for name in ("alot_access", "alot_refresh"):
        assert "httponly" in by_name[name]
    assert "httponly" not in by_name["alot_csrf"]  # the page's script must read it
    for attributes in by_name.values():
        assert "secure" in attributes
        assert "samesite=lax" in attributes
    assert "path=/api/auth" in by_name["alot_refresh"]
    body: dict[str, Any] = response.json()
    assert body["token_type"] == "cookie"
    assert body["access_token"] is None
    assert body["refresh_token"] is None
    assert body["csrf_token"] == client.cookies.get("alot_csrf")
    return body


def test_cookie_session_reads_without_csrf_and_writes_with_it(client: TestClient, api: Any) -> None:
    email, _ = api.register()
    session = _cookie_login(client, email)
    assert client.get("/api/users/me").json()["email"] == email

    refused = client.patch("/api/users/me", json={"full_name": "Mallory"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert client.get("/api/users/me").json()["full_name"] == "Ada Lovelace"

    forged = client.patch(
        "/api/users/me", json={"full_name": "Mallory"}, headers={"X-CSRF-Token": "abc.def"}
    )
    assert forged.status_code == 403

    accepted = client.patch(
        "/api/users/me",
        json={"full_name": "Ada King"},
        headers={"X-CSRF-Token": session["csrf_token"]},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["full_name"] == "Ada King"


def test_a_csrf_token_from_another_session_is_refused(client: TestClient, api: Any) -> None:
    attacker_email, _ = api.register()
    victim_email, _ = api.register()
    attacker_token = _cookie_login(client, attacker_email)["csrf_token"]
    victim_token = _cookie_login(client, victim_email)["csrf_token"]
    victim_access = client.cookies.get("alot_access")

    def patch_with(csrf: str) -> Any:
        # Cookie and header agree, so only the token's binding to the session can refuse.
        client.cookies.clear()
        client.cookies.set("alot_access", victim_access or "")
        client.cookies.set("alot_csrf", csrf)
        return client.patch(
            "/api/users/me", json={"full_name": "Mallory"}, headers={"X-CSRF-Token": csrf}
        )

    refused = patch_with(attacker_token)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert patch_with(victim_token).status_code == 200


def test_bearer_clients_need_no_csrf(client: TestClient, api: Any) -> None:
    account = api.account()
    response = client.patch("/api/users/me", json={"full_name": "Ada B"}, headers=account.headers)
    assert response.status_code == 200


def test_cookie_refresh_rotates_and_needs_csrf(client: TestClient, api: Any) -> None:
    email, _ = api.register()
    session = _cookie_login(client, email)
    old_refresh = client.cookies.get("alot_refresh")
    refused = client.post("/api/auth/refresh")
    assert refused.status_code == 403
    response = client.post("/api/auth/refresh", headers={"X-CSRF-Token": session["csrf_token"]})
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "cookie"
    assert client.cookies.get("alot_refresh") != old_refresh
    assert client.get("/api/users/me").status_code == 200


def test_cookie_logout_clears_cookies_and_ends_the_session(client: TestClient, api: Any) -> None:
    email, _ = api.register()
    session = _cookie_login(client, email)
    access = client.cookies.get("alot_access")
    assert client.post("/api/auth/logout").status_code == 403  # no CSRF: no forced logout
    response = client.post("/api/auth/logout", headers={"X-CSRF-Token": session["csrf_token"]})
    assert response.status_code == 204
    assert client.cookies.get("alot_access") is None
    client.cookies.set("alot_access", access or "")
    assert client.get("/api/users/me").status_code == 401


def test_cookie_logout_everywhere_needs_csrf_and_clears_cookies(
    client: TestClient, api: Any
) -> None:
    account = api.account()
    session = _cookie_login(client, account.email)
    refused = client.post("/api/auth/logout-everywhere")
    assert refused.status_code == 403  # no CSRF: another site cannot log the user out
    assert client.get("/api/users/me", headers=account.headers).status_code == 200
    response = client.post(
        "/api/auth/logout-everywhere", headers={"X-CSRF-Token": session["csrf_token"]}
    )
    assert response.status_code == 204
    assert client.cookies.get("alot_access") is None
    assert client.get("/api/users/me", headers=account.headers).status_code == 401


def test_bearer_header_wins_over_cookies(client: TestClient, api: Any) -> None:
    cookie_email, _ = api.register()
    _cookie_login(client, cookie_email)
    account = api.account()
    me = client.get("/api/users/me", headers=account.headers).json()
    assert me["email"] == account.email
