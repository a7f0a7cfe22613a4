"""Identity checks (the sandbox provider; Stripe Identity in
tests/platform/payments/test_compliance_with_stripe.py) and country rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient


def _register(client: TestClient, name: str, **more: Any) -> Any:
    return client.post(
        "/api/auth/register",
        json={
            "email": f"{name}@example.com",
            "username": name,
            "password": "correct-horse-battery",
            "date_of_birth": "1990-05-17",
            **more,
        },
    )


def test_identity_required_before_cash_purchases(
    make_client: Callable[..., TestClient],
    make_lot_desk: Callable[..., Any],
    services: Any,
) -> None:
    strict = make_client(identity_required="first_cash_purchase")
    desk = make_lot_desk(on=strict)
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    refused = desk.buy(player, lot["id"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "identity_required"
    assert strict.app.state.platform.payments.charges == []  # type: ignore[attr-defined]

    # Credits are not cash: no check needed.
    services.grant_credits(player.id, 100)
    assert desk.buy_with_credits(player, lot["id"], 1).status_code == 201

    started = strict.post("/api/users/me/identity", headers=player.headers)
    assert started.status_code == 200, started.text
    check = started.json()
    assert check["provider"] == "sandbox"
    assert check["status"] == "verified"
    assert check["verified_identity"] is True
    assert check["url"].endswith("/account?identity=verified")
    me = strict.get("/api/users/me", headers=player.headers).json()
    assert me["verified_identity"] is True

    assert desk.buy(player, lot["id"]).status_code == 201


def test_identity_required_above_a_lifetime_threshold(
    make_client: Callable[..., TestClient], make_lot_desk: Callable[..., Any]
) -> None:
    # Bundles cost 200 and 500 cents: 700 may be spent unverified, not 900.
    client = make_client(identity_required="above_threshold", identity_threshold_cents=700)
    desk = make_lot_desk(on=client)
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    assert desk.buy(player, lot["id"], 1).status_code == 201
    assert desk.buy(player, lot["id"], 0).status_code == 201
    refused = desk.buy(player, lot["id"], 0)
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["code"] == "identity_required"
    assert problem["spent_cents"] == 700
    assert problem["threshold_cents"] == 700
    client.post("/api/users/me/identity", headers=player.headers)
    assert desk.buy(player, lot["id"], 0).status_code == 201


def test_registration_with_a_country_allow_list(make_client: Callable[..., TestClient]) -> None:
    client = make_client(allowed_countries="gb, IE")
    terms = client.get("/api/terms").json()
    assert terms["allowed_countries"] == ["GB", "IE"]
    assert terms["selectable_countries"] == ["GB", "IE"]
    assert terms["country_required"] is True

    missing = _register(client, "nocountry")
    assert missing.status_code == 422, missing.text
    assert missing.json()["code"] == "country_required"

    elsewhere = _register(client, "faraway", country="US")
    assert elsewhere.status_code == 403, elsewhere.text
    assert elsewhere.json()["code"] == "country_not_allowed"
    assert elsewhere.json()["country"] == "US"

    unknown = _register(client, "nowhere", country="ZZ")
    assert unknown.status_code == 422, unknown.text

    welcome = _register(client, "dubliner", country="ie")
    assert welcome.status_code == 202, welcome.text


def test_country_is_optional_without_an_allow_list(client: TestClient, api: Any) -> None:
    assert _register(client, "anywhere").status_code == 202
    assert _register(client, "lisboeta", country="PT").status_code == 202
    account = api.account()
    assert client.get("/api/users/me", headers=account.headers).json()["country"] is None


def test_purchases_from_a_country_outside_the_list_are_refused(
    make_client: Callable[..., TestClient], make_lot_desk: Callable[..., Any]
) -> None:
    desk = make_lot_desk()
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    behind_proxy = make_client(allowed_countries="GB", country_header="CF-IPCountry")

    def buy(**headers: str) -> Any:
        return behind_proxy.post(
            f"/api/lots/{lot['id']}/entries/purchase",
            json={"bundle_index": 0},
            headers={**player.headers, "Idempotency-Key": desk.key(), **headers},
        )

    refused = buy(**{"CF-IPCountry": "US"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "country_not_allowed"
    assert refused.json()["country"] == "US"
    assert buy(**{"CF-IPCountry": "GB"}).status_code == 201
    # No header (or the proxy's "unknown"): nothing to refuse on.
    assert buy().status_code == 201
    assert buy(**{"CF-IPCountry": "XX"}).status_code == 201

    # A header nobody configured as trusted is not read.
    untrusting = make_client(allowed_countries="GB")
    ignored = untrusting.post(
        f"/api/lots/{lot['id']}/entries/purchase",
        json={"bundle_index": 0},
        headers={**player.headers, "Idempotency-Key": desk.key(), "CF-IPCountry": "US"},
    )
    assert ignored.status_code == 201, ignored.text
