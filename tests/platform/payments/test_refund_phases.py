"""An expired lot's 98% cash refunds through Stripe in three phases: the request
committed with the buyer's request (its unit of work commits once), Stripe called after
that commit with no lock held, the answer recorded with the ledger. A lost
answer, Stripe down or a process dying between the phases is recovered by the tick with
the same key (one refund, one ledger transaction); a pending refund is not done until
Stripe says so (charge.refunded or the tick)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from alot_platform.cli import main
from alot_platform.scheduler import run_tick
from click.testing import CliRunner
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from .locks import row_lock_free


def _fresh(till: Any, account: Any) -> dict[str, str]:
    """The access token from before the clock moved a week has expired: log in again."""
    return {"Authorization": f"Bearer {till.api.login(account.email)['access_token']}"}


def _refunding(till: Any, buyers: int = 1) -> tuple[dict[str, Any], list[tuple[Any, str]]]:
    """A lot whose buyers paid 5.00 each through Stripe, expired: its refunds started
    by themselves (no admin step)."""
    lot = till.open_lot()
    bought = []
    for _ in range(buyers):
        buyer = till.player(lot["id"])
        purchase = till.buy(buyer, lot["id"], 1)
        till.deliver(till.fake.pay(purchase["payment"]["payment_id"])[1])
        bought.append((buyer, purchase["id"]))
    till.clock.advance(days=8)
    run_tick(till.platform)
    assert till.lot(lot["id"])["status"] == "refunding"
    return lot, bought


def _choose(till: Any, account: Any, purchase_id: str, how: str = "cash") -> Any:
    return till.client.post(
        f"/api/purchases/{purchase_id}/refund-choice",
        json={"choice": how},
        headers=_fresh(till, account),
    )


def _request(till: Any, purchase_id: str) -> dict[str, Any]:
    [row] = till.rows("refund_requests", purchase_id=purchase_id)
    return row


def test_stripe_is_called_with_no_lock_on_the_lot(till: Any) -> None:
    lot, [(ada, purchase_id)] = _refunding(till)
    engine = till.platform.database.engine
    # The probe sees a lock when one is held (so the check below can fail).
    with engine.connect() as holder, holder.begin():
        if engine.dialect.name != "sqlite":
            holder.execute(
                text("SELECT id FROM lots WHERE id = CAST(:id AS uuid) FOR UPDATE"),
                {"id": lot["id"]},
            )
        assert not row_lock_free(engine, "lots", lot["id"])
    seen: list[bool] = []

    def probe(method: str, path: str) -> None:
        if (method, path) == ("POST", "/v1/refunds"):
            seen.append(row_lock_free(engine, "lots", lot["id"]))

    till.fake.on_request = probe
    chosen = _choose(till, ada, purchase_id)

    assert chosen.status_code == 202, chosen.text
    assert chosen.json()["refund_status"] == "requested"  # Stripe is asked after the commit
    assert seen == [True]
    refunded = till.client.get(
        f"/api/purchases/{purchase_id}/refund", headers=_fresh(till, ada)
    ).json()
    assert (refunded["refund_status"], refunded["refunded_cents"]) == ("succeeded", 490)


def test_the_choice_commits_once_and_stripe_is_called_after_that_commit(till: Any) -> None:
    """The buyer's request is one unit of work that commits once (the choice recorded);
    the refund runs after it, in units of work of its own, each committing once."""
    _lot, [(ada, purchase_id)] = _refunding(till)
    headers = _fresh(till, ada)
    sessions: list[Session] = []
    committed_at_call: list[bool] = []

    def count(session: Session) -> None:
        sessions.append(session)  # kept alive: ids stay unique

    def probe(method: str, path: str) -> None:
        if (method, path) == ("POST", "/v1/refunds"):
            committed_at_call.append(_request(till, purchase_id)["status"] == "requested")

    till.fake.on_request = probe
    event.listen(Session, "after_commit", count)
    try:
        chosen = till.client.post(
            f"/api/purchases/{purchase_id}/refund-choice", json={"choice": "cash"}, headers=headers
        )
    finally:
        event.remove(Session, "after_commit", count)

    commits = Counter(id(session) for session in sessions)
    assert commits, "nothing committed"
    assert max(commits.values()) == 1, "a unit of work committed more than once"
    assert chosen.status_code == 202, chosen.text
    assert committed_at_call == [True]
    assert till.purchase(purchase_id)["status"] == "refunded"
    assert till.fake.created("/v1/refunds") == 1


def test_a_lost_answer_leaves_the_refund_requested_and_the_tick_records_it_once(
    till: Any,
) -> None:
    lot, [(ada, purchase_id)] = _refunding(till)
    # Stripe refunds, but its answer never arrives, on every try the library makes.
    till.fake.fail("/v1/refunds", "timeout", times=3)

    chosen = _choose(till, ada, purchase_id)

    assert chosen.status_code == 202, chosen.text
    body = chosen.json()
    assert (body["status"], body["refund_choice"], body["refund_status"]) == (
        "succeeded",
        "cash",
        "requested",
    )
    request = _request(till, purchase_id)
    assert (request["status"], request["idempotency_key"]) == ("requested", f"refund:{purchase_id}")
    assert "PaymentProviderUnavailable" in request["last_error"]
    assert till.fake.created("/v1/refunds") == 1  # Stripe did refund
    assert till.ledger("refund_cash") == []
    assert till.lot(lot["id"])["status"] == "refunding"
    # Choosing credits now is refused: cash was chosen and is on its way.
    assert _choose(till, ada, purchase_id, "credits").status_code == 409

    till.clock.advance(minutes=5)
    report = run_tick(till.platform)

    assert (report.refunds_open, report.failures) == (0, [])
    row = till.purchase(purchase_id)
    assert (row["status"], row["refunded_cents"]) == ("refunded", 490)
    assert row["provider_refund_id"] in till.fake.refunds
    assert till.fake.created("/v1/refunds") == 1
    [(refs, metadata)] = till.ledger("refund_cash")
    assert refs["provider_refund_id"] == row["provider_refund_id"]
    assert metadata == {"refunded_cents": 490, "fee_cents": 10, "chosen": True}
    assert _request(till, purchase_id)["status"] == "succeeded"
    assert till.lot(lot["id"])["status"] == "closed"
    again = _choose(till, ada, purchase_id)
    assert (again.status_code, again.json()["refund_status"]) == (200, "succeeded")
    assert till.fake.created("/v1/refunds") == 1


def test_a_process_dying_after_stripe_refunded_is_recovered_without_a_second_refund(
    till: Any,
) -> None:
    _lot, [(ada, purchase_id)] = _refunding(till)
    till.fake.fail("/v1/refunds", "500", times=3)
    assert _choose(till, ada, purchase_id).status_code == 202  # phase 1 committed
    assert till.fake.created("/v1/refunds") == 0
    # Phase 2 of a later try reaches Stripe, then the process dies before phase 3.
    intent = till.purchase(purchase_id)["provider_payment_id"]
    made = till.platform.payments.refund(intent, 490, f"refund:{purchase_id}")
    assert till.purchase(purchase_id)["status"] == "succeeded"

    till.clock.advance(minutes=5)
    run_tick(till.platform)

    row = till.purchase(purchase_id)
    assert (row["status"], row["provider_refund_id"]) == ("refunded", made.refund_id)
    assert till.fake.created("/v1/refunds") == 1
    assert len(till.ledger("refund_cash")) == 1


def test_a_pending_refund_is_done_only_when_stripe_says_so(till: Any) -> None:
    _lot, [(ada, purchase_id)] = _refunding(till)
    till.fake.refund_status = "pending"

    chosen = _choose(till, ada, purchase_id)

    assert (chosen.status_code, chosen.json()["refund_status"]) == (202, "requested")
    request = _request(till, purchase_id)
    assert request["status"] == "pending"
    refund_id = request["provider_refund_id"]
    assert till.fake.refunds[refund_id]["status"] == "pending"
    assert till.purchase(purchase_id)["status"] == "succeeded"
    assert till.ledger("refund_cash") == []
    till.clock.advance(minutes=5)
    assert run_tick(till.platform).refunds_open == 1  # asked again: still pending
    assert till.ledger("refund_cash") == []
    # Stripe's charge.refunded arrives while the refund is still pending: not applied.
    intent = till.purchase(purchase_id)["provider_payment_id"]
    early = till.fake.charge_refunded_event(intent)
    till.deliver(early)
    event = till.event_row(early["id"])
    assert (event["outcome"], event["processed_at"]) == ("refund_in_flight", None)

    till.fake.settle_refund(refund_id)
    settled = till.fake.charge_refunded_event(intent)
    till.deliver(settled)

    assert till.event_row(settled["id"])["outcome"] == "refund_confirmed"
    row = till.purchase(purchase_id)
    assert (row["status"], row["provider_refund_id"]) == ("refunded", refund_id)
    [(refs, _metadata)] = till.ledger("refund_cash")
    assert refs["provider_refund_id"] == refund_id
    till.clock.advance(minutes=5)
    report = run_tick(till.platform)
    assert (report.refunds_open, report.failures) == (0, [])
    assert till.event_row(early["id"])["outcome"] == "refund_confirmed"
    assert till.fake.created("/v1/refunds") == 1
    assert len(till.ledger("refund_cash")) == 1


def test_a_refund_stripe_fails_is_left_for_a_human_and_reconcile_lists_it(
    till: Any, cli_env: Any
) -> None:
    _lot, [(ada, purchase_id)] = _refunding(till)
    till.fake.refund_status = "pending"
    assert _choose(till, ada, purchase_id).status_code == 202
    till.fake.settle_refund(_request(till, purchase_id)["provider_refund_id"], "failed")

    till.clock.advance(minutes=5)
    report = run_tick(till.platform)

    assert report.refunds_open == 0
    request = _request(till, purchase_id)
    assert request["status"] == "failed"
    assert "failed" in request["last_error"]
    assert till.purchase(purchase_id)["status"] == "succeeded"
    assert till.ledger("refund_cash") == []
    found = CliRunner().invoke(main, ["payments", "reconcile"], env=cli_env())
    assert found.exit_code == 1
    assert f"FAIL: purchase:{purchase_id} refund_failed" in found.output


def test_overdue_cash_refunds_are_requested_then_finished_by_the_ticks(till: Any) -> None:
    lot, bought = _refunding(till, buyers=2)
    till.clock.advance(days=7, seconds=1)  # past the choice date, nobody chose
    till.fake.fail("/v1/refunds", "500", times=1000)  # Stripe down during the first tick

    first = run_tick(till.platform)

    # Both requested, each with its cash_refund task; neither confirmed while Stripe is
    # down: the requests stay open and their tasks are due again after their backoff.
    assert first.refunded_after_deadline == 2
    statuses = sorted(_request(till, purchase_id)["status"] for _b, purchase_id in bought)
    assert statuses == ["requested", "requested"]
    assert all(_request(till, p)["chosen"] in (False, 0) for _b, p in bought)
    assert till.lot(lot["id"])["status"] == "refunding"

    till.fake.recover()
    till.clock.advance(minutes=5)
    second = run_tick(till.platform)

    assert (second.refunded_after_deadline, second.refunds_open) == (0, 0)
    assert {till.purchase(p)["status"] for _b, p in bought} == {"refunded"}
    assert till.fake.created("/v1/refunds") == 2
    assert len(till.ledger("refund_cash")) == 2
    assert till.lot(lot["id"])["status"] == "closed"
