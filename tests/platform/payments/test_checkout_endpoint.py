"""POST /api/payments/create-checkout-session: a cash purchase by another name, pending
with Stripe until its webhook, under the purchase's Idempotency-Key rules."""

from __future__ import annotations

import uuid
from typing import Any


def _create(till: Any, account: Any, body: dict[str, Any], key: str | None) -> Any:
    headers = dict(account.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return till.client.post("/api/payments/create-checkout-session", json=body, headers=headers)


def test_a_checkout_session_is_a_pending_purchase_until_stripe_says_paid(till: Any) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    before = till.census()
    body = {"lot_id": lot["id"], "bundle_index": 1}

    assert _create(till, ada, body, None).json()["code"] == "idempotency_key_required"
    missing = _create(till, ada, {**body, "lot_id": str(uuid.uuid4())}, "k-missing")
    assert missing.status_code == 404
    assert _create(till, ada, {**body, "bundle_index": 9}, "k-bundle").status_code == 422
    assert till.census() == before

    created = _create(till, ada, body, "k-1")
    assert created.status_code == 202, created.text
    purchase = created.json()
    assert purchase["status"] == "pending"
    session_id = purchase["payment"]["payment_id"]
    assert till.fake.sessions[session_id]["metadata"]["purchase_id"] == purchase["id"]
    again = _create(till, ada, body, "k-1")
    assert (again.status_code, again.json()["id"]) == (200, purchase["id"])
    conflict = _create(till, ada, {**body, "bundle_index": 0}, "k-1")
    assert conflict.json()["code"] == "idempotency_conflict"
    assert till.fake.created("/v1/checkout/sessions") == 1

    till.deliver(till.fake.pay(session_id)[1])
    assert till.purchase(purchase["id"])["status"] == "succeeded"
    assert till.lot(lot["id"])["tickets_sold"] == 3


def test_stripe_down_is_a_503_and_records_nothing(till: Any) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    till.fake.fail("/v1/checkout/sessions", "500", times=3)
    before = till.census()
    response = _create(till, ada, {"lot_id": lot["id"], "bundle_index": 0}, "k-down")
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "payment_provider_unavailable"
    assert till.census() == before
