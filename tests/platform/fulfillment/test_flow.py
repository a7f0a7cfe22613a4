"""A won prize from claim to delivery: a platform lot (admins ship, no money moves) and
a host lot (its host ships; delivery releases the held share to payable)."""

from __future__ import annotations

from typing import Any

from tests.platform.fulfillment.conftest import ADDRESS, SHIPMENT


def test_a_platform_prize_is_claimed_shipped_by_an_admin_and_confirmed(prizes: Any) -> None:
    winner, _lot_id, reveal_id = prizes.win()
    [read] = prizes.reveals(winner)
    settled_at = prizes.http.clock.now
    assert read["claim_deadline"] is not None
    assert read["claim_deadline"].startswith("2026-03-3")  # 30 days after 2026-03-01
    assert "shipping_address" not in read

    claimed = prizes.claim(winner, reveal_id)
    assert claimed.status_code == 200, claimed.text
    body = claimed.json()
    assert body["status"] == "claimed"
    assert body["shipper"] == "platform"
    assert body["shipping_address"]["postal_code"] == "SW1Y 4JH"
    assert body["shipping_address"]["phone"] == "+442079460958"  # normalized
    assert body["ship_deadline"] is not None
    # The admins were told there is a prize to ship, without the address.
    [notice] = prizes.notifications(prizes.admin)
    assert notice["data"]["event"] == "claimed"
    assert "SW1Y" not in str(notice)
    assert "James" not in str(notice)
    [email] = prizes.emails(prizes.admin, "A prize to ship")
    assert "SW1Y" not in email["body"]
    assert "James" not in email["body"]

    queue = prizes.admin_queue().json()["items"]
    [item] = [i for i in queue if i["reveal_id"] == reveal_id]
    assert item["shipping_address"] == body["shipping_address"]
    assert item["winner_username"] == winner.username

    revenue = prizes.usd("platform:revenue")
    shipped = prizes.admin_ship(reveal_id)
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "shipped"
    assert prizes.admin_ship(reveal_id).json() == shipped.json()  # the same again
    tracking = prizes.tracking(winner, reveal_id).json()
    assert tracking["carrier"] == SHIPMENT["carrier"]
    assert tracking["tracking_number"] == SHIPMENT["tracking_number"]
    [email] = prizes.emails(winner, "on its way")
    assert SHIPMENT["tracking_number"] in email["body"]

    confirmed = prizes.confirm(winner, reveal_id)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "delivered"
    assert confirmed.json()["delivery_confirmed_by"] == "winner"
    assert prizes.usd("platform:revenue") == revenue  # a platform lot: no money moves
    [read] = prizes.reveals(winner)
    assert read["status"] == "delivered"
    assert read["tracking_number"] == SHIPMENT["tracking_number"]
    assert read["delivered_at"] is not None
    assert settled_at is not None


def test_a_host_prize_is_shipped_by_its_host_and_delivery_pays_the_host(prizes: Any) -> None:
    host_account, host_id = prizes.host()
    winner, _lot_id, reveal_id = prizes.win(host_id)
    held = prizes.usd(f"host:{host_id}:held")
    assert held == 1350 - 1350 * 1500 // 10_000

    # Before the claim the host sees nothing to ship, and no address.
    assert prizes.host_queue(host_account).json()["items"] == []
    assert prizes.claim(winner, reveal_id).status_code == 200
    [item] = prizes.host_queue(host_account).json()["items"]
    assert item["shipping_address"]["line1"] == ADDRESS["line1"]
    assert item["winner_username"] == winner.username
    assert set(item) >= {"claim_deadline", "ship_deadline", "claimed_at"}
    [notice] = prizes.notifications(host_account)
    assert notice["link"] == "/host/fulfillment"
    # The admins do not ship a host's prize, and do not see its address.
    assert prizes.admin_ship(reveal_id).json()["code"] == "not_the_shipper"
    assert all(i["reveal_id"] != reveal_id for i in prizes.admin_queue().json()["items"])

    shipped = prizes.host_ship(host_account, reveal_id)
    assert shipped.status_code == 200, shipped.text
    assert prizes.usd(f"host:{host_id}:payable") == 0
    assert prizes.confirm(winner, reveal_id).json()["status"] == "delivered"
    assert prizes.usd(f"host:{host_id}:held") == 0
    assert prizes.usd(f"host:{host_id}:payable") == held
    # Confirming again changes nothing, and pays nothing twice.
    assert prizes.confirm(winner, reveal_id).status_code == 200
    assert prizes.usd(f"host:{host_id}:payable") == held
    [email] = prizes.emails(host_account, "Delivered")
    assert "SW1Y" not in email["body"]


def test_prize_events_are_pushed_to_their_people_without_the_address(prizes: Any) -> None:
    pushed: list[Any] = []
    prizes.platform.events.listen("fulfillment-test", lambda events: pushed.extend(events))
    host, host_id = prizes.host()
    winner, _lot, reveal_id = prizes.win(host_id)
    assert prizes.claim(winner, reveal_id).status_code == 200
    assert prizes.host_ship(host, reveal_id).status_code == 200
    prize_events = [e for e in pushed if e.type == "prize"]
    assert [(str(e.user_id), e.data["event"]) for e in prize_events] == [
        (host.id, "claimed"),
        (winner.id, "shipped"),
    ]
    assert all("SW1Y" not in str(e.data) and "James" not in str(e.data) for e in prize_events)


def test_tracking_numbers_are_checked_and_carriers_formats_accepted(prizes: Any) -> None:
    winner, _lot_id, reveal_id = prizes.win()
    assert prizes.claim(winner, reveal_id).status_code == 200
    for bad in ("", "x", "<script>", "RM1\n23", "a" * 65):
        refused = prizes.admin_ship(reveal_id, tracking_number=bad)
        assert refused.status_code == 422, bad
    assert prizes.tracking(winner, reveal_id).json()["status"] == "claimed"
    # Swiss Post's numbers are dotted, some carriers' have slashes.
    shipped = prizes.admin_ship(
        reveal_id, carrier="Swiss Post", tracking_number="99.60.123456.1234"
    )
    assert shipped.status_code == 200, shipped.text
    assert prizes.tracking(winner, reveal_id).json()["tracking_number"] == "99.60.123456.1234"
