"""Compliance with Stripe: a new terms version and a required identity check refuse the
checkout path before any Checkout Session is created; Stripe Identity's signed webhook
verifies the player's identity (the fake Stripe at the HTTP boundary, the real stripe
library's signatures)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient


def test_new_terms_refuse_checkout_until_accepted(
    till: Any, make_client: Callable[..., TestClient], stripe_overrides: dict[str, Any]
) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    bumped = make_client(**stripe_overrides, terms_version="2027-03-01")
    body = {"lot_id": lot["id"], "bundle_index": 0}
    headers = {**ada.headers, "Idempotency-Key": "k-terms-1"}
    refused = bumped.post("/api/payments/create-checkout-session", json=body, headers=headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "terms_not_accepted"
    assert refused.json()["terms_version"] == "2027-03-01"
    assert till.fake.created("/v1/checkout/sessions") == 0

    accepted = bumped.post(
        "/api/users/me/terms",
        json={"terms_version": "2027-03-01", "privacy_version": "2026-12-01"},
        headers=ada.headers,
    )
    assert accepted.status_code == 200, accepted.text
    created = bumped.post("/api/payments/create-checkout-session", json=body, headers=headers)
    assert created.status_code == 202, created.text
    assert till.fake.created("/v1/checkout/sessions") == 1


def test_stripe_identity_webhook_unlocks_cash_purchases(
    make_client: Callable[..., TestClient],
    make_lot_desk: Callable[..., Any],
    stripe_overrides: dict[str, Any],
    fake_stripe: Any,
    signer: Callable[..., str],
) -> None:
    client = make_client(**stripe_overrides, identity_required="first_cash_purchase")
    desk = make_lot_desk(on=client)
    till_like = _Deliverer(client, signer)
    lot = desk.open_lot()
    ada = desk.player(lot["id"])

    refused = desk.buy(ada, lot["id"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "identity_required"
    assert fake_stripe.created("/v1/checkout/sessions") == 0

    started = client.post("/api/users/me/identity", headers=ada.headers)
    assert started.status_code == 200, started.text
    check = started.json()
    assert check["provider"] == "stripe"
    assert check["status"] == "pending"
    assert check["verified_identity"] is False
    session = fake_stripe.verification_sessions[check["check_id"]]
    assert check["url"] == session["url"]
    assert session["metadata"] == {"user_id": ada.id}
    assert session["return_url"].endswith("/account")

    # Needs input first: nothing changes.
    receipt = till_like.deliver(fake_stripe.identity_outcome(check["check_id"], "requires_input"))
    assert receipt.status_code == 200, receipt.text
    assert client.get("/api/users/me", headers=ada.headers).json()["verified_identity"] is False
    assert desk.buy(ada, lot["id"]).status_code == 403

    # A forged delivery (wrong signature) verifies nobody.
    forged = till_like.deliver(
        fake_stripe.identity_outcome(check["check_id"]), signature="t=1,v1=deadbeef"
    )
    assert forged.status_code == 400
    assert client.get("/api/users/me", headers=ada.headers).json()["verified_identity"] is False

    verified = till_like.deliver(fake_stripe.identity_outcome(check["check_id"]))
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "applied"
    assert client.get("/api/users/me", headers=ada.headers).json()["verified_identity"] is True

    bought = desk.buy(ada, lot["id"])
    assert bought.status_code == 202, bought.text
    assert fake_stripe.created("/v1/checkout/sessions") == 1


class _Deliverer:
    """Signed webhook deliveries to ``client`` (the suite's `Till` delivers to its own)."""

    def __init__(self, client: TestClient, signer: Callable[..., str]) -> None:
        self.client = client
        self.signer = signer

    def deliver(self, event: dict[str, Any], *, signature: str | None = None) -> Any:
        payload = json.dumps(event)
        return self.client.post(
            "/api/webhooks/stripe",
            content=payload,
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": signature if signature is not None else self.signer(payload),
            },
        )
