"""An expired lot notifies its buyers: the refund choice and its deadline when refunds
start (by themselves, at the deadline), then each refund made (chosen cash, chosen
credits, cash by default after the deadline, credits spent given back at once), each
once. The emails are the refund's own (tests/platform/payments), one per event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def test_refund_available_then_each_refund_done(desk: Any, services: Any) -> None:
    lot_id = desk.open_lot(deadline=(desk.clock.now + timedelta(hours=1)).isoformat())["id"]
    ada, bob, cy = (desk.player(lot_id) for _ in range(3))
    services.grant_credits(cy.id, 200)
    first = desk.bought(ada, lot_id, 1)["id"]  # $4.50
    second = desk.bought(ada, lot_id, 0)["id"]  # $1.00
    bobs = desk.bought(bob, lot_id, 0)["id"]  # $1.00
    assert desk.buy_with_credits(cy, lot_id, 2).status_code == 201  # 200 credits
    desk.advance(ada, bob, cy, hours=1)
    desk.tick()  # expired, and its refunds started: no admin step
    lot = desk.client.get(f"/api/lots/{lot_id}").json()
    assert lot["status"] == "refunding"
    deadline = lot["refund_choice_deadline"]

    [available] = desk.notifications(ada)["items"]
    assert available["kind"] == "refund_available"
    assert sorted(available["data"]["purchase_ids"]) == sorted([first, second])
    assert available["data"]["refund_choice_deadline"] == deadline.replace("Z", "+00:00")
    assert available["link"] == "/me/entries"  # two purchases: the list of them
    assert "98% back in cash or 1.5x the amount in credits" in available["body"]
    [bobs_available] = desk.notifications(bob)["items"]
    assert bobs_available["link"] == f"/purchases/{bobs}/refund"  # one: its own page
    # Credits spent came back at once: cy is told that, not asked to choose.
    [given_back] = desk.notifications(cy)["items"]
    assert given_back["kind"] == "refund_done"
    assert given_back["title"] == "Refunded: 200 credits"
    assert given_back["data"]["refunded_credits"] == 200

    # One email each about the refund (the refund's own), none from the notifications.
    assert [m["subject"] for m in desk.emails(ada, "refund")] == [
        "Choose your refund for A watch for the ages by " + deadline.replace("T", " ")[:16] + " UTC"
    ]
    assert len(desk.emails(cy, "credits")) == 1

    def choose(purchase: str, how: str) -> None:
        response = desk.client.post(
            f"/api/purchases/{purchase}/refund-choice", json={"choice": how}, headers=ada.headers
        )
        assert response.status_code in (200, 202), response.text

    choose(first, "cash")
    choose(first, "cash")  # the same choice again changes nothing
    choose(second, "credits")
    # (Both at the same moment on the test clock: found by purchase, not by order.)
    done = {
        i["data"]["purchase_id"]: i
        for i in desk.notifications(ada)["items"]
        if i["kind"] == "refund_done"
    }
    assert {p: i["title"] for p, i in done.items()} == {
        second: "Refunded: 150 credits",
        first: "Refunded: $4.41 in cash",
    }
    assert done[first]["data"]["refunded_cents"] == 441
    assert done[first]["link"] == f"/purchases/{first}/refund"
    assert "5 tickets in A watch for the ages" in done[first]["body"]

    # Bob never chose: refunded in cash after the deadline, and told so.
    desk.advance(ada, bob, cy, seconds=desk.platform.settings.refund_choice_seconds + 1)
    desk.tick()
    assert [i["kind"] for i in desk.notifications(bob)["items"]] == [
        "refund_done",
        "refund_available",
    ]
    assert len(desk.emails(bob, "is done")) == 1
    desk.tick()
    assert len(desk.emails(ada, "is done")) == 2
    assert len(desk.notifications(ada)["items"]) == 3
    assert desk.client.get(f"/api/lots/{lot_id}").json()["status"] == "closed"
