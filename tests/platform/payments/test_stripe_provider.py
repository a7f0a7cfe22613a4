"""The Stripe provider against a local fake of Stripe, through the real stripe library:
Checkout Sessions and refunds under idempotency keys, retries after 500s and timeouts,
and the settings that select it."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
import stripe
from alot_platform.config import Settings
from alot_platform.payments.provider import payment_provider_from_settings
from alot_platform.payments.sandbox import SandboxInProduction
from alot_platform.payments.stripe_provider import PaymentProviderUnavailable, StripeProvider
from pydantic import ValidationError

METADATA = {"purchase_id": "p-1", "lot_id": "l-1", "user_id": "u-1"}


def _provider(overrides: dict[str, Any], tmp_path: Path, **more: Any) -> StripeProvider:
    provider = payment_provider_from_settings(
        Settings(env="test", var_dir=tmp_path, **{**overrides, **more})
    )
    assert isinstance(provider, StripeProvider)
    return provider


def _charge(provider: StripeProvider, key: str = "purchase:p-1", amount: int = 500) -> Any:
    return provider.charge(
        amount_cents=amount,
        currency="USD",
        idempotency_key=key,
        description="3 ticket(s) in lot l-1",
        metadata=METADATA,
    )


def test_a_charge_is_a_pending_checkout_session_linked_to_the_purchase(
    stripe_overrides: dict[str, Any], fake_stripe: Any, tmp_path: Path
) -> None:
    provider = _provider(stripe_overrides, tmp_path)
    assert (provider.name, provider.test_mode) == ("stripe", True)

    charge = _charge(provider)

    assert charge.status == "pending"
    assert charge.payment_id.startswith("cs_test_")
    assert charge.checkout_url == f"https://checkout.stripe.test/c/pay/{charge.payment_id}"
    session = fake_stripe.sessions[charge.payment_id]
    assert (session["amount_total"], session["currency"], session["mode"]) == (
        500,
        "usd",
        "payment",
    )
    assert session["metadata"] == METADATA
    assert session["payment_intent_metadata"] == METADATA
    assert session["client_reference_id"] == "p-1"
    assert ("POST", "/v1/checkout/sessions", "purchase:p-1") in fake_stripe.requests


def test_a_pending_payment_s_checkout_url_can_be_asked_again_while_open(
    stripe_overrides: dict[str, Any], fake_stripe: Any, tmp_path: Path
) -> None:
    provider = _provider(stripe_overrides, tmp_path)
    charge = _charge(provider)
    assert provider.checkout_url(charge.payment_id) == charge.checkout_url
    fake_stripe.expire(charge.payment_id)
    assert provider.checkout_url(charge.payment_id) is None


def test_the_same_key_names_the_same_session_and_other_params_are_refused(
    stripe_overrides: dict[str, Any], fake_stripe: Any, tmp_path: Path
) -> None:
    provider = _provider(stripe_overrides, tmp_path)
    first = _charge(provider)
    assert _charge(provider) == first
    assert fake_stripe.created("/v1/checkout/sessions") == 1

    with pytest.raises(stripe.IdempotencyError):
        _charge(provider, amount=700)
    assert fake_stripe.created("/v1/checkout/sessions") == 1
    assert _charge(provider, key="purchase:p-2").payment_id != first.payment_id


def test_server_errors_and_timeouts_are_retried_under_the_same_key(
    stripe_overrides: dict[str, Any], fake_stripe: Any, tmp_path: Path
) -> None:
    provider = _provider(stripe_overrides, tmp_path)
    fake_stripe.fail("/v1/checkout/sessions", "500")
    charge = _charge(provider, key="purchase:after-500")
    assert fake_stripe.created("/v1/checkout/sessions") == 1

    # The session is made but the answer comes too late: the retry gets the same one.
    fake_stripe.fail("/v1/checkout/sessions", "timeout")
    late = _charge(provider, key="purchase:after-timeout")
    assert fake_stripe.created("/v1/checkout/sessions") == 2
    assert late.payment_id != charge.payment_id
    # Each was retried, and every try carried the purchase's key, never a fresh one.
    keys = [key for method, _path, key in fake_stripe.requests if method == "POST"]
    assert set(keys) == {"purchase:after-500", "purchase:after-timeout"}
    assert keys.count("purchase:after-500") >= 2
    assert keys.count("purchase:after-timeout") >= 2


def test_stripe_down_is_a_clear_503_not_a_crash(
    stripe_overrides: dict[str, Any], fake_stripe: Any, tmp_path: Path
) -> None:
    provider = _provider(stripe_overrides, tmp_path)
    fake_stripe.fail("/v1/checkout/sessions", "500", times=3)
    with pytest.raises(PaymentProviderUnavailable) as raised:
        _charge(provider)
    assert raised.value.status_code == 503
    assert fake_stripe.created("/v1/checkout/sessions") == 0


def test_refunds_go_through_the_refund_api_once_per_key(
    stripe_overrides: dict[str, Any], fake_stripe: Any, tmp_path: Path
) -> None:
    provider = _provider(stripe_overrides, tmp_path)
    charge = _charge(provider)
    fake_stripe.pay(charge.payment_id)
    intent = fake_stripe.sessions[charge.payment_id]["payment_intent"]

    # By the session's id (what a pending purchase stores) or by the payment intent.
    refund = provider.refund(charge.payment_id, 490, "refund:p-1")
    assert refund.status == "succeeded"
    assert refund.refund_id.startswith("re_")
    fake_stripe.fail("/v1/refunds", "timeout")
    assert provider.refund(intent, 490, "refund:p-1") == refund
    assert fake_stripe.created("/v1/refunds") == 1
    assert fake_stripe.refunds[refund.refund_id]["amount"] == 490

    with pytest.raises(stripe.InvalidRequestError, match="greater than unrefunded"):
        provider.refund(intent, 11, "refund:p-1-more")
    payment = provider.payment(charge.payment_id)
    assert (payment.payment_intent_id, payment.status) == (intent, "succeeded")
    assert (payment.amount_cents, payment.refunded_cents) == (500, 490)


def test_a_refund_whose_answer_never_comes_fails_and_the_retry_pays_once(
    stripe_overrides: dict[str, Any], fake_stripe: Any, tmp_path: Path
) -> None:
    provider = _provider(stripe_overrides, tmp_path, stripe_max_network_retries=0)
    charge = _charge(provider)
    fake_stripe.pay(charge.payment_id)
    fake_stripe.fail("/v1/refunds", "timeout")
    with pytest.raises(PaymentProviderUnavailable):
        provider.refund(charge.payment_id, 500, "late-refund:p-1")
    assert fake_stripe.created("/v1/refunds") == 1  # Stripe did refund
    again = provider.refund(charge.payment_id, 500, "late-refund:p-1")
    assert fake_stripe.created("/v1/refunds") == 1
    assert again.refund_id in fake_stripe.refunds


def test_stripe_needs_both_secrets_and_production_still_refuses_the_sandbox(
    tmp_path: Path,
) -> None:
    for missing in ({"stripe_secret_key": None}, {"stripe_webhook_secret": "  "}):
        values: dict[str, Any] = {
            "payment_provider": "stripe",
            "stripe_secret_key": "sk_test_x",
            "stripe_webhook_secret": "whsec_x",
            **missing,
        }
        with pytest.raises(ValidationError, match="ALOT_PAYMENT_PROVIDER=stripe requires"):
            Settings(env="test", var_dir=tmp_path, **values)

    production = {
        "env": "production",
        "var_dir": tmp_path,
        "database_url": "postgresql://db/alot",
        "secret_key": "s" * 40,
        "field_encryption_keys": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "smtp_host": "smtp.example.com",
    }
    with pytest.raises(SandboxInProduction):
        payment_provider_from_settings(Settings(**production))
    live = payment_provider_from_settings(
        Settings(
            **production,
            payment_provider="stripe",
            stripe_secret_key="sk_live_x",
            stripe_webhook_secret="whsec_x",
        )
    )
    assert (live.name, live.test_mode) == ("stripe", False)
