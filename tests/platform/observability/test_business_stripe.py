"""Purchases paid through Stripe Checkout count when their payment is applied, not when
they are asked for; a stored webhook event that fails to apply counts as a failure.

Stripe is the fake Stripe server of the payments suite (the outside world, at its
network boundary); everything of ours is real.
"""

from __future__ import annotations

from typing import Any

from tests.platform.observability.reading import moved, series, snapshot
from tests.platform.payments.conftest import (  # noqa: F401 (fixtures)
    client,
    fake_stripe,
    stripe_overrides,
    till,
)


def test_a_checkout_purchase_counts_once_paid_and_a_failed_event_counts_as_a_failure(
    till: Any,  # noqa: F811
    domain_lines: Any,
) -> None:
    lot = till.open_lot(funding_target_cents=400)
    ada, bob = till.player(lot["id"]), till.player(lot["id"])
    before = snapshot()
    late = till.buy(ada, lot["id"], 1)  # pending: asked for, not paid
    funding = till.buy(bob, lot["id"], 1)
    assert moved(before, snapshot()) == {}
    assert domain_lines("entries_purchased") == []

    paid = till.deliver(till.fake.pay(funding["payment"]["payment_id"])[1])
    assert paid.status_code == 200, paid.text
    changes = moved(before, snapshot())
    assert changes[series("alot_purchases_total", method="cash")] == 1
    assert changes[series("alot_gmv_cents_total")] == funding["amount_cents"] == 500
    assert changes[series("alot_lots_funded_total")] == 1
    (bought,) = domain_lines("entries_purchased")
    assert (bought["purchase_id"], bought["cash_cents"]) == (funding["id"], 500)
    assert bought["task_id"] is not None  # applied by the payment_event task

    # Ada paid after the lot was funded: her payment is refunded, but Stripe is down.
    till.fake.fail("/v1/refunds", "timeout", times=3)
    ada_paid = till.fake.pay(late["payment"]["payment_id"])[1]
    assert till.deliver(ada_paid).status_code == 200
    assert moved(before, snapshot())[series("alot_webhook_failures_total", provider="stripe")] == 1
    (failed,) = domain_lines("webhook_failed")
    assert (failed["provider"], failed["provider_event_id"]) == ("stripe", ada_paid["id"])
    assert "PaymentProviderUnavailable" in failed["error"]
    assert len(domain_lines("entries_purchased")) == 1  # the late payment bought nothing
