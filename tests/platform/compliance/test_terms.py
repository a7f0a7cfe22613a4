"""Terms and privacy acceptance: recorded at registration with version and time; a new
version refuses every purchase path until the player accepts it (checkout: in
tests/platform/payments/test_compliance_with_stripe.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from alot_platform.compliance.service import require_terms_current
from alot_platform.errors import TermsNotAccepted
from alot_platform.fulfillment.schemas import COUNTRY_CODES
from alot_platform.users.service import UserService
from fastapi.testclient import TestClient
from sqlalchemy import text

NEW_TERMS = "2027-01-15"


def _me(client: TestClient, account: Any) -> dict[str, Any]:
    response = client.get("/api/users/me", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_terms_are_public_and_name_the_current_versions(client: TestClient) -> None:
    response = client.get("/api/terms")
    assert response.status_code == 200, response.text
    body = response.json()
    selectable = body.pop("selectable_countries")
    assert body == {
        "terms": {"version": "2026-12-01", "url": "/terms"},
        "privacy": {"version": "2026-12-01", "url": "/privacy"},
        "allowed_countries": [],
        "country_required": False,
        "identity_required": "never",
    }
    # Without an allow-list every code registration accepts is selectable: the web
    # client's country list comes from here, not from a copy of its own.
    assert selectable == sorted(COUNTRY_CODES)
    assert len(selectable) == 249
    assert {"GB", "IE", "US"} <= set(selectable)


def test_registration_records_acceptance_with_version_and_time(
    client: TestClient, api: Any, clock: Any
) -> None:
    account = api.account()
    terms = _me(client, account)["terms"]
    assert terms == {
        "terms_version": "2026-12-01",
        "privacy_version": "2026-12-01",
        "accepted_terms_version": "2026-12-01",
        "accepted_privacy_version": "2026-12-01",
        "accepted_at": clock.now.isoformat().replace("+00:00", "Z"),
        "current": True,
    }
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT document, version, source FROM terms_acceptances ORDER BY document")
        ).all()
    # The account made by the desk's admin is not involved here: one player only.
    assert [tuple(row) for row in rows] == [
        ("privacy", "2026-12-01", "registration"),
        ("terms", "2026-12-01", "registration"),
    ]


def test_a_new_version_refuses_purchases_until_accepted(
    make_client: Callable[..., TestClient],
    make_lot_desk: Callable[..., Any],
    services: Any,
    clock: Any,
) -> None:
    desk = make_lot_desk()
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    services.grant_credits(player.id, 1_000)
    assert desk.buy(player, lot["id"]).status_code == 201

    # The operator publishes new terms: the same database, served with the new version.
    bumped = make_client(terms_version=NEW_TERMS)
    headers = player.headers
    for path, body in (
        ("purchase", {"bundle_index": 0}),
        ("purchase-with-credits", {"tickets": 1}),
    ):
        refused = bumped.post(
            f"/api/lots/{lot['id']}/entries/{path}",
            json=body,
            headers={**headers, "Idempotency-Key": desk.key()},
        )
        assert refused.status_code == 403, refused.text
        problem = refused.json()
        assert problem["code"] == "terms_not_accepted"
        assert problem["terms_version"] == NEW_TERMS
        assert problem["privacy_version"] == "2026-12-01"

    me = bumped.get("/api/users/me", headers=headers).json()
    assert me["terms"]["current"] is False
    assert me["terms"]["accepted_terms_version"] == "2026-12-01"

    # Accepting what one read before is refused: the text changed.
    stale = bumped.post(
        "/api/users/me/terms",
        json={"terms_version": "2026-12-01", "privacy_version": "2026-12-01"},
        headers=headers,
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "terms_version_outdated"
    assert stale.json()["terms_version"] == NEW_TERMS

    clock.advance(minutes=5)
    accepted = bumped.post(
        "/api/users/me/terms",
        json={"terms_version": NEW_TERMS, "privacy_version": "2026-12-01"},
        headers=headers,
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["current"] is True
    assert accepted.json()["accepted_terms_version"] == NEW_TERMS
    assert accepted.json()["accepted_at"] == clock.now.isoformat().replace("+00:00", "Z")
    # Accepting twice keeps the first time.
    again = bumped.post(
        "/api/users/me/terms",
        json={"terms_version": NEW_TERMS, "privacy_version": "2026-12-01"},
        headers=headers,
    )
    assert again.json()["accepted_at"] == accepted.json()["accepted_at"]

    for path, body in (
        ("purchase", {"bundle_index": 0}),
        ("purchase-with-credits", {"tickets": 1}),
    ):
        bought = bumped.post(
            f"/api/lots/{lot['id']}/entries/{path}",
            json=body,
            headers={**headers, "Idempotency-Key": desk.key()},
        )
        assert bought.status_code == 201, bought.text


def test_a_refused_purchase_takes_no_money(
    make_client: Callable[..., TestClient], make_lot_desk: Callable[..., Any]
) -> None:
    desk = make_lot_desk()
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    bumped = make_client(privacy_version="2027-02-01")
    refused = bumped.post(
        f"/api/lots/{lot['id']}/entries/purchase",
        json={"bundle_index": 1},
        headers={**player.headers, "Idempotency-Key": desk.key()},
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "terms_not_accepted"
    platform = bumped.app.state.platform  # type: ignore[attr-defined]
    assert platform.payments.charges == []
    assert bumped.get(f"/api/lots/{lot['id']}").json()["tickets_sold"] == 0


def test_require_terms_current_is_the_rule_for_other_paths(api: Any, services: Any) -> None:
    """What the free-entry path and others call: the same rule, in the caller's session."""
    account = api.account()
    user_id = uuid.UUID(account.id)
    platform = api.client.app.state.platform
    with services.session() as session:
        require_terms_current(session, user_id, platform.settings)
        bumped = platform.settings.model_copy(update={"terms_version": NEW_TERMS})
        with pytest.raises(TermsNotAccepted) as refused:
            require_terms_current(session, user_id, bumped)
        assert refused.value.extra == {
            "terms_version": NEW_TERMS,
            "privacy_version": "2026-12-01",
        }


def test_accounts_made_by_operator_tools_say_so(
    client: TestClient, platform: Any, services: Any
) -> None:
    """An account an operator's tool made (create-admin, seed-demo, scripts) is recorded
    as created under the current versions, not as a player's acceptance."""
    with services.session() as session:
        user = UserService(session, platform).create(
            email="made@example.com",
            username="made_by_tool",
            hashed_password="not-a-login",
            date_of_birth=None,
        )
        user_id = user.id
    with platform.database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT document, version, source FROM terms_acceptances WHERE user_id = :id"),
            {"id": user_id.hex if platform.database.engine.dialect.name == "sqlite" else user_id},
        ).all()
    assert sorted(tuple(row) for row in rows) == [
        ("privacy", "2026-12-01", "operator"),
        ("terms", "2026-12-01", "operator"),
    ]
