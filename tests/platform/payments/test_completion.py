"""A paid Checkout completes its pending purchase exactly like a purchase paid at once;
a payment for a lot that no longer sells is refunded in full and the buyer told why;
refunds, disputes and failures are recorded with Stripe's ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alot_platform.payments.tasks import retry_unprocessed_events
from alot_platform.scheduler import run_tick
from sqlalchemy import text

from .locks import row_lock_free


def test_a_paid_checkout_gets_the_next_tickets_and_the_ledger_names_stripe(till: Any) -> None:
    lot = till.open_lot()
    ada, bob = till.player(lot["id"]), till.player(lot["id"])
    first = till.buy(ada, lot["id"], 1)
    second = till.buy(bob, lot["id"], 0)
    assert first["status"] == second["status"] == "pending"
    assert first["payment"]["checkout_url"].startswith("https://checkout.stripe.test/")
    assert till.lot(lot["id"])["tickets_sold"] == 0

    # Bob pays first: tickets follow payment, not the order of the checkouts.
    till.deliver(till.fake.pay(second["payment"]["payment_id"])[1])
    ada_events = till.fake.pay(first["payment"]["payment_id"])
    till.deliver(ada_events[1])

    bob_row, ada_row = till.purchase(second["id"]), till.purchase(first["id"])
    assert (bob_row["status"], ada_row["status"]) == ("succeeded", "succeeded")
    entries = till.client.get("/api/users/me/entries", headers=ada.headers).json()["items"]
    assert [(e["tickets_start"], e["tickets_end"]) for e in entries] == [(2, 4)]
    after = till.lot(lot["id"])
    assert (after["tickets_sold"], after["status"]) == (4, "open")

    purchases = till.ledger("entry_purchase")
    assert [refs["purchase_id"] for refs, _ in purchases] == [second["id"], first["id"]]
    refs, metadata = purchases[1]
    session = ada_events[1]["data"]["object"]
    assert refs["payment_intent"] == session["payment_intent"]
    assert refs["checkout_session"] == session["id"]
    assert (metadata["tickets_start"], metadata["tickets_end"]) == (2, 4)
    assert till.ledger_balance(f"lot:{lot['id']}:escrow", "USD") == 700
    # The intent's own event, arriving after, finds the work done.
    till.deliver(ada_events[0])
    assert till.event_row(ada_events[0]["id"])["outcome"] == "already_done"
    assert len(till.ledger("entry_purchase")) == 2


def test_the_payment_that_reaches_the_target_funds_the_lot_and_the_draw_runs(till: Any) -> None:
    lot = till.open_lot(funding_target_cents=500)
    ada = till.player(lot["id"])
    purchase = till.buy(ada, lot["id"], 1)
    till.deliver(till.fake.pay(purchase["payment"]["payment_id"])[1])

    assert till.lot(lot["id"])["status"] == "settled"
    draw = till.client.get(f"/api/lots/{lot['id']}/draw").json()
    assert draw["total_tickets"] == 3
    assert draw["winning_ticket"] in (1, 2, 3)
    assert draw["winner_user_id"] == ada.id


def test_a_payment_for_a_lot_funded_meanwhile_is_refunded_in_full_and_explained(
    till: Any,
) -> None:
    lot = till.open_lot(funding_target_cents=500)
    ada, bob = till.player(lot["id"]), till.player(lot["id"])
    late = till.buy(ada, lot["id"], 1)
    funding = till.buy(bob, lot["id"], 1)
    ada_events = till.fake.pay(late["payment"]["payment_id"])
    till.deliver(till.fake.pay(funding["payment"]["payment_id"])[1])
    before = till.census()

    till.deliver(ada_events[1])

    row = till.purchase(late["id"])
    assert row["status"] == "refunded"
    assert row["refunded_cents"] == 500
    refund = till.fake.refunds[row["provider_refund_id"]]
    assert (refund["amount"], refund["payment_intent"]) == (500, row["provider_payment_id"])
    assert ("POST", "/v1/refunds", f"late-refund:{late['id']}") in till.fake.requests
    after = till.census()
    assert after["lot_entries"] == before["lot_entries"]
    assert till.lot(lot["id"])["tickets_sold"] == 3
    [(refs, metadata)] = till.ledger("payment_late_refund")
    assert refs["purchase_id"] == late["id"]
    assert refs["refund"] == refund["id"]
    assert refs["payment_intent"] == row["provider_payment_id"]
    assert metadata == {"amount_cents": 500, "reason": "lot_state_conflict"}
    event = till.event_row(ada_events[1]["id"])
    assert event["outcome"] == "late_refund"
    [mail] = [m for m in till.mails_to(ada.email) if "refunded" in m["subject"]]
    assert "fully funded by other players" in mail["body"]

    # Stripe's charge.refunded confirms the refund we made; repeats change nothing.
    refunded = till.fake.charge_refunded_event(row["provider_payment_id"])
    till.deliver(refunded)
    till.deliver(ada_events[0])
    assert till.event_row(refunded["id"])["outcome"] == "refund_confirmed"
    assert till.event_row(ada_events[0]["id"])["outcome"] == "already_done"
    assert till.fake.created("/v1/refunds") == 1


def _paid_after_the_deadline(
    till: Any, *, bundle_index: int
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A purchase pending at checkout whose payment Stripe reports (the events, not yet
    delivered) once the lot's deadline has passed: the lot, the purchase, the events."""
    lot = till.open_lot()
    purchase = till.buy(till.player(lot["id"]), lot["id"], bundle_index)
    events = till.fake.pay(purchase["payment"]["payment_id"])
    till.clock.advance(days=8)
    return lot, purchase, events


def test_a_payment_after_the_deadline_is_refunded_even_before_the_expiry_tick(
    till: Any,
) -> None:
    _lot, purchase, events = _paid_after_the_deadline(till, bundle_index=0)

    till.deliver(events[0])  # payment_intent.succeeded alone is enough

    assert till.purchase(purchase["id"])["status"] == "refunded"
    [(_refs, metadata)] = till.ledger("payment_late_refund")
    assert metadata["reason"] == "lot_deadline_passed"
    assert "deadline passed" in till.event_row(events[0]["id"])["detail"]


def test_a_late_refund_calls_stripe_with_no_lock_on_the_purchase(till: Any) -> None:
    lot = till.open_lot(funding_target_cents=500)
    ada, bob = till.player(lot["id"]), till.player(lot["id"])
    late = till.buy(ada, lot["id"], 1)
    funding = till.buy(bob, lot["id"], 1)
    ada_events = till.fake.pay(late["payment"]["payment_id"])
    till.deliver(till.fake.pay(funding["payment"]["payment_id"])[1])
    engine = till.platform.database.engine
    # The probe sees a lock when one is held (so the check below can fail).
    with engine.connect() as holder, holder.begin():
        if engine.dialect.name != "sqlite":
            holder.execute(
                text("SELECT id FROM lot_entry_purchases WHERE id = CAST(:id AS uuid) FOR UPDATE"),
                {"id": late["id"]},
            )
        else:
            holder.exec_driver_sql("SELECT 1")
        assert not row_lock_free(engine, "lot_entry_purchases", late["id"])
    seen: list[bool] = []
    noted: list[str | None] = []

    def probe(method: str, path: str) -> None:
        if (method, path) == ("POST", "/v1/refunds"):
            seen.append(row_lock_free(engine, "lot_entry_purchases", late["id"]))
            if seen[-1]:  # (a read would wait for the lock otherwise)
                noted.append(till.event_row(ada_events[1]["id"])["last_error"])

    till.fake.on_request = probe
    assert till.deliver(ada_events[1]).status_code == 200

    assert seen == [True], "Stripe was called while the purchase row was locked"
    # The request was noted on the event, and committed, before the call.
    [before_the_call] = noted
    assert before_the_call is not None
    assert f"late-refund:{late['id']} requested" in before_the_call
    row = till.purchase(late["id"])
    assert (row["status"], row["refunded_cents"]) == ("refunded", 500)
    event = till.event_row(ada_events[1]["id"])
    assert (event["outcome"], event["last_error"]) == ("late_refund", None)
    assert len(till.ledger("payment_late_refund")) == 1


def test_stripe_down_during_a_late_refund_leaves_the_event_to_retry_and_refunds_once(
    till: Any,
) -> None:
    lot = till.open_lot(funding_target_cents=500)
    ada, bob = till.player(lot["id"]), till.player(lot["id"])
    late = till.buy(ada, lot["id"], 1)
    funding = till.buy(bob, lot["id"], 1)
    ada_events = till.fake.pay(late["payment"]["payment_id"])
    till.deliver(till.fake.pay(funding["payment"]["payment_id"])[1])

    # Stripe refunds but its answer never arrives, on every try the library makes.
    till.fake.fail("/v1/refunds", "timeout", times=3)
    assert till.deliver(ada_events[1]).status_code == 200
    event = till.event_row(ada_events[1]["id"])
    assert event["processed_at"] is None
    assert event["attempts"] == 1
    assert "PaymentProviderUnavailable" in event["last_error"]
    assert till.purchase(late["id"])["status"] == "pending"
    assert till.fake.created("/v1/refunds") == 1

    # Recovery: the scheduler's tick applies the stored event again; Stripe answers the
    # same key.
    till.clock.advance(minutes=5)
    tick = run_tick(till.platform)
    assert (tick.payment_events_applied, tick.failures) == (1, [])
    row = till.purchase(late["id"])
    assert row["status"] == "refunded"
    assert row["provider_refund_id"] in till.fake.refunds
    assert till.fake.created("/v1/refunds") == 1
    assert len(till.ledger("payment_late_refund")) == 1
    assert till.event_row(ada_events[1]["id"])["outcome"] == "late_refund"


def test_a_decided_late_refund_stands_and_the_lot_cannot_reopen_before_the_retry(
    till: Any,
) -> None:
    lot, purchase, events = _paid_after_the_deadline(till, bundle_index=1)
    till.fake.fail("/v1/refunds", "500", times=3)
    till.deliver(events[1])  # past the deadline, before any tick: the lot reads open
    decided = till.event_row(events[1]["id"])
    assert (decided["outcome"], decided["processed_at"]) == ("late_refund_due", None)
    assert till.fake.created("/v1/refunds") == 0

    # Past its deadline the lot is over, whatever its stored status: no extension.
    assert till.lot(lot["id"])["status"] == "open"
    extended = till.client.post(
        f"/api/admin/lots/{lot['id']}/extend",
        json={
            "deadline": (till.clock.now + timedelta(days=3)).isoformat(),
            "reason": "one more week",
        },
        headers=_fresh_headers(till, till.admin),
    )
    assert extended.status_code == 409, extended.text
    assert extended.json()["code"] == "lot_deadline_passed"

    # The payment's other event follows the decision; so does the retry.
    till.deliver(events[0])
    till.clock.advance(minutes=5)
    report = retry_unprocessed_events(till.platform)
    assert report.failed == 0
    assert till.purchase(purchase["id"])["status"] == "refunded"
    assert till.lot(lot["id"])["tickets_sold"] == 0
    assert till.ledger("entry_purchase") == []
    assert till.fake.created("/v1/refunds") == 1
    outcomes = {till.event_row(e["id"])["outcome"] for e in events}
    assert outcomes == {"late_refund", "already_done"}


def test_an_expired_checkout_fails_the_purchase_without_tickets(till: Any) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    purchase = till.buy(ada, lot["id"], 0)
    before = till.census()

    till.deliver(till.fake.expire(purchase["payment"]["payment_id"]))

    assert till.purchase(purchase["id"])["status"] == "failed"
    after = till.census()
    assert after["payment_events"] == before["payment_events"] + 1
    assert {k: v for k, v in after.items() if k != "payment_events"} == {
        k: v for k, v in before.items() if k != "payment_events"
    }


def test_an_expired_lot_refunds_98_percent_through_stripe_tracked_to_charge_refunded(
    till: Any,
) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    purchase = till.buy(ada, lot["id"], 1)
    till.deliver(till.fake.pay(purchase["payment"]["payment_id"])[1])
    till.clock.advance(days=8)
    run_tick(till.platform)  # expired, and its refunds started: no admin step
    assert till.lot(lot["id"])["status"] == "refunding"

    chosen = till.client.post(
        f"/api/purchases/{purchase['id']}/refund-choice",
        json={"choice": "cash"},
        headers=_fresh_headers(till, ada),
    )
    # Recorded in the request; Stripe is asked once the request has committed.
    assert chosen.status_code == 202, chosen.text
    assert chosen.json()["refund_status"] == "requested"

    row = till.purchase(purchase["id"])
    refund = till.fake.refunds[row["provider_refund_id"]]
    assert (refund["amount"], refund["payment_intent"]) == (490, row["provider_payment_id"])
    assert ("POST", "/v1/refunds", f"refund:{purchase['id']}") in till.fake.requests
    ((refs, metadata),) = till.ledger("refund_cash")
    assert refs["provider_refund_id"] == row["provider_refund_id"]
    assert refs["provider_payment_id"] == row["provider_payment_id"]
    assert (metadata["refunded_cents"], metadata["fee_cents"]) == (490, 10)
    refunded = till.fake.charge_refunded_event(row["provider_payment_id"])
    till.deliver(refunded)
    assert till.event_row(refunded["id"])["outcome"] == "refund_confirmed"


def _fresh_headers(till: Any, account: Any) -> dict[str, str]:
    """The access token from before the clock moved a week has expired: log in again."""
    return {"Authorization": f"Bearer {till.api.login(account.email)['access_token']}"}


def test_a_dispute_marks_the_purchase_for_admins_with_stripe_ids_in_the_ledger(
    till: Any,
) -> None:
    lot = till.open_lot()
    ada = till.player(lot["id"])
    purchase = till.buy(ada, lot["id"], 1)
    till.deliver(till.fake.pay(purchase["payment"]["payment_id"])[1])
    intent = till.purchase(purchase["id"])["provider_payment_id"]
    dispute = till.fake.dispute_event(intent)

    till.deliver(dispute)
    till.deliver(dispute)

    [(refs, metadata)] = till.ledger("payment_dispute")
    obj = dispute["data"]["object"]
    assert refs["dispute"] == obj["id"]
    assert refs["charge"] == obj["charge"]
    assert refs["payment_intent"] == intent
    assert refs["purchase_id"] == purchase["id"]
    assert metadata["amount_cents"] == 500
    assert till.event_row(dispute["id"])["outcome"] == "disputed"
    listed = till.client.get(
        "/api/admin/payments/events", params={"outcome": "disputed"}, headers=till.admin.headers
    )
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["id"], item["purchase_id"]) == (dispute["id"], purchase["id"])
    assert "tickets stay in the draw" in item["detail"]
    assert till.client.get("/api/admin/payments/events", headers=ada.headers).status_code == 403
    # The tickets stay in the draw (docs/platform/payments.md says why).
    assert till.purchase(purchase["id"])["status"] == "succeeded"
    assert till.lot(lot["id"])["tickets_sold"] == 3


def test_events_naming_no_purchase_of_ours_are_kept_as_unmatched(till: Any) -> None:
    stray = till.fake.event(
        "payment_intent.succeeded",
        {"id": "pi_stray", "object": "payment_intent", "amount_received": 100, "metadata": {}},
    )
    assert till.deliver(stray).status_code == 200
    row = till.event_row(stray["id"])
    assert row["outcome"] == "unmatched"
    assert row["processed_at"] is not None
    assert till.ledger("entry_purchase") == []


def test_a_late_refund_pending_at_stripe_is_recorded_only_once_stripe_completes_it(
    till: Any,
) -> None:
    _lot, purchase, events = _paid_after_the_deadline(till, bundle_index=1)
    till.fake.refund_status = "pending"

    till.deliver(events[1])

    event = till.event_row(events[1]["id"])
    assert (event["outcome"], event["processed_at"]) == ("late_refund_due", None)
    assert till.purchase(purchase["id"])["status"] == "pending"
    assert till.ledger("payment_late_refund") == []
    [refund_id] = list(till.fake.refunds)
    till.clock.advance(minutes=5)
    waiting = retry_unprocessed_events(till.platform)
    assert (waiting.waiting, waiting.failed) == (1, 0)
    assert till.ledger("payment_late_refund") == []

    till.fake.settle_refund(refund_id)
    till.clock.advance(minutes=5)
    done = retry_unprocessed_events(till.platform)
    assert (done.applied, done.failed, done.waiting) == (1, 0, 0)
    row = till.purchase(purchase["id"])
    assert (row["status"], row["provider_refund_id"]) == ("refunded", refund_id)
    assert len(till.ledger("payment_late_refund")) == 1
    assert till.fake.created("/v1/refunds") == 1
    assert till.event_row(events[1]["id"])["outcome"] == "late_refund"
