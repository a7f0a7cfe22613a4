"""The business metrics count what committed, by exactly what happened, over the real API.

A lot is created, opened, bought (cash and credits) until funded; the draw task runs
right after the funding commits and settles it. Every business series moves by what the
lot did (and the others not at all); a purchase whose transaction the database refuses
counts nothing, and neither do credits whose unit of work fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from alot_ledger import Ledger, Posting
from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransactionType
from alot_platform.credits.service import CreditChange, CreditsService
from alot_platform.ledger.accounts import CRD, CREDITS_ISSUED, user_credits
from alot_platform.scheduler import run_tick
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.platform.conftest import FakeClock, LotDesk, Services
from tests.platform.observability.reading import moved, series, snapshot

BUNDLES = [{"price_cents": 100, "tickets": 1}, {"price_cents": 450, "tickets": 5}]


def _issued_by_ledger(desk: LotDesk) -> int:
    """Credits the ledger has issued so far: what ``platform:credits_issued`` gave out."""
    response = desk.client.get(
        f"/api/ledger/accounts/{CREDITS_ISSUED}/balances/{CRD}", headers=desk.admin.headers
    )
    if response.status_code == 404:  # nothing issued yet
        return 0
    assert response.status_code == 200, response.text
    return -int(response.json()["balance"])


def _status(desk: LotDesk, lot_id: str) -> str:
    response = desk.client.get(f"/api/lots/{lot_id}", headers=desk.admin.headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def test_a_lot_funded_drawn_and_settled_moves_each_metric_by_what_it_did(
    make_lot_desk: Callable[..., LotDesk], services: Services, clock: FakeClock
) -> None:
    desk = make_lot_desk(
        funding_target_cents=1000, entry_bundles=BUNDLES, non_winner_credit_rate_percent=10
    )
    before, issued_before = snapshot(), _issued_by_ledger(desk)

    lot_id = desk.open_lot()["id"]
    ada, bob, cy = (desk.player(lot_id) for _ in range(3))
    services.grant_credits(cy.id, 300)
    clock.advance(minutes=5)
    assert desk.buy(ada, lot_id, 1).status_code == 201  # 4.50 cash
    assert desk.buy(bob, lot_id, 0).status_code == 201  # 1.00 cash
    assert desk.buy_with_credits(cy, lot_id, 3).status_code == 201  # 300 credits
    funding = desk.buy(bob, lot_id, 1)  # 4.50: 13.00 of 10.00, funded; drawn and settled
    assert funding.status_code == 201, funding.text
    assert funding.json()["lot_status"] == "funded"
    assert desk.buy(ada, lot_id, 0).status_code == 409  # refused: counts nothing
    assert _status(desk, lot_id) == "settled"

    issued = _issued_by_ledger(desk) - issued_before
    assert issued > 300  # the grant, and the non-winners' shares of the settlement
    assert moved(before, snapshot()) == {
        series("alot_lots_created_total"): 1,
        series("alot_lots_funded_total"): 1,
        series("alot_lot_time_to_funding_seconds_count"): 1,
        series("alot_lot_time_to_funding_seconds_sum"): 300,  # opened 5 minutes before
        series("alot_purchases_total", method="cash"): 3,
        series("alot_purchases_total", method="credits"): 1,
        series("alot_gmv_cents_total"): 450 + 100 + 450,
        series("alot_credits_spent_total"): 300,
        series("alot_credits_issued_total"): issued,
        series("alot_lot_revenue_cents_count"): 1,
        series("alot_lot_revenue_cents_sum"): 1000,  # a platform lot keeps its cash
    }


def test_a_lot_that_expires_counts_as_expired_and_its_refunds_issue_nothing_new(
    make_lot_desk: Callable[..., LotDesk],
    services: Services,
    clock: FakeClock,
    platform: PlatformContext,
) -> None:
    desk = make_lot_desk(funding_target_cents=100_000, entry_bundles=BUNDLES)
    lot_id = desk.open_lot()["id"]
    ada, cy = desk.player(lot_id), desk.player(lot_id)
    services.grant_credits(cy.id, 200)
    before = snapshot()
    assert desk.buy(ada, lot_id, 0).status_code == 201
    assert desk.buy_with_credits(cy, lot_id, 2).status_code == 201
    clock.advance(days=8)
    report = run_tick(platform)
    assert report.expired == [uuid.UUID(lot_id)]

    # The credits spent came back 1:1 at once: a spend undone, not credits issued.
    assert moved(before, snapshot()) == {
        series("alot_purchases_total", method="cash"): 1,
        series("alot_purchases_total", method="credits"): 1,
        series("alot_gmv_cents_total"): 100,
        series("alot_credits_spent_total"): 200,
        series("alot_lots_expired_total"): 1,
    }


def _refuse_draws(client: TestClient) -> Callable[[], None]:
    """Make the database refuse every new draw record (a trigger): a funding purchase's
    transaction then fails after its purchase and the funding were written. The undo."""
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_draws() RETURNS trigger LANGUAGE plpgsql"
                    " AS $$ BEGIN RAISE EXCEPTION 'draws refused'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_draws BEFORE INSERT ON lottery_draws"
                    " FOR EACH ROW EXECUTE FUNCTION refuse_draws()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_draws BEFORE INSERT ON lottery_draws"
                    " BEGIN SELECT RAISE(ABORT, 'draws refused'); END"
                )
            )

    def undo() -> None:
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER refuse_draws" + _on_table(engine)))

    return undo


def _on_table(engine: Any) -> str:
    return " ON lottery_draws" if engine.dialect.name == "postgresql" else ""


def test_a_funding_purchase_rolled_back_counts_nothing_and_then_counts_once(
    make_lot_desk: Callable[..., LotDesk], client: TestClient, domain_lines: Any
) -> None:
    desk = make_lot_desk(funding_target_cents=400, entry_bundles=BUNDLES)
    lot_id = desk.open_lot()["id"]
    ada = desk.player(lot_id)
    before = snapshot()
    undo = _refuse_draws(client)
    refused = desk.buy(ada, lot_id, 1, key="the-funding-purchase")  # would fund the lot
    undo()

    assert refused.status_code == 500, refused.text
    assert _status(desk, lot_id) == "open"
    assert moved(before, snapshot()) == {}
    assert domain_lines("entries_purchased") == []
    assert domain_lines("lot_funded") == []

    bought = desk.buy(ada, lot_id, 1, key="the-funding-purchase")
    assert bought.status_code == 201, bought.text
    changes = moved(before, snapshot())
    assert changes[series("alot_purchases_total", method="cash")] == 1
    assert changes[series("alot_gmv_cents_total")] == 450
    assert changes[series("alot_lots_funded_total")] == 1
    assert len(domain_lines("entries_purchased")) == 1


def test_credits_moved_in_a_unit_of_work_that_fails_count_nothing(
    services: Services, api: Any
) -> None:
    player = api.account()
    before = snapshot()

    def grant_then_fail() -> None:
        with services.session() as session:
            receipt = Ledger(session).post(
                "credit_adjustment",
                [Posting(CREDITS_ISSUED, CRD, -500), Posting(user_credits(player.id), CRD, 500)],
                refs={"user_id": player.id},
            )
            CreditsService(session, services.platform.clock()).apply(
                [CreditChange(uuid.UUID(player.id), 500, CreditTransactionType.ADJUSTMENT)],
                ledger_seq=receipt.seq,
            )
            raise RuntimeError("the unit of work fails after the credits moved")

    with pytest.raises(RuntimeError, match="fails after"):
        grant_then_fail()
    assert moved(before, snapshot()) == {}

    services.grant_credits(player.id, 500)  # the same, committed
    assert moved(before, snapshot()) == {series("alot_credits_issued_total"): 500}
