"""Domain events leave only after their transaction commits, one per change a client shows.

A listener on ``platform.events`` records what each commit dispatched while lots are
played over HTTP: purchases, funding, the draw, settlement, expiry and refunds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from alot_platform.context import PlatformContext
from alot_platform.realtime.events import Event, EventType, emit
from alot_platform.scheduler import run_tick

LOT = {
    "funding_target_cents": 1000,
    "entry_bundles": [{"price_cents": 100, "tickets": 1}, {"price_cents": 450, "tickets": 5}],
}


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def types(self, lot_id: str | None = None) -> list[str]:
        return [
            e.type.value
            for e in self.events
            if not e.internal and not e.personal and (lot_id is None or str(e.lot_id) == lot_id)
        ]

    def personal(self, user_id: str) -> list[str]:
        return [e.type.value for e in self.events if e.personal and str(e.user_id) == user_id]

    def clear(self) -> None:
        self.events.clear()


@pytest.fixture
def recorder(platform: PlatformContext) -> Recorder:
    recorder = Recorder()
    platform.events.listen("test-recorder", recorder)
    return recorder


def test_purchases_funding_draw_and_settlement_are_announced(
    make_lot_desk: Callable[..., Any], recorder: Recorder
) -> None:
    desk = make_lot_desk(**LOT)
    lot = desk.open_lot()
    assert recorder.types(lot["id"]) == ["lot_update"]  # opened
    assert recorder.events[-1].data["status"] == "open"
    winner_pool = [desk.player(lot["id"]) for _ in range(2)]
    recorder.clear()

    assert desk.buy(winner_pool[0], lot["id"], 0).status_code == 201
    assert recorder.types(lot["id"]) == ["lot_update"]
    update = recorder.events[-1]
    assert update.data["tickets_sold"] == 1
    assert update.data["funded_cents"] == 100
    assert update.data["progress_basis_points"] == 1000

    recorder.clear()
    assert desk.buy(winner_pool[1], lot["id"], 1).status_code == 201
    assert desk.buy(winner_pool[1], lot["id"], 1).status_code == 201  # funds it: 1000 cents
    # Funding, then the draw task (the inline runner) draws and settles it.
    assert recorder.types(lot["id"]) == [
        "lot_update",
        "lot_funded",
        "draw_started",
        "draw_completed",
        "lot_update",
    ]
    funded, completed, settled = (
        recorder.events[i]
        for i, e in enumerate(recorder.events)
        if e.type in (EventType.LOT_FUNDED, EventType.DRAW_COMPLETED)
        or (e.type is EventType.LOT_UPDATE and e.data["status"] == "settled")
    )
    assert funded.data["funded_cents"] == 1000
    assert funded.data["status"] == "funded"
    assert 1 <= completed.data["winning_ticket"] <= 11
    assert settled.data["status"] == "settled"

    winner = completed.data["winner_user_id"]
    loser = next(p.id for p in winner_pool if p.id != winner)
    assert "won" in recorder.personal(winner)
    assert "credits_awarded" in recorder.personal(loser)
    assert "won" not in recorder.personal(loser)
    # Credit balances that changed are announced to the server's listeners only.
    assert any(
        e.type is EventType.CREDITS_CHANGED and str(e.user_id) == loser and e.internal
        for e in recorder.events
    )


def test_expiry_and_refunds_are_announced(
    make_lot_desk: Callable[..., Any], recorder: Recorder, platform: PlatformContext
) -> None:
    desk = make_lot_desk(**LOT)
    lot = desk.open_lot()
    buyer = desk.player(lot["id"])
    assert desk.buy(buyer, lot["id"], 0).status_code == 201
    recorder.clear()

    desk.clock.advance(days=8)
    report = run_tick(platform)
    assert not report.failures, report.summary()
    assert recorder.types(lot["id"])[:2] == ["lot_expired", "lot_update"]
    assert recorder.events[0].data["status"] == "expired"
    assert "refund_available" in recorder.personal(buyer.id)


def test_a_rolled_back_transaction_announces_nothing(
    platform: PlatformContext, recorder: Recorder
) -> None:
    now = platform.clock()
    with platform.database.sessions() as session:
        emit(session, Event(EventType.LOT_UPDATE, now, data={"n": 1}))
        session.rollback()
    with platform.database.sessions() as session:
        emit(session, Event(EventType.LOT_UPDATE, now, data={"n": 2}))
        session.commit()
    assert [e.data["n"] for e in recorder.events] == [2]


def test_a_failing_listener_does_not_reach_the_committer(
    platform: PlatformContext, recorder: Recorder
) -> None:
    def broken(events: Sequence[Event]) -> None:
        raise RuntimeError("listener down")

    platform.events.listen("broken", broken)
    platform.events.listen("test-recorder", recorder)  # after the broken one
    with platform.database.sessions() as session:
        emit(session, Event(EventType.LOT_UPDATE, platform.clock(), data={"n": 3}))
        session.commit()
    assert [e.data["n"] for e in recorder.events] == [3]


def test_an_extension_reaches_watchers_and_an_edit_before_opening_does_not(
    make_lot_desk: Callable[..., Any], recorder: Recorder, client: Any
) -> None:
    desk = make_lot_desk(**LOT)
    created = desk.create()
    recorder.clear()
    edited = client.patch(
        f"/api/lots/{created['id']}", json={"title": "Renamed"}, headers=desk.admin.headers
    )
    assert edited.status_code == 200, edited.text
    assert recorder.types(created["id"]) == []  # not out yet: nobody may watch it

    lot = desk.open(created["id"])
    recorder.clear()
    later = {"deadline": "2027-06-01T00:00:00Z", "reason": "The prize ships late"}
    response = client.post(
        f"/api/admin/lots/{lot['id']}/extend", json=later, headers=desk.admin.headers
    )
    assert response.status_code == 200, response.text
    assert recorder.types(lot["id"]) == ["lot_update"]
    assert recorder.events[-1].data["deadline"] == "2027-06-01T00:00:00Z"
    assert recorder.events[-1].data["status"] == "open"
