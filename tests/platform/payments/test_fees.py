"""Stripe's processing fee on each paid purchase, read from the charge's balance
transaction and posted to the ledger once (also when Stripe publishes it late or is
unreachable); reconcile lists a fee not posted or not the one Stripe took; the sandbox
posts none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alot_platform.cli import main
from alot_platform.scheduler import run_tick
from click.testing import CliRunner


def _paid(till: Any, lot_id: str, bundle_index: int = 1) -> tuple[dict[str, Any], list[Any]]:
    """A purchase its buyer paid at Stripe, and Stripe's events for it (not delivered)."""
    purchase = till.buy(till.player(lot_id), lot_id, bundle_index)
    events = till.fake.pay(purchase["payment"]["payment_id"])
    return purchase, events


def _charge_of(till: Any, purchase_id: str) -> dict[str, Any]:
    intent = till.purchase(purchase_id)["provider_payment_id"]
    charge: dict[str, Any] = till.fake.charges[till.fake.intents[intent]["latest_charge"]]
    return charge


def test_a_paid_purchase_posts_stripe_s_fee_once_with_stripe_s_ids(till: Any) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    purchase = till.buy(ada, lot["id"], 1)  # 5.00: Stripe keeps 0.45
    events = till.fake.pay(purchase["payment"]["payment_id"])

    till.deliver(events[1])

    charge = _charge_of(till, purchase["id"])
    balance = till.fake.balance_transactions[charge["balance_transaction"]]
    assert balance["fee"] == 45
    [(refs, metadata)] = till.ledger("payment_processing_fee")
    assert refs == {
        "lot_id": lot["id"],
        "purchase_id": purchase["id"],
        "user_id": ada.id,
        "payment_intent": charge["payment_intent"],
        "charge": charge["id"],
        "balance_transaction": balance["id"],
    }
    assert metadata == {"fee_cents": 45, "fee_details": [{"type": "stripe_fee", "amount": 45}]}
    assert till.ledger_balance("platform:processing_fees", "USD") == -45
    # Cash held: the 5.00 taken, less what Stripe kept.
    assert -till.ledger_balance("platform:cash", "USD") == 500 - 45
    [fee] = till.rows("payment_fees", purchase_id=purchase["id"])
    assert (fee["status"], fee["fee_cents"], fee["charge"]) == ("posted", 45, charge["id"])

    # The payment's other event, a tick and reconcile's look change nothing.
    till.deliver(events[0])
    till.clock.advance(minutes=5)
    assert run_tick(till.platform).fees_posted == 0
    assert len(till.ledger("payment_processing_fee")) == 1


def test_a_fee_stripe_publishes_late_stays_due_and_the_tick_posts_it_once(till: Any) -> None:
    lot = till.open_lot()
    till.fake.hold_balance_transactions = True
    purchase, events = _paid(till, lot["id"], 0)  # 2.00: Stripe keeps 0.36

    till.deliver(events[1])

    assert till.purchase(purchase["id"])["status"] == "succeeded"  # tickets do not wait
    [fee] = till.rows("payment_fees", purchase_id=purchase["id"])
    assert (fee["status"], fee["attempts"]) == ("due", 1)
    assert "not published" in fee["last_error"]
    assert till.ledger("payment_processing_fee") == []
    assert run_tick(till.platform).fees_waiting == 1
    assert till.ledger("payment_processing_fee") == []

    till.fake.publish_balance_transaction(_charge_of(till, purchase["id"])["id"])
    first, second = run_tick(till.platform), run_tick(till.platform)

    assert (first.fees_posted, first.fees_waiting) == (1, 0)
    assert (second.fees_posted, second.fees_waiting) == (0, 0)
    [(_refs, metadata)] = till.ledger("payment_processing_fee")
    assert metadata["fee_cents"] == 36
    assert till.rows("payment_fees", purchase_id=purchase["id"])[0]["status"] == "posted"


def test_stripe_unreachable_when_the_fee_is_read_leaves_it_due_for_the_tick(till: Any) -> None:
    lot = till.open_lot()
    purchase, events = _paid(till, lot["id"])
    till.fake.fail("/v1/payment_intents", "500", times=3)  # every try of the library

    till.deliver(events[1])

    [fee] = till.rows("payment_fees", purchase_id=purchase["id"])
    assert fee["status"] == "due"
    assert "PaymentProviderUnavailable" in fee["last_error"]
    assert run_tick(till.platform).fees_posted == 1
    assert len(till.ledger("payment_processing_fee")) == 1


def test_a_late_payment_refunded_in_full_still_posts_the_fee_stripe_kept(till: Any) -> None:
    lot = till.open_lot(funding_target_cents=500)
    late, late_events = _paid(till, lot["id"])
    funding, funding_events = _paid(till, lot["id"])
    till.deliver(funding_events[1])

    till.deliver(late_events[1])

    assert till.purchase(late["id"])["status"] == "refunded"
    fees = {
        refs["purchase_id"]: meta["fee_cents"]
        for refs, meta in till.ledger("payment_processing_fee")
    }
    assert fees == {late["id"]: 45, funding["id"]: 45}
    assert till.ledger_balance("platform:processing_fees", "USD") == -90


def test_reconcile_lists_a_fee_not_posted_and_a_fee_that_differs(
    till: Any, cli_env: Callable[..., dict[str, str]]
) -> None:
    lot = till.open_lot()
    posted, posted_events = _paid(till, lot["id"])
    till.deliver(posted_events[1])
    till.fake.hold_balance_transactions = True
    waiting, waiting_events = _paid(till, lot["id"])
    till.deliver(waiting_events[1])
    env = cli_env()
    runner = CliRunner()
    # A fee Stripe has not published yet is nothing to compare.
    clean = runner.invoke(main, ["payments", "reconcile"], env=env)
    assert clean.exit_code == 0, clean.output

    till.fake.publish_balance_transaction(_charge_of(till, waiting["id"])["id"])
    balance = _charge_of(till, posted["id"])["balance_transaction"]
    till.fake.balance_transactions[balance]["fee"] = 50  # Stripe says otherwise now

    found = runner.invoke(main, ["payments", "reconcile"], env=env)
    assert found.exit_code == 1
    assert f"FAIL: purchase:{waiting['id']} fee_not_posted" in found.output
    assert f"FAIL: purchase:{posted['id']} fee_differs: ours fee 45 posted;" in found.output
    assert found.output.count("FAIL:") == 2


def test_the_sandbox_takes_no_fee_and_posts_none(
    make_client: Callable[..., Any], make_lot_desk: Callable[..., Any]
) -> None:
    sandbox = make_client()  # the default provider
    desk = make_lot_desk(on=sandbox)
    lot = desk.open_lot()
    bought = desk.buy(desk.player(lot["id"]), lot["id"], 1)
    assert bought.status_code == 201, bought.text
    assert bought.json()["status"] == "succeeded"
    engine = sandbox.app.state.platform.database.engine
    with engine.connect() as connection:
        kinds = [
            row[0] for row in connection.exec_driver_sql("SELECT kind FROM ledger_transactions")
        ]
        fees = connection.exec_driver_sql("SELECT count(*) FROM payment_fees").scalar_one()
    assert "entry_purchase" in kinds
    assert "payment_processing_fee" not in kinds
    assert fees == 0
