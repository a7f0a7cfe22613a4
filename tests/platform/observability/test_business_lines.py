"""The domain-event lines: the seed's fields, the service, and the request or task.

A line written for work done in a request carries that request's id (a purchase's, even
though its batch commits on the purchase line's thread); one written in a background
task carries the task's id (the outbox row's), and a scheduler tick's jobs share one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from alot_platform.context import PlatformContext
from alot_platform.lots.models import Lot
from alot_platform.outbox import service as outbox
from alot_platform.outbox.models import OutboxItem
from alot_platform.scheduler import run_tick
from sqlalchemy import select, update

from tests.platform.conftest import FakeClock, LotDesk, Services
from tests.platform.observability.reading import moved, series, snapshot

BUNDLES = [{"price_cents": 100, "tickets": 1}, {"price_cents": 450, "tickets": 5}]


def _draw_task_id(platform: PlatformContext, lot_id: str) -> str:
    with platform.database.sessions() as session:
        item_id = session.scalars(
            select(OutboxItem.id).where(OutboxItem.key == f"draw:{lot_id}")
        ).one()
    return str(item_id)


def _only(lines: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(lines) == 1, lines
    return lines[0]


def test_the_funding_line_names_its_request_and_the_draw_lines_their_task(
    make_lot_desk: Callable[..., LotDesk],
    platform: PlatformContext,
    clock: FakeClock,
    domain_lines: Callable[..., list[dict[str, Any]]],
) -> None:
    desk = make_lot_desk(funding_target_cents=900, entry_bundles=BUNDLES)
    lot_id = desk.open_lot()["id"]
    ada, bob = desk.player(lot_id), desk.player(lot_id)
    clock.advance(minutes=10)
    first = desk.client.post(
        f"/api/lots/{lot_id}/entries/purchase",
        json={"bundle_index": 1},
        headers={**ada.headers, "Idempotency-Key": desk.key(), "X-Request-ID": "buy-first"},
    )
    assert first.status_code == 201, first.text
    funding = desk.client.post(
        f"/api/lots/{lot_id}/entries/purchase",
        json={"bundle_index": 1},
        headers={**bob.headers, "Idempotency-Key": desk.key(), "X-Request-ID": "buy-funding"},
    )
    assert funding.status_code == 201, funding.text

    purchases = domain_lines("entries_purchased")
    assert [(line["request_id"], line["user_id"]) for line in purchases] == [
        ("buy-first", ada.id),
        ("buy-funding", bob.id),
    ]
    assert purchases[1] | {"time": None} == {
        "time": None,
        "level": "INFO",
        "logger": "alot_platform.domain",
        "message": "entries_purchased",
        "event": "entries_purchased",
        "service": "platform",
        "request_id": "buy-funding",
        "task_id": None,
        "lot_id": lot_id,
        "purchase_id": funding.json()["id"],
        "user_id": bob.id,
        "method": "cash",
        "tickets": 5,
        "cash_cents": 450,
        "credits_spent": 0,
    }
    funded = _only(domain_lines("lot_funded"))
    assert funded["request_id"] == "buy-funding"
    assert funded["service"] == "platform"
    assert funded["task_id"] is None
    assert {k: funded[k] for k in funded if k not in ("time", "request_id", "service")} == {
        "level": "INFO",
        "logger": "alot_platform.domain",
        "message": "lot_funded",
        "event": "lot_funded",
        "task_id": None,
        "lot_id": lot_id,
        "funding_target_cents": 900,
        "final_funding_cents": 900,
        "cash_cents": 900,
        "credits_spent": 0,
        "total_tickets": 10,
        "duration_seconds": 600.0,
    }

    # The draw task ran right after the funding committed: its lines are the task's.
    task_id = _draw_task_id(platform, lot_id)
    for event in ("draw_started", "draw_completed", "credits_awarded", "settlement_done"):
        line = _only(domain_lines(event))
        assert (line["task_id"], line["service"]) == (task_id, "platform"), line
    completed = _only(domain_lines("draw_completed"))
    draw = desk.client.get(f"/api/lots/{lot_id}/draw").json()
    assert completed["winning_ticket"] == draw["winning_ticket"]
    assert completed["winner_user_id"] in (ada.id, bob.id)
    assert completed["total_tickets"] == 10
    settled = _only(domain_lines("settlement_done"))
    assert (settled["revenue_cents"], settled["cash_cents"]) == (900, 900)
    # In the order they committed: the funding before the work it queued.
    events = [line["event"] for line in domain_lines()]
    assert events.index("lot_funded") < events.index("draw_started")


def test_a_tick_expires_a_lot_as_one_task_and_gives_credits_back(
    make_lot_desk: Callable[..., LotDesk],
    services: Services,
    platform: PlatformContext,
    clock: FakeClock,
    domain_lines: Callable[..., list[dict[str, Any]]],
) -> None:
    desk = make_lot_desk(funding_target_cents=100_000, entry_bundles=BUNDLES)
    lot_id = desk.open_lot()["id"]
    cy = desk.player(lot_id)
    services.grant_credits(cy.id, 200)
    bought = desk.buy_with_credits(cy, lot_id, 2)
    assert bought.status_code == 201, bought.text
    clock.advance(days=8)
    run_tick(platform)

    expired = _only(domain_lines("lot_expired"))
    assert expired["task_id"].startswith("tick-")
    assert expired["request_id"] is None
    assert expired["final_funding_cents"] == 200
    assert expired["duration_seconds"] == 8 * 24 * 3600
    refund = _only(domain_lines("refund_done"))
    assert refund["task_id"] == expired["task_id"]
    assert (refund["purchase_id"], refund["refund_choice"], refund["refunded_credits"]) == (
        bought.json()["id"],
        "credits",
        200,
    )


@pytest.mark.usefixtures("draw_by_hand")
def test_a_draw_that_fails_is_counted_and_logged_with_its_task(
    make_lot_desk: Callable[..., LotDesk],
    platform: PlatformContext,
    domain_lines: Callable[..., list[dict[str, Any]]],
) -> None:
    desk = make_lot_desk(funding_target_cents=450, entry_bundles=BUNDLES)
    lot_id = desk.open_lot()["id"]
    assert desk.buy(desk.player(lot_id), lot_id, 1).status_code == 201
    with platform.database.sessions.begin() as session:  # a seed no key can unseal
        session.execute(
            update(Lot).where(Lot.id == uuid.UUID(lot_id)).values(server_seed_sealed="junk")
        )
    before = snapshot()
    task_id = _draw_task_id(platform, lot_id)
    assert outbox.run(platform, uuid.UUID(task_id)) == "failed"

    assert moved(before, snapshot()) == {series("alot_draws_failed_total"): 1}
    failed = _only(domain_lines("draw_failed"))
    assert (failed["lot_id"], failed["stage"], failed["task_id"]) == (lot_id, "draw", task_id)
    assert domain_lines("draw_completed") == []
