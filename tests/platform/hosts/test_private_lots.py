"""Private host lots: never listed, reached by their unguessable link, entered with
the invite code when they have one; a player who passed their gate sees and buys."""

from __future__ import annotations

from typing import Any

from tests.platform.conftest import TRIVIA_ANSWER
from tests.platform.hosts.conftest import HostDesk


def _attempt(hosts: HostDesk, account: Any, lot_id: str, **body: Any) -> Any:
    return hosts.client.post(
        f"/api/lots/{lot_id}/trivia/attempt",
        json={"answer": TRIVIA_ANSWER, **body},
        headers=account.headers,
    )


def test_a_private_lot_is_reached_by_its_link_and_invite_code(hosts: HostDesk) -> None:
    host, host_id = hosts.approved_host()
    mine = hosts.open_lot(host, visibility="private", invite_code="VIP-2026")
    lot_id, token = mine["lot"]["id"], mine["access_token"]
    assert mine["invite_code_set"] is True
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    assert mine["private_link"].endswith(f"/l/{token}")

    # Never listed; hidden by id from outsiders.
    assert lot_id not in [i["id"] for i in hosts.client.get("/api/lots").json()["items"]]
    assert hosts.client.get(f"/api/hosts/{host_id}/lots").json()["items"] == []
    outsider = hosts.api.account()
    assert hosts.client.get(f"/api/lots/{lot_id}", headers=outsider.headers).status_code == 404
    assert _attempt(hosts, outsider, lot_id, invite_code="VIP-2026").status_code == 404

    # The link resolves (anyone), a wrong one does not.
    by_link = hosts.client.get(f"/api/lots/private/{token}")
    assert by_link.status_code == 200
    assert by_link.json()["id"] == lot_id
    assert hosts.client.get(f"/api/lots/private/{token[:-1]}x").status_code == 404

    # Through the link: the invite code is required, a wrong one fails the attempt.
    player = hosts.api.account()
    missing = _attempt(hosts, player, lot_id, access_token=token)
    assert missing.status_code == 422
    assert missing.json()["code"] == "invite_code_required"
    wrong = _attempt(hosts, player, lot_id, access_token=token, invite_code="guess")
    assert wrong.status_code == 200
    assert wrong.json()["correct"] is False
    assert hosts.lots.buy(player, lot_id, 0).status_code in (403, 404)
    right = _attempt(hosts, player, lot_id, access_token=token, invite_code=" vip-2026 ")
    assert right.json()["correct"] is True

    # Passed: the player sees it by id and buys in it.
    assert hosts.client.get(f"/api/lots/{lot_id}", headers=player.headers).status_code == 200
    assert hosts.lots.buy(player, lot_id, 0).status_code == 201
    leaderboard = hosts.client.get(f"/api/lots/{lot_id}/entries", headers=player.headers)
    assert leaderboard.status_code == 200
    # Others still do not.
    assert hosts.client.get(f"/api/lots/{lot_id}", headers=outsider.headers).status_code == 404
    assert hosts.client.get(f"/api/lots/{lot_id}/entries").status_code == 404
    assert hosts.client.get(f"/api/lots/{lot_id}").status_code == 404


def test_a_private_lot_without_invite_code_needs_only_the_link(hosts: HostDesk) -> None:
    host, _ = hosts.approved_host()
    mine = hosts.open_lot(host, visibility="private")
    lot_id, token = mine["lot"]["id"], mine["access_token"]
    assert mine["invite_code_set"] is False
    player = hosts.api.account()
    passed = _attempt(hosts, player, lot_id, access_token=token)
    assert passed.json()["correct"] is True
    assert hosts.lots.buy(player, lot_id, 1).status_code == 201


def test_a_private_lot_not_yet_open_is_not_reached_by_its_link(hosts: HostDesk) -> None:
    host, _ = hosts.approved_host()
    created = hosts.create_lot(host, visibility="private").json()
    assert hosts.client.get(f"/api/lots/private/{created['access_token']}").status_code == 404
    # A public lot has no link; an invite code needs a private lot.
    public = hosts.create_lot(host).json()
    assert public["access_token"] is None
    refused = hosts.create_lot(host, invite_code="VIP-2026")
    assert refused.status_code == 422


def test_making_a_lot_public_drops_its_link(hosts: HostDesk) -> None:
    host, _ = hosts.approved_host()
    created = hosts.create_lot(host, visibility="private", invite_code="VIP-2026").json()
    lot_id = created["lot"]["id"]
    edited = hosts.client.patch(
        f"/api/hosts/me/lots/{lot_id}", json={"visibility": "public"}, headers=host.headers
    ).json()
    assert edited["access_token"] is None
    assert edited["invite_code_set"] is False
    again = hosts.client.patch(
        f"/api/hosts/me/lots/{lot_id}",
        json={"visibility": "private", "invite_code": "NEW-CODE"},
        headers=host.headers,
    ).json()
    assert again["access_token"]
    assert again["access_token"] != created["access_token"]
    assert again["invite_code_set"] is True


def test_a_private_lots_live_events_reach_its_gate_passers_only(hosts: HostDesk) -> None:
    host, _ = hosts.approved_host()
    mine = hosts.open_lot(host, visibility="private", invite_code="VIP-2026")
    lot_id, token = mine["lot"]["id"], mine["access_token"]
    insider = hosts.api.account()
    outsider = hosts.api.account()
    passed = _attempt(hosts, insider, lot_id, access_token=token, invite_code="VIP-2026")
    assert passed.json()["correct"] is True
    with (
        hosts.client.websocket_connect("/api/ws", headers=outsider.headers) as other,
        hosts.client.websocket_connect("/api/ws", headers=insider.headers) as inside,
        hosts.client.websocket_connect("/api/ws", headers=host.headers) as owner,
    ):
        for ws in (other, inside, owner):
            assert ws.receive_json()["type"] == "welcome"
        for ws, expected in ((other, "error"), (inside, "subscribed"), (owner, "subscribed")):
            ws.send_json({"type": "subscribe", "lot_id": lot_id})
            assert ws.receive_json()["type"] == expected
        assert hosts.lots.buy(insider, lot_id, 0).status_code == 201
        for ws in (inside, owner):
            event = ws.receive_json()
            while event["type"] == "heartbeat":
                event = ws.receive_json()
            assert event["lot_id"] == lot_id
        other.send_json({"type": "ping"})
        assert other.receive_json()["type"] == "pong"  # nothing of the lot came before it
