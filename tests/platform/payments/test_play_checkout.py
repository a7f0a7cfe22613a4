"""Spend limits and exclusion on the Checkout path: refused before the buyer is sent
to pay, and checked again under the lock when the payment arrives (a limit reached or
a time-out started meanwhile refunds the payment in full, as any late refusal does)."""

from __future__ import annotations

from typing import Any


def _limits(till: Any, account: Any, daily_cents: int) -> None:
    response = till.client.put(
        "/api/users/me/play/limits",
        json={"daily_cents": daily_cents, "weekly_cents": None, "monthly_cents": None},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text


def test_a_checkout_over_the_limit_is_refused_before_any_session(till: Any) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    _limits(till, ada, 400)
    sessions = till.fake.created("/v1/checkout/sessions")
    refused = till.desk.buy(ada, lot["id"], 1)  # 500 > 400
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "spend_limit_exceeded"
    assert till.fake.created("/v1/checkout/sessions") == sessions


def test_a_checkout_during_a_time_out_is_refused(till: Any) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    response = till.client.post(
        "/api/users/me/play/time-out", json={"hours": 24, "confirm": True}, headers=ada.headers
    )
    assert response.status_code == 200, response.text
    refused = till.desk.buy(ada, lot["id"], 0)
    assert refused.status_code == 403
    assert refused.json()["code"] == "play_excluded"


def test_a_payment_that_would_pass_the_limit_reached_meanwhile_is_refunded(till: Any) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    _limits(till, ada, 600)
    first = till.buy(ada, lot["id"], 1)  # 500: each checks out under 600 alone
    second = till.buy(ada, lot["id"], 1)
    till.deliver(till.fake.pay(first["payment"]["payment_id"])[1])
    till.deliver(till.fake.pay(second["payment"]["payment_id"])[1])

    assert till.purchase(first["id"])["status"] == "succeeded"
    late = till.purchase(second["id"])
    assert late["status"] == "refunded"
    assert late["refunded_cents"] == 500
    [(refs, metadata)] = till.ledger("payment_late_refund")
    assert refs["purchase_id"] == second["id"]
    assert metadata["reason"] == "spend_limit_exceeded"
    [mail] = [m for m in till.mails_to(ada.email) if "refunded" in m["subject"]]
    assert "spend limit" in mail["body"]


def test_a_payment_arriving_during_a_time_out_is_refunded(till: Any) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    pending = till.buy(ada, lot["id"], 0)
    till.client.post(
        "/api/users/me/play/time-out", json={"hours": 24, "confirm": True}, headers=ada.headers
    )
    till.deliver(till.fake.pay(pending["payment"]["payment_id"])[1])
    assert till.purchase(pending["id"])["status"] == "refunded"
    [(_, metadata)] = till.ledger("payment_late_refund")
    assert metadata["reason"] == "play_excluded"
