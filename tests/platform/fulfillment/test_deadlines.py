"""The deadlines, run by the tick with the clock moved: reminders (each once), a claim
never made paid as cash, a shipment never made disputed, a delivery nobody disputed
confirmed automatically (and a host lot's share released)."""

from __future__ import annotations

from typing import Any

RETAIL = 1_250_000


def _advance(prizes: Any, *accounts: Any, **delta: float) -> None:
    prizes.http.advance(*accounts, **delta)


def test_claim_reminders_are_sent_once_and_an_unclaimed_prize_becomes_cash(prizes: Any) -> None:
    host, host_id = prizes.host()
    winner, _lot, reveal_id = prizes.win(host_id)
    held = prizes.usd(f"host:{host_id}:held")
    assert prizes.tick().prize_deadlines == 0  # 30 days to go

    _advance(prizes, winner, host, days=23, hours=1)  # 6 days 23 hours before the deadline
    assert prizes.tick().prize_deadlines == 1
    assert prizes.tick().prize_deadlines == 0  # once
    [reminder] = prizes.notifications(winner)[:1]
    assert reminder["data"]["event"] == "claim_reminder"
    assert reminder["link"] == f"/me/reveals/{reveal_id}"
    assert len(prizes.emails(winner, "Claim your prize")) == 1

    _advance(prizes, winner, host, days=6)  # 23 hours before
    assert prizes.tick().prize_deadlines == 1
    assert prizes.tick().prize_deadlines == 0
    assert len(prizes.emails(winner, "Claim your prize")) == 2

    _advance(prizes, winner, host, hours=23)  # the deadline itself
    report = prizes.tick()
    assert report.prize_deadlines == 1
    assert prizes.tick().prize_deadlines == 0
    tracking = prizes.tracking(winner, reveal_id).json()
    assert tracking["status"] == "won"
    assert tracking["cash_alternative_cents"] == RETAIL
    assert tracking["cash_alternative_reason"] == "claim_expired"
    assert prizes.usd(f"user:{winner.id}:payable") == RETAIL
    assert prizes.usd(f"host:{host_id}:held") == 0
    assert prizes.usd(f"host:{host_id}:payable") == 0  # the host keeps the item, unpaid
    assert held > 0
    late = prizes.claim(winner, reveal_id)
    assert late.status_code == 409
    assert late.json()["code"] == "claim_deadline_passed"
    assert prizes.emails(winner, "paid as its cash value")


def test_a_shipment_never_made_is_disputed_for_an_admin(prizes: Any) -> None:
    host, host_id = prizes.host()
    winner, _lot, reveal_id = prizes.win(host_id)
    assert prizes.claim(winner, reveal_id).status_code == 200
    _advance(prizes, winner, host, days=5, hours=1)  # 1 day 23 hours before the ship deadline
    assert prizes.tick().prize_deadlines == 1
    assert prizes.tick().prize_deadlines == 0
    assert [n["data"]["event"] for n in prizes.notifications(host)] == ["ship_reminder", "claimed"]
    assert len(prizes.emails(host, "Ship ")) == 1

    _advance(prizes, winner, host, days=2)
    assert prizes.tick().prize_deadlines == 1
    tracking = prizes.tracking(winner, reveal_id).json()
    assert tracking["status"] == "disputed"
    assert tracking["dispute_reason"] == "not_received"
    [item] = prizes.admin_queue(status="disputed").json()["items"]
    assert item["reveal_id"] == reveal_id
    assert prizes.host_ship(host, reveal_id).status_code == 409  # too late: the admin decides
    assert prizes.resolve(reveal_id, "compensate").status_code == 200
    assert prizes.usd(f"user:{winner.id}:payable") == RETAIL


def test_a_winner_may_dispute_a_claim_past_its_ship_deadline(prizes: Any) -> None:
    winner, _lot, reveal_id = prizes.win()
    assert prizes.claim(winner, reveal_id).status_code == 200
    assert prizes.dispute(winner, reveal_id).status_code == 409
    _advance(prizes, winner, days=7)
    opened = prizes.dispute(winner, reveal_id)  # before any tick
    assert opened.status_code == 200, opened.text
    assert opened.json()["dispute_reason"] == "not_received"
    assert prizes.tick().prize_deadlines == 0  # already disputed


def test_a_delivery_nobody_disputed_is_confirmed_automatically(prizes: Any) -> None:
    host, host_id = prizes.host()
    winner, _lot, reveal_id = prizes.win(host_id)
    held = prizes.usd(f"host:{host_id}:held")
    assert prizes.claim(winner, reveal_id).status_code == 200
    assert prizes.host_ship(host, reveal_id).status_code == 200
    _advance(prizes, winner, host, days=13, hours=23)
    assert prizes.tick().prize_deadlines == 0
    _advance(prizes, winner, host, hours=1)
    assert prizes.tick().prize_deadlines == 1
    tracking = prizes.tracking(winner, reveal_id).json()
    assert tracking["status"] == "delivered"
    assert tracking["delivery_confirmed_by"] == "automatic"
    assert prizes.usd(f"host:{host_id}:payable") == held
    assert prizes.tick().prize_deadlines == 0


def test_a_disputed_shipment_is_not_confirmed_automatically(prizes: Any) -> None:
    winner, _lot, reveal_id = prizes.win()
    assert prizes.claim(winner, reveal_id).status_code == 200
    assert prizes.admin_ship(reveal_id).status_code == 200
    assert prizes.dispute(winner, reveal_id).status_code == 200
    _advance(prizes, winner, days=30)
    prizes.tick()
    assert prizes.tracking(winner, reveal_id).json()["status"] == "disputed"
