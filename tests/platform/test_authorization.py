"""Deny by default: roles, IDOR, and every non-public route refusing anonymous callers."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import pytest
from alot_platform.app import create_app
from alot_platform.auth.dependencies import require_roles, require_verified_email
from alot_platform.config import Settings
from alot_platform.users.models import Role, User
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

PUBLIC_ROUTES = {
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/refresh",
    "/api/auth/logout",
    "/api/auth/verify-email",
    "/api/auth/password-reset/request",
    "/api/auth/password-reset/confirm",
    # A lot's draw record and proof are public: anyone may re-check a draw.
    "/api/lots/{lot_id}/draw",
    "/api/lots/{lot_id}/draw/proof",
    # The ledger's checkpoints, key, consistency and inclusion proofs are hashes and
    # signatures only (an inclusion proof's transaction is for its party and readers).
    "/api/ledger/checkpoint",
    "/api/ledger/checkpoints/{size}",
    "/api/ledger/verifier-key",
    "/api/ledger/proofs/consistency",
    "/api/ledger/proofs/inclusion",
    # The latest checkpoint with the witnesses' cosignatures: signatures only.
    "/api/ledger/checkpoint/cosigned",
    # Which terms and privacy versions are current, read before registering.
    "/api/terms",
    # Stripe's signature authenticates its webhook deliveries (payments/webhooks.py).
    "/api/webhooks/stripe",
    # Which payment provider is active (sandbox or Stripe, test mode or not).
    "/api/payments/config",
}
# Discovery is open to anyone (the same paths take admin writes, which must still refuse).
PUBLIC_READS = {
    ("GET", "/api/lots"),
    ("GET", "/api/lots/{lot_id}"),
    ("GET", "/api/lots/{lot_id}/entries"),
    ("GET", "/api/lots/private/{token}"),
    ("GET", "/api/hosts/{host_id:uuid}"),
    ("GET", "/api/hosts/{host_id:uuid}/lots"),
    ("GET", "/api/ledger/checkpoints"),
}


def test_every_other_api_route_refuses_anonymous_callers(client: TestClient, app: FastAPI) -> None:
    checked = 0
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path in PUBLIC_ROUTES:
            continue
        if not (route.path or "").startswith("/api/"):
            continue
        path = (route.path or "").replace("{user_id}", str(uuid.uuid4()))
        for method in route.methods or ():
            if (method, route.path) in PUBLIC_READS:
                continue
            response = client.request(method, path, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["code"] == "not_authenticated"
            checked += 1
    assert checked >= 7


def test_an_unguarded_route_stops_the_app_from_being_built(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alot_platform import app as app_module

    careless = APIRouter()

    @careless.get("/api/careless")
    def open_by_mistake() -> dict[str, str]:
        return {}

    original = app_module._include_routers

    def with_careless(app: FastAPI, settings: Settings) -> None:
        original(app, settings)
        app.include_router(careless)

    monkeypatch.setattr(app_module, "_include_routers", with_careless)
    with pytest.raises(RuntimeError, match="/api/careless"):
        create_app(make_settings())


def test_player_cannot_reach_admin_routes(client: TestClient, api: Any) -> None:
    player = api.account()
    other = api.account()
    for method, path, body in (
        ("GET", "/api/admin/users", None),
        ("GET", f"/api/admin/users/{other.id}", None),
        ("PUT", f"/api/admin/users/{other.id}/roles", {"roles": ["player", "admin"]}),
        ("PUT", f"/api/admin/users/{player.id}/roles", {"roles": ["player", "admin"]}),
        ("PUT", f"/api/admin/users/{other.id}/status", {"status": "banned"}),
    ):
        response = client.request(method, path, json=body, headers=player.headers)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "missing_role"
    assert client.get("/api/users/me", headers=player.headers).json()["roles"] == ["player"]
    assert client.get("/api/users/me", headers=other.headers).json()["status"] == "active"


def test_admin_manages_users(client: TestClient, api: Any) -> None:
    admin = api.admin()
    player = api.account()
    listing = client.get("/api/admin/users", headers=admin.headers)
    assert listing.status_code == 200
    assert {u["email"] for u in listing.json()["items"]} >= {admin.email, player.email}

    promoted = client.put(
        f"/api/admin/users/{player.id}/roles",
        json={"roles": ["player", "host"]},
        headers=admin.headers,
    )
    assert promoted.json()["roles"] == ["host", "player"]

    banned = client.put(
        f"/api/admin/users/{player.id}/status", json={"status": "banned"}, headers=admin.headers
    )
    assert banned.json()["status"] == "banned"
    # A banned user's sessions end and they cannot log back in.
    assert client.get("/api/users/me", headers=player.headers).status_code == 401
    relogin = client.post(
        "/api/auth/login", json={"email": player.email, "password": player.password}
    )
    assert relogin.status_code == 403
    assert relogin.json()["code"] == "account_inactive"

    self_demotion = client.put(
        f"/api/admin/users/{admin.id}/roles", json={"roles": ["player"]}, headers=admin.headers
    )
    assert self_demotion.status_code == 409


def test_user_sees_only_public_fields_of_others(client: TestClient, api: Any) -> None:
    me = api.account()
    other = api.account(full_name="Secret Name")
    response = client.get(f"/api/users/{other.id}", headers=me.headers)
    assert response.json() == {"id": other.id, "username": other.username}
    missing = client.get(f"/api/users/{uuid.uuid4()}", headers=me.headers)
    assert missing.status_code == 404


def test_patch_me_cannot_grant_roles_or_touch_another_account(client: TestClient, api: Any) -> None:
    me = api.account()
    other = api.account()
    for body in (
        {"roles": ["admin"]},
        {"status": "active", "full_name": "x"},
        {"id": other.id, "full_name": "x"},
        {"email": other.email},
        {"verified_email": True},
    ):
        response = client.patch("/api/users/me", json=body, headers=me.headers)
        assert response.status_code == 422, body
    assert client.get("/api/users/me", headers=me.headers).json()["roles"] == ["player"]
    assert client.get("/api/users/me", headers=other.headers).json()["full_name"] == "Ada Lovelace"


def _guarded_app(make_settings: Any, clock: Any) -> FastAPI:
    app = create_app(make_settings(), clock=clock)
    router = APIRouter()

    @router.get("/test/entries")
    def buy_entries(user: Annotated[User, Depends(require_verified_email)]) -> dict[str, str]:
        return {"user": str(user.id)}

    @router.get("/test/audit")
    def audit(
        user: Annotated[User, Depends(require_roles(Role.AUDITOR, Role.ADMIN))],
    ) -> dict[str, str]:
        return {"user": str(user.id)}

    app.include_router(router)
    return app


def test_require_verified_email_and_require_roles(
    client: TestClient, api: Any, make_settings: Any, clock: Any
) -> None:
    unverified = api.account(verified=False)
    verified = api.account()
    admin = api.admin()
    with TestClient(_guarded_app(make_settings, clock), base_url="https://testserver") as other:
        refused = other.get("/test/entries", headers=unverified.headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "email_not_verified"
        assert other.get("/test/entries", headers=verified.headers).status_code == 200
        assert other.get("/test/audit", headers=verified.headers).status_code == 403
        assert other.get("/test/audit", headers=admin.headers).status_code == 200
        assert other.get("/test/audit").status_code == 401
