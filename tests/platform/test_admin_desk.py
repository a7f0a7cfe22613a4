"""The admin desk's own endpoints: the overview counts, the credits reconciliation over
HTTP (what `alot reconcile` prints), and the account search of the user list."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alot_platform.payments.models import PaymentEvent
from fastapi.testclient import TestClient
from sqlalchemy import text

from .conftest import Api, FakeClock, Services


def test_reconciliation_is_ok_when_every_balance_matches_the_ledger(
    client: TestClient, api: Api, services: Services, clock: FakeClock
) -> None:
    admin = api.admin()
    ada = api.account()
    services.grant_credits(ada.id, 500)

    response = client.get("/api/admin/reconciliation", headers=admin.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "ok": True,
        "checked_at": body["checked_at"],
        "scope": "credits",
        "differences": [],
    }
    assert body["checked_at"].startswith(clock.now.isoformat()[:19])


def test_reconciliation_names_every_balance_that_differs_from_the_ledger(
    client: TestClient, api: Api, services: Services
) -> None:
    admin = api.admin()
    ada, bob, cy = api.account(), api.account(), api.account()
    services.grant_credits(ada.id, 300)
    services.grant_credits(bob.id, 200)
    services.grant_credits(cy.id, 100)
    engine = services.platform.database.engine

    def stored(user_id: str) -> str:
        return uuid.UUID(user_id).hex if engine.dialect.name == "sqlite" else user_id

    with engine.begin() as connection:
        # A balance nudged without its ledger transaction, and a projection row lost.
        connection.execute(
            text("UPDATE user_universal_credits SET balance = balance + 7 WHERE user_id = :u"),
            {"u": stored(ada.id)},
        )
        connection.execute(
            text("DELETE FROM user_universal_credits WHERE user_id = :u"), {"u": stored(bob.id)}
        )

    body = client.get("/api/admin/reconciliation", headers=admin.headers).json()

    assert body["ok"] is False
    assert sorted(
        (d["account"], d["asset"], d["ledger_balance_credits"], d["projected_balance_credits"])
        for d in body["differences"]
    ) == sorted(
        [(f"user:{ada.id}:credits", "CRD", 300, 307), (f"user:{bob.id}:credits", "CRD", 200, None)]
    )


@pytest.mark.parametrize("path", ["/api/admin/reconciliation", "/api/admin/overview"])
def test_the_desk_endpoints_are_for_admins_only(client: TestClient, api: Api, path: str) -> None:
    player = api.account()
    assert client.get(path).status_code == 401
    refused = client.get(path, headers=player.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "missing_role"


def test_the_overview_counts_lots_by_status_and_payment_events(
    client: TestClient, make_lot_desk: Any, services: Services
) -> None:
    desk = make_lot_desk()
    desk.open_lot()
    desk.open_lot()
    desk.create()
    now = desk.clock.now
    with services.session() as session:
        for event_id, processed, outcome in [
            ("evt_unapplied", None, None),
            ("evt_disputed", now, "disputed"),
            ("evt_applied", now, "applied"),  # done: nothing to look at
        ]:
            session.add(
                PaymentEvent(
                    id=event_id,
                    provider="stripe",
                    type="checkout.session.completed",
                    payload={},
                    provider_created_at=now,
                    received_at=now,
                    processed_at=processed,
                    outcome=outcome,
                )
            )

    response = client.get("/api/admin/overview", headers=desk.admin.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lots_by_status"] == {
        "created": 1,
        "open": 2,
        "funded": 0,
        "drawing": 0,
        "settled": 0,
        "expired": 0,
        "refunding": 0,
        "closed": 0,
    }
    assert body["payment_events_needing_attention"] == 2
    assert body["failed_tasks"] == 0  # counted in test_dead_tasks


def test_the_user_list_searches_email_and_username(client: TestClient, api: Api) -> None:
    admin = api.admin()
    api.account(username="marigold_x", email="m.one@example.com")
    api.account(username="someone", email="MARIGOLD@example.org")
    api.account(username="other", email="other@example.com")

    def found(q: str) -> set[str]:
        response = client.get("/api/admin/users", params={"q": q}, headers=admin.headers)
        assert response.status_code == 200, response.text
        return {u["username"] for u in response.json()["items"]}

    assert found("Marigold") == {"marigold_x", "someone"}
    assert found("other@") == {"other"}
    assert found("%") == set()  # a wildcard is a character, not a pattern
    assert client.get("/api/admin/users?q=", headers=admin.headers).status_code == 422


def test_a_search_pages_with_its_cursor(client: TestClient, api: Api) -> None:
    admin = api.admin()
    for n in range(3):
        api.account(username=f"pager{n}")
    api.account(username="unrelated")
    first = client.get(
        "/api/admin/users", params={"q": "pager", "limit": 2}, headers=admin.headers
    ).json()
    assert len(first["items"]) == 2
    rest = client.get(
        "/api/admin/users",
        params={"q": "pager", "limit": 2, "cursor": first["next_cursor"]},
        headers=admin.headers,
    ).json()
    assert len(rest["items"]) == 1
    assert {u["username"] for u in first["items"] + rest["items"]} == {"pager0", "pager1", "pager2"}
    assert rest["next_cursor"] is None
