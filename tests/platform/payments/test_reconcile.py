"""`alot payments reconcile`: purchases against Stripe's records, every disagreement
listed; `alot payments retry-events` applies what was stored but not applied."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from alot_platform.cli import main
from click.testing import CliRunner
from sqlalchemy import text


def _paid(till: Any, lot_id: str, *, deliver: bool = True) -> dict[str, Any]:
    player = till.player(lot_id)
    purchase = till.buy(player, lot_id, 1)
    events = till.fake.pay(purchase["payment"]["payment_id"])
    if deliver:
        till.deliver(events[1])
    return purchase


def test_reconcile_lists_every_disagreement_with_stripe(
    till: Any, cli_env: Callable[..., dict[str, str]]
) -> None:
    lot = till.open_lot()
    disputed = _paid(till, lot["id"])
    refunded_elsewhere = _paid(till, lot["id"])
    open_checkout = till.buy(till.player(lot["id"]), lot["id"], 0)
    env = cli_env()
    runner = CliRunner()

    clean = runner.invoke(main, ["payments", "reconcile"], env=env)
    assert clean.exit_code == 0, clean.output
    assert "OK: every purchase agrees with the provider's records" in clean.output

    never_delivered = _paid(till, lot["id"], deliver=False)
    intent = till.purchase(refunded_elsewhere["id"])["provider_payment_id"]
    till.platform.payments.refund(intent, 100, "from-the-dashboard")
    till.deliver(till.fake.dispute_event(till.purchase(disputed["id"])["provider_payment_id"]))

    found = runner.invoke(main, ["payments", "reconcile", "--json"], env=env)
    assert found.exit_code == 1, found.output
    report = json.loads(found.output)
    problems = {(row["subject"], row["problem"]) for row in report["disagreements"]}
    assert problems == {
        (f"purchase:{never_delivered['id']}", "paid_not_applied"),
        (f"purchase:{refunded_elsewhere['id']}", "refund_differs"),
        (f"event:{_dispute_event_id(till)}", "event_disputed"),
    }
    assert open_checkout["id"] not in found.output
    text_report = runner.invoke(main, ["payments", "reconcile"], env=env)
    assert text_report.exit_code == 1
    assert f"FAIL: purchase:{refunded_elsewhere['id']} refund_differs" in text_report.output


def _dispute_event_id(till: Any) -> str:
    with till.platform.database.engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT id FROM payment_events WHERE type = 'charge.dispute.created'")
            ).scalar_one()
        )


def test_reconcile_needs_stripe_and_retry_events_applies_what_was_left(
    till: Any, cli_env: Callable[..., dict[str, str]]
) -> None:
    runner = CliRunner()
    sandbox = runner.invoke(
        main,
        ["payments", "reconcile"],
        env=cli_env(ALOT_PAYMENT_PROVIDER="sandbox"),
    )
    assert sandbox.exit_code == 2
    assert "set ALOT_PAYMENT_PROVIDER=stripe" in sandbox.output

    lot = till.open_lot(funding_target_cents=500)
    late = till.buy(till.player(lot["id"]), lot["id"], 1)
    late_events = till.fake.pay(late["payment"]["payment_id"])
    _paid(till, lot["id"])  # funds the lot
    till.fake.fail("/v1/refunds", "500", times=3)
    till.deliver(late_events[1])
    assert till.purchase(late["id"])["status"] == "pending"
    env = cli_env()
    pending = runner.invoke(main, ["payments", "reconcile"], env=env)
    assert pending.exit_code == 1
    assert f"event:{late_events[1]['id']} event_not_applied" in pending.output

    retried = runner.invoke(main, ["payments", "retry-events", "--older-than", "0"], env=env)
    assert retried.exit_code == 0, retried.output
    assert "OK: 1 event(s) applied" in retried.output
    assert till.purchase(late["id"])["status"] == "refunded"
    assert runner.invoke(main, ["payments", "reconcile"], env=env).exit_code == 0
