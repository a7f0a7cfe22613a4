"""Who may see and act on a prize: its winner, its shipper (the host of a host lot,
admins of a platform lot), and nobody else; the others get 404, never 403."""

from __future__ import annotations

import logging
from typing import Any

from tests.platform.fulfillment.conftest import ADDRESS


def test_another_player_gets_404_on_every_winner_route(prizes: Any) -> None:
    winner, _lot, reveal_id = prizes.win()
    assert prizes.claim(winner, reveal_id).status_code == 200
    stranger = prizes.http.api.account()
    for method, path, body in [
        ("POST", "claim", {"shipping_address": ADDRESS}),
        ("PATCH", "shipping", {"shipping_address": ADDRESS}),
        ("GET", "tracking", None),
        ("POST", "confirm-delivery", None),
        ("POST", "dispute", {"reason": "not_received", "details": "x"}),
    ]:
        answer = prizes.client.request(
            method, f"/api/reveals/{reveal_id}/{path}", json=body, headers=stranger.headers
        )
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["code"] == "reveal_not_found"
        assert "Lovelace" not in answer.text
    # The same answer as for an id that does not exist.
    missing = prizes.tracking(stranger, "00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["code"] == "reveal_not_found"
    # A player who lost reads no prize either.
    assert prizes.tracking(winner, reveal_id).json()["status"] == "claimed"


def test_a_host_reads_and_ships_only_its_own_lots_prizes(prizes: Any) -> None:
    host_a, a_id = prizes.host()
    host_b, _b_id = prizes.host()
    winner, _lot, reveal_id = prizes.win(a_id)
    assert prizes.claim(winner, reveal_id).status_code == 200
    # Host B: nothing in its queue, 404 on A's prize.
    assert prizes.host_queue(host_b).json()["items"] == []
    refused = prizes.host_ship(host_b, reveal_id)
    assert refused.status_code == 404
    assert prizes.tracking(host_a, reveal_id).status_code == 404  # not the winner's routes
    # A host does not ship (or see) a platform lot's prize.
    platform_winner, _plot, platform_reveal = prizes.win()
    assert prizes.claim(platform_winner, platform_reveal).status_code == 200
    assert prizes.host_ship(host_a, platform_reveal).status_code == 404
    assert [i["reveal_id"] for i in prizes.host_queue(host_a).json()["items"]] == [reveal_id]
    # A player with no host profile is not a host.
    assert prizes.host_queue(winner).json()["code"] == "not_a_host"
    assert prizes.host_ship(winner, reveal_id).status_code == 404
    # Players are not admins.
    assert prizes.client.get("/api/admin/fulfillment", headers=host_a.headers).status_code == 403


def test_the_address_reaches_the_shipper_only_after_the_claim(prizes: Any) -> None:
    host, host_id = prizes.host()
    winner, _lot, reveal_id = prizes.win(host_id)
    [unclaimed] = prizes.host_queue(host, status="won").json()["items"]
    assert unclaimed["shipping_address"] is None
    assert prizes.claim(winner, reveal_id).status_code == 200
    [claimed] = prizes.host_queue(host).json()["items"]
    assert claimed["shipping_address"]["name"] == ADDRESS["name"]
    # Nowhere else: not in the winner's reveals list, nor the lot, nor the ledger.
    for path in ("/api/users/me/reveals", "/api/users/me/notifications"):
        assert "James" not in prizes.client.get(path, headers=winner.headers).text
    ledger = prizes.http.admin_get("/api/ledger/transactions", params={"limit": 200}).text
    assert "James" not in ledger
    assert "SW1Y" not in ledger


def test_the_address_is_never_logged(prizes: Any, caplog: Any) -> None:
    host, host_id = prizes.host()
    winner, _lot, reveal_id = prizes.win(host_id)
    caplog.set_level(logging.DEBUG)
    assert prizes.claim(winner, reveal_id).status_code == 200
    assert prizes.host_queue(host).status_code == 200
    assert prizes.tracking(winner, reveal_id).status_code == 200
    assert prizes.host_ship(host, reveal_id).status_code == 200
    prizes.tick()
    assert caplog.records  # the requests were logged
    for secret in ("Lovelace", "James", "SW1Y", "7946"):
        assert secret not in caplog.text
