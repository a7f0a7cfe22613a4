"""GET /api/payments/config (which provider is active, public) and the default Checkout
return URL (the web client is served by the platform, at ALOT_PUBLIC_URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alot_platform.config import Settings
from alot_platform.payments.provider import payment_provider_from_settings
from fastapi.testclient import TestClient


def test_the_sandbox_says_test_mode_to_anyone(make_client: Any) -> None:
    client: TestClient = make_client()  # the sandbox: the suite's default provider
    response = client.get("/api/payments/config")
    assert response.status_code == 200
    assert response.json() == {
        "provider": "sandbox",
        "test_mode": True,
        "completes_at_once": True,
    }


def test_stripe_says_checkout_and_its_mode(client: TestClient) -> None:
    # `client` here pays through the fake Stripe with a test key.
    assert client.get("/api/payments/config").json() == {
        "provider": "stripe",
        "test_mode": True,
        "completes_at_once": False,
    }


def _success_url(
    overrides: dict[str, Any], fake: Any, tmp_path: Path, key: str, **more: Any
) -> str:
    provider = payment_provider_from_settings(
        Settings(env="test", var_dir=tmp_path, **{**overrides, **more})
    )
    charge = provider.charge(
        amount_cents=500,
        currency="USD",
        idempotency_key=key,
        description="1 ticket",
        metadata={"purchase_id": "p-1", "lot_id": "l-1", "user_id": "u-1"},
    )
    url: str = fake.sessions[charge.payment_id]["success_url"]
    return url


def test_checkout_returns_to_the_public_url_by_default(
    stripe_overrides: dict[str, Any], fake_stripe: Any, tmp_path: Path
) -> None:
    default = _success_url(
        stripe_overrides,
        fake_stripe,
        tmp_path,
        "purchase:p-1",
        public_url="https://alot.example.com/",
        frontend_origin="https://elsewhere.example.com",
    )
    assert default == (
        "https://alot.example.com/checkout/success?purchase=p-1&session_id={CHECKOUT_SESSION_ID}"
    )
    chosen = _success_url(
        stripe_overrides,
        fake_stripe,
        tmp_path,
        "purchase:p-2",
        public_url="https://alot.example.com",
        stripe_checkout_return_url="https://app.example.com/pay/",
    )
    assert chosen.startswith("https://app.example.com/pay/success?purchase=p-1&")
