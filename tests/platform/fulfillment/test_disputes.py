"""Disputes, resolved each way: release (delivered, a host lot's share to payable) and
compensate (the winner owed the prize's retail value, from the held share for a host
lot, from revenue for a platform lot); the ledger checked after each."""

from __future__ import annotations

from typing import Any

RETAIL = 1_250_000  # the desk's product


def test_a_dispute_released_delivers_and_pays_the_host(prizes: Any) -> None:
    host, host_id = prizes.host()
    winner, _lot, reveal_id = prizes.win(host_id)
    held = prizes.usd(f"host:{host_id}:held")
    assert prizes.claim(winner, reveal_id).status_code == 200
    early = prizes.dispute(winner, reveal_id)
    assert early.status_code == 409  # claimed, before the ship deadline
    assert prizes.host_ship(host, reveal_id).status_code == 200
    opened = prizes.dispute(winner, reveal_id, "not_as_described")
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "disputed"
    assert opened.json()["dispute_reason"] == "not_as_described"
    assert prizes.confirm(winner, reveal_id).status_code == 409
    # The admins see it (without the host's winner's address), so does the winner.
    [item] = prizes.admin_queue(status="disputed").json()["items"]
    assert item["reveal_id"] == reveal_id
    assert item["shipping_address"] is None
    assert [n["data"]["event"] for n in prizes.notifications(prizes.admin)] == ["disputed"]
    assert "disputed" in [n["data"]["event"] for n in prizes.notifications(winner)]

    resolved = prizes.resolve(reveal_id, "release")
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "delivered"
    assert resolved.json()["delivery_confirmed_by"] == "admin"
    assert resolved.json()["dispute_resolution"] == "release"
    assert prizes.usd(f"host:{host_id}:payable") == held
    assert prizes.usd(f"host:{host_id}:held") == 0
    assert prizes.usd(f"user:{winner.id}:payable") == 0
    assert prizes.resolve(reveal_id, "compensate").status_code == 409  # once
    assert prizes.emails(winner, "Dispute resolved")
    assert prizes.emails(host, "Dispute resolved")


def test_a_host_dispute_compensated_pays_the_winner_from_the_held_share(prizes: Any) -> None:
    host, host_id = prizes.host()
    winner, _lot, reveal_id = prizes.win(host_id)
    held = prizes.usd(f"host:{host_id}:held")
    revenue = prizes.usd("platform:revenue")
    assert prizes.claim(winner, reveal_id).status_code == 200
    assert prizes.host_ship(host, reveal_id).status_code == 200
    assert prizes.dispute(winner, reveal_id).status_code == 200

    resolved = prizes.resolve(reveal_id, "compensate")
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["status"] == "disputed"
    assert body["dispute_resolution"] == "compensate"
    assert body["dispute_resolved_at"] is not None
    assert body["cash_alternative_cents"] == RETAIL
    assert body["cash_alternative_reason"] == "dispute_compensated"
    assert prizes.usd(f"user:{winner.id}:payable") == RETAIL
    assert prizes.usd(f"host:{host_id}:held") == 0
    assert prizes.usd(f"host:{host_id}:payable") == 0  # the host is not paid
    # The held share paid what it could; revenue the rest.
    assert prizes.usd("platform:revenue") == revenue - (RETAIL - held)
    assert prizes.resolve(reveal_id, "release").status_code == 409
    assert prizes.tracking(winner, reveal_id).json()["cash_alternative_cents"] == RETAIL


def test_a_platform_dispute_compensated_pays_the_winner_from_revenue(prizes: Any) -> None:
    winner, _lot, reveal_id = prizes.win()
    revenue = prizes.usd("platform:revenue")
    assert prizes.claim(winner, reveal_id).status_code == 200
    assert prizes.admin_ship(reveal_id).status_code == 200
    assert prizes.dispute(winner, reveal_id).status_code == 200
    assert prizes.dispute(winner, reveal_id).status_code == 409  # already open
    assert prizes.resolve(reveal_id, "compensate").status_code == 200
    assert prizes.usd(f"user:{winner.id}:payable") == RETAIL
    assert prizes.usd("platform:revenue") == revenue - RETAIL
    [read] = prizes.reveals(winner)
    assert read["status"] == "disputed"
    assert read["dispute_resolution"] == "compensate"


def test_resolving_needs_an_open_dispute_and_an_admin(prizes: Any) -> None:
    winner, _lot, reveal_id = prizes.win()
    assert prizes.resolve(reveal_id, "release").status_code == 409
    refused = prizes.client.post(
        f"/api/admin/reveals/{reveal_id}/resolve",
        json={"resolution": "release", "note": "mine"},
        headers=winner.headers,
    )
    assert refused.status_code == 403
    assert prizes.resolve("00000000-0000-4000-8000-000000000000", "release").status_code == 404
    bad = prizes.http.admin_post(
        f"/api/admin/reveals/{reveal_id}/resolve", json={"resolution": "refund", "note": "x"}
    )
    assert bad.status_code == 422
