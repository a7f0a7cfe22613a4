"""Stripe delivers each event more than once, at once and out of order: whatever the
deliveries, a purchase ends with one set of tickets, one ledger entry, one state."""

from __future__ import annotations

import itertools
import random
from typing import Any


def _event_sequence(till: Any, purchase: dict[str, Any]) -> list[dict[str, Any]]:
    """A purchase's events as Stripe sends them: a declined card, then the payment."""
    session_id = purchase["payment"]["payment_id"]
    declined = till.fake.event(
        "payment_intent.payment_failed",
        {
            "id": "pi_declined",
            "object": "payment_intent",
            "metadata": {"purchase_id": purchase["id"]},
            "last_payment_error": {"message": "Your card was declined."},
        },
    )
    intent_succeeded, completed = till.fake.pay(session_id)
    return [declined, intent_succeeded, completed]


def _end_state(till: Any, purchase_id: str) -> dict[str, Any]:
    row = till.purchase(purchase_id)
    [(refs, metadata)] = [
        (refs, metadata)
        for refs, metadata in till.ledger("entry_purchase")
        if refs["purchase_id"] == purchase_id
    ]
    return {
        "status": row["status"],
        "has_ledger_seq": row["ledger_seq"] is not None,
        "payment_is_intent": row["provider_payment_id"].startswith("pi_"),
        "session_kept": row["provider_checkout_session_id"].startswith("cs_"),
        "ledger_refs": sorted(refs),
        "ledger_tickets": metadata["tickets"],
        "events": sorted(
            till.event_row(event_id)["outcome"] for event_id in till.events_of(purchase_id)
        ),
    }


def test_five_concurrent_copies_of_every_event_make_one_set_of_tickets(till: Any) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    purchase = till.buy(ada, lot["id"], 1)
    events = _event_sequence(till, purchase)
    deliveries = [event for event in events for _ in range(5)]
    random.Random(6).shuffle(deliveries)
    before = till.census()

    statuses = till.deliver_at_once(deliveries)

    assert statuses == [200] * 15
    after = till.census()
    assert after["payment_events"] == before["payment_events"] + 3
    assert after["lot_entries"] == before["lot_entries"] + 1
    # The purchase and Stripe's processing fee on it, each once.
    assert after["ledger_transactions"] == before["ledger_transactions"] + 2
    assert len(till.ledger("payment_processing_fee")) == 1
    assert till.lot(lot["id"])["tickets_sold"] == 3
    state = _end_state(till, purchase["id"])
    assert state["status"] == "succeeded"
    assert state["events"] == ["allocated", "already_done", "noted"]
    assert all(till.event_row(event["id"])["processed_at"] for event in events)


def test_every_order_of_a_purchase_s_events_ends_in_the_same_state(till: Any) -> None:
    lot = till.open_lot()
    states = []
    for order in itertools.permutations(range(3)):
        player = till.player(lot["id"])
        purchase = till.buy(player, lot["id"], 1)
        events = _event_sequence(till, purchase)
        for index in order:
            assert till.deliver(events[index]).status_code == 200
        # A late repeat of the whole sequence changes nothing.
        for event in events:
            assert till.deliver(event).json()["status"] == "duplicate"
        states.append(_end_state(till, purchase["id"]))

    assert all(state == states[0] for state in states), states
    assert states[0]["status"] == "succeeded"
    assert till.lot(lot["id"])["tickets_sold"] == 3 * 6
    assert len(till.ledger("entry_purchase")) == 6


def test_five_concurrent_copies_of_a_late_payment_s_events_refund_it_once(till: Any) -> None:
    lot = till.open_lot(funding_target_cents=500)
    ada, bob = till.player(lot["id"]), till.player(lot["id"])
    late = till.buy(ada, lot["id"], 1)
    events = till.fake.pay(late["payment"]["payment_id"])
    funding = till.buy(bob, lot["id"], 1)
    till.deliver(till.fake.pay(funding["payment"]["payment_id"])[1])
    deliveries = [event for event in events for _ in range(5)]
    random.Random(7).shuffle(deliveries)

    assert till.deliver_at_once(deliveries) == [200] * 10

    row = till.purchase(late["id"])
    assert (row["status"], row["refunded_cents"]) == ("refunded", 500)
    assert till.fake.created("/v1/refunds") == 1
    assert len(till.ledger("payment_late_refund")) == 1
    # Stripe keeps its fee on a refunded payment: both payments' fees, each once.
    fees = [refs["purchase_id"] for refs, _ in till.ledger("payment_processing_fee")]
    assert sorted(fees) == sorted([late["id"], funding["id"]])
    assert till.lot(lot["id"])["tickets_sold"] == 3
    outcomes = sorted(till.event_row(event["id"])["outcome"] for event in events)
    assert outcomes == ["already_done", "late_refund"]
    refunds_mailed = [m for m in till.mails_to(ada.email) if "refunded" in m["subject"]]
    assert len(refunds_mailed) == 1
