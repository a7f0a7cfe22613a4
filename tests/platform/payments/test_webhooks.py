"""POST /api/webhooks/stripe: signed by the stripe library's own helper, verified by the
library, stored once; anything unsigned, tampered, stale or malformed writes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text


def _paid_event(till: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    purchase = till.buy(ada, lot["id"], 1)
    intent_succeeded, completed = till.fake.pay(purchase["payment"]["payment_id"])
    return purchase, intent_succeeded, completed


def test_a_signed_completed_checkout_is_stored_and_applied(till: Any) -> None:
    purchase, _intent_event, completed = _paid_event(till)
    before = till.census()

    response = till.deliver(completed)

    assert response.status_code == 200, response.text
    assert response.json() == {"event_id": completed["id"], "status": "stored"}
    after = till.census()
    assert after["payment_events"] == before["payment_events"] + 1
    assert after["lot_entries"] == before["lot_entries"] + 1
    row = till.purchase(purchase["id"])
    assert row["status"] == "succeeded"
    assert row["provider_payment_id"] == completed["data"]["object"]["payment_intent"]
    assert row["provider_checkout_session_id"] == completed["data"]["object"]["id"]

    again = till.deliver(completed)
    assert again.json() == {"event_id": completed["id"], "status": "duplicate"}
    assert till.census() == after


def _bad_deliveries(
    sign: Callable[..., str], event: dict[str, Any]
) -> list[tuple[str, str, str | None]]:
    """(why, body, Stripe-Signature) for deliveries that must be refused."""
    body = json.dumps(event)
    tampered = json.loads(body)
    tampered["data"]["object"]["amount_total"] = 1
    stale = int(time.time()) - 301
    return [
        ("wrong secret", body, sign(body, secret="whsec_someone_else")),
        ("tampered body", json.dumps(tampered), sign(body)),
        ("stale timestamp", body, sign(body, timestamp=stale)),
        ("no signature", body, None),
        ("garbled header", body, "t=abc,v1=00"),
    ]


def test_bad_signatures_tampered_bodies_and_stale_timestamps_write_nothing(
    till: Any, signer: Callable[..., str]
) -> None:
    purchase, _intent_event, completed = _paid_event(till)
    before = till.census()

    for why, body, signature in _bad_deliveries(signer, completed):
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        response = till.client.post("/api/webhooks/stripe", content=body, headers=headers)
        assert response.status_code == 400, why
        assert response.json()["code"] == "invalid_webhook_signature", why
        assert till.census() == before, why

    assert till.purchase(purchase["id"])["status"] == "pending"
    # The genuine delivery still works afterwards.
    assert till.deliver(completed).json()["status"] == "stored"


def test_other_event_types_are_acknowledged_and_dropped(till: Any) -> None:
    before = till.census()
    event = till.fake.event("customer.created", {"id": "cus_1", "object": "customer"})
    response = till.deliver(event)
    assert response.status_code == 200
    assert response.json() == {"event_id": event["id"], "status": "ignored"}
    assert till.census() == before


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"id": "evt_1", "type": "charge.refunded", "created": 1}),
        json.dumps({"id": "", "type": "charge.refunded", "created": 1, "data": {"object": {}}}),
    ],
)
def test_a_signed_but_malformed_event_is_a_400_and_writes_nothing(
    till: Any, signer: Callable[..., str], body: str
) -> None:
    before = till.census()
    response = till.client.post(
        "/api/webhooks/stripe",
        content=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signer(body)},
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_webhook_payload"
    assert till.census() == before


def test_without_a_webhook_secret_nothing_is_verified_against_an_empty_key(
    make_client: Callable[..., TestClient], signer: Callable[..., str]
) -> None:
    sandbox = make_client(payment_provider="sandbox", stripe_webhook_secret=None)
    body = json.dumps({"id": "evt_1", "type": "charge.refunded", "created": 1, "data": {}})
    for signature in (signer(body, secret="whsec_x"), signer(body)):
        response = sandbox.post(
            "/api/webhooks/stripe",
            content=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        assert response.status_code == 404
    engine = sandbox.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM payment_events")).scalar_one() == 0
