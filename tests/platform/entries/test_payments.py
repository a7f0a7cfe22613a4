"""The payment provider: the sandbox's guarantees, and the pending path a real provider takes."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from alot_platform.config import Settings
from alot_platform.payments.provider import (
    ChargeResult,
    RefundResult,
    payment_provider_from_settings,
)
from alot_platform.payments.sandbox import SandboxInProduction, SandboxPaymentProvider


def _sandbox(tmp_path: Path) -> SandboxPaymentProvider:
    return SandboxPaymentProvider(Settings(env="test", var_dir=tmp_path))


def test_the_sandbox_is_refused_in_production(tmp_path: Path) -> None:
    production = Settings(
        env="production",
        var_dir=tmp_path,
        database_url="postgresql://db/alot",
        secret_key="s" * 40,
        field_encryption_keys=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        smtp_host="smtp.example.com",
    )
    with pytest.raises(SandboxInProduction, match="refused in production"):
        payment_provider_from_settings(production)
    provider = payment_provider_from_settings(Settings(env="development", var_dir=tmp_path))
    assert (provider.name, provider.test_mode) == ("sandbox", True)


def test_sandbox_charges_and_refunds_are_idempotent_by_key(tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path)
    charge = sandbox.charge(
        amount_cents=500, currency="USD", idempotency_key="k1", description="d", metadata={}
    )
    again = sandbox.charge(
        amount_cents=500, currency="USD", idempotency_key="k1", description="d", metadata={}
    )
    other = sandbox.charge(
        amount_cents=500, currency="USD", idempotency_key="k2", description="d", metadata={}
    )
    assert charge == again == ChargeResult("succeeded", charge.payment_id, None)
    assert charge.payment_id.startswith("sandbox_pay_")
    assert other.payment_id != charge.payment_id
    assert len(sandbox.charges) == 2

    refund = sandbox.refund(charge.payment_id, 490, "r1")
    assert refund == sandbox.refund(charge.payment_id, 490, "r1")
    assert refund.refund_id.startswith("sandbox_ref_")
    assert refund.status == "succeeded"
    assert sandbox.refunded_cents(charge.payment_id) == 490
    with pytest.raises(ValueError, match="exceed"):
        sandbox.refund(charge.payment_id, 11, "r2")
    assert sandbox.refund(charge.payment_id, 10, "r3").status == "succeeded"
    # A payment taken before a restart is unknown to this process but still refundable.
    assert _sandbox(tmp_path).refund(charge.payment_id, 100, "r4").status == "succeeded"
    with pytest.raises(ValueError, match="not a sandbox payment"):
        sandbox.refund("pi_live_123", 100, "r5")
    with pytest.raises(ValueError, match="positive"):
        sandbox.charge(
            amount_cents=0, currency="USD", idempotency_key="k3", description="d", metadata={}
        )


class CheckoutProvider:
    """Stands in for a real provider's servers (Stripe): every charge needs a checkout."""

    name = "checkout"
    test_mode = True
    completes_at_once = False

    def __init__(self) -> None:
        self.charged: list[str] = []

    def charge(
        self,
        *,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        metadata: Mapping[str, str],
    ) -> ChargeResult:
        self.charged.append(idempotency_key)
        payment_id = f"pay_{len(self.charged)}"
        return ChargeResult("pending", payment_id, f"https://checkout.example.com/{payment_id}")

    def refund(self, payment_id: str, amount_cents: int, idempotency_key: str) -> RefundResult:
        raise AssertionError("nothing was taken, nothing to refund")

    def checkout_url(self, payment_id: str) -> str | None:
        return f"https://checkout.example.com/{payment_id}"


def test_a_pending_payment_owns_no_tickets_until_it_succeeds(shop: Any) -> None:
    lot = shop.open_lot()
    ada = shop.player(lot["id"])
    shop.platform.payments = CheckoutProvider()
    before = shop.census()

    response = shop.buy(ada, lot["id"], 1, key="pending-1")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert (body["tickets_start"], body["tickets_end"], body["ledger_seq"]) == (None, None, None)
    assert body["payment"] == {
        "provider": "checkout",
        "payment_id": "pay_1",
        "test_mode": True,
        "checkout_url": "https://checkout.example.com/pay_1",
    }
    after = shop.census()
    assert after["lot_entry_purchases"] == before["lot_entry_purchases"] + 1
    assert {k: v for k, v in after.items() if k != "lot_entry_purchases"} == {
        k: v for k, v in before.items() if k != "lot_entry_purchases"
    }
    assert shop.lot_row(lot["id"])["tickets_sold"] == 0

    again = shop.buy(ada, lot["id"], 1, key="pending-1")
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["status"]) == (body["id"], "pending")
    # A client whose first answer was lost can still reach the payment page.
    assert again.json()["payment"]["checkout_url"] == "https://checkout.example.com/pay_1"
    assert shop.platform.payments.charged == [f"purchase:{body['id']}"]
