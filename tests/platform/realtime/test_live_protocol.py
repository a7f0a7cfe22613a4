"""The live protocol over ``GET /api/ws`` (docs/platform/realtime.md), in-process.

Real app, real database, Starlette's TestClient WebSocket; events come from purchases
and admin actions over HTTP, as in production.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
from alot_platform.context import PlatformContext
from alot_platform.realtime.events import Event, EventType, emit
from alot_platform.realtime.hub import RedisHub
from alot_platform.scheduler import run_tick
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from ..conftest import Api

LOT = {
    "funding_target_cents": 100_000,
    "entry_bundles": [{"price_cents": 100, "tickets": 1}, {"price_cents": 450, "tickets": 5}],
}


def _next(ws: WebSocketTestSession, *, skip: tuple[str, ...] = ("heartbeat",)) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message["type"] not in skip:
            return message


def _subscribe(ws: WebSocketTestSession, lot_id: str, **extra: Any) -> dict[str, Any]:
    ws.send_json({"type": "subscribe", "lot_id": lot_id, **extra})
    return _next(ws)


def test_welcome_then_lot_events_in_seq_order(
    client: TestClient, make_lot_desk: Callable[..., Any]
) -> None:
    desk = make_lot_desk(**LOT)
    lot = desk.open_lot()
    buyer = desk.player(lot["id"])
    with client.websocket_connect("/api/ws") as ws:
        welcome = ws.receive_json()
        assert welcome["type"] == "welcome"
        assert welcome["user_id"] is None
        assert welcome["max_subscriptions"] > 0
        assert welcome["heartbeat_seconds"] > 0
        subscribed = _subscribe(ws, lot["id"])
        current = subscribed.pop("data")
        assert subscribed == {"type": "subscribed", "lot_id": lot["id"], "seq": 1}  # opened
        assert (current["status"], current["tickets_sold"]) == ("open", 0)
        for _ in range(3):
            assert desk.buy(buyer, lot["id"], 0).status_code == 201
        events = [_next(ws) for _ in range(3)]
    assert [e["seq"] for e in events] == [2, 3, 4]
    assert {e["type"] for e in events} == {"lot_update"}
    assert [e["data"]["tickets_sold"] for e in events] == [1, 2, 3]
    assert all(e["lot_id"] == lot["id"] and e["at"].endswith("Z") for e in events)
    assert "personal" not in events[0]


def test_a_subscription_carries_the_lot_as_it_stands_then_only_later_events(
    client: TestClient, make_lot_desk: Callable[..., Any]
) -> None:
    # A view fetches the lot, then subscribes: what sold in between comes with the
    # answer to the subscription, so the view never misses it.
    desk = make_lot_desk(**LOT)
    lot = desk.open_lot()
    buyer = desk.player(lot["id"])
    fetched = client.get(f"/api/lots/{lot['id']}").json()
    for _ in range(2):
        assert desk.buy(buyer, lot["id"], 0).status_code == 201
    with client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
        subscribed = _subscribe(ws, lot["id"])
        assert subscribed["seq"] == 3
        assert subscribed["data"]["tickets_sold"] == fetched["tickets_sold"] + 2 == 2
        assert subscribed["data"]["funded_cents"] == 2 * 100  # two 1-ticket bundles
        assert subscribed["data"]["progress_basis_points"] > 0
        assert desk.buy(buyer, lot["id"], 0).status_code == 201
        later = _next(ws)
    assert (later["seq"], later["data"]["tickets_sold"]) == (4, 3)


def test_resume_gets_exactly_the_missed_events_then_live_ones(
    client: TestClient, make_lot_desk: Callable[..., Any]
) -> None:
    desk = make_lot_desk(**LOT)
    lot = desk.open_lot()
    buyer = desk.player(lot["id"])
    with client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
        assert _subscribe(ws, lot["id"])["seq"] == 1
        assert desk.buy(buyer, lot["id"], 0).status_code == 201
        assert _next(ws)["seq"] == 2
    for _ in range(3):  # missed while away
        assert desk.buy(buyer, lot["id"], 0).status_code == 201
    with client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
        resumed = _subscribe(ws, lot["id"], after_seq=2)
        assert resumed.pop("data")["tickets_sold"] == 4  # the lot as it stands
        assert resumed == {"type": "subscribed", "lot_id": lot["id"], "seq": 5}
        missed = [_next(ws) for _ in range(3)]
        assert [e["seq"] for e in missed] == [3, 4, 5]
        assert [e["data"]["tickets_sold"] for e in missed] == [2, 3, 4]
        assert desk.buy(buyer, lot["id"], 0).status_code == 201
        assert _next(ws)["seq"] == 6
        # Up to date: nothing to replay; ahead of the stream: refetch.
        assert _subscribe(ws, lot["id"], after_seq=6)["seq"] == 6
        ws.send_json({"type": "ping"})
        assert _next(ws)["type"] == "pong"
        assert _subscribe(ws, lot["id"], after_seq=99)["type"] == "subscribed"
        assert _next(ws) == {"type": "resync", "lot_id": lot["id"], "seq": 6}


def test_too_old_a_seq_is_told_to_resync(
    make_client: Callable[..., TestClient], make_lot_desk: Callable[..., Any]
) -> None:
    client = make_client(ws_stream_length=10)
    platform: PlatformContext = client.app.state.platform  # type: ignore[attr-defined]
    lot = make_lot_desk(on=client, **LOT).open_lot()  # seq 1
    # Redis trims a stream approximately (MAXLEN ~, by whole nodes of 100 entries):
    # enough events that the first ones are gone whichever hub keeps them.
    _commit_updates(platform, lot["id"], 300)
    with client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
        assert _subscribe(ws, lot["id"], after_seq=1)["seq"] == 301
        assert _next(ws) == {"type": "resync", "lot_id": lot["id"], "seq": 301}
        _commit_updates(platform, lot["id"], 1)
        assert _next(ws)["seq"] == 302
        # Still kept: replayed.
        assert _subscribe(ws, lot["id"], after_seq=295)["seq"] == 302
        assert [_next(ws)["seq"] for _ in range(7)] == list(range(296, 303))


def _commit_updates(platform: PlatformContext, lot_id: str, count: int) -> None:
    """``count`` lot events committed through the platform's unit of work, one commit
    each (as many purchases would, without their bookkeeping)."""
    for n in range(count):
        with platform.database.sessions() as session:
            emit(
                session,
                Event(EventType.LOT_UPDATE, platform.clock(), uuid.UUID(lot_id), data={"n": n}),
            )
            session.commit()


def test_hidden_lots_are_not_found_and_their_events_reach_only_those_allowed(
    client: TestClient, make_lot_desk: Callable[..., Any], api: Any
) -> None:
    desk = make_lot_desk(**LOT)
    created = desk.create()
    private = desk.open_lot(visibility="private")
    outsider = api.account()
    admin = desk.admin
    with (
        client.websocket_connect("/api/ws") as anonymous,
        client.websocket_connect("/api/ws", headers=outsider.headers) as other,
        client.websocket_connect(f"/api/ws?token={admin.access_token}") as owner,
    ):
        for ws in (anonymous, other, owner):
            ws.receive_json()
        for ws in (anonymous, other):
            for lot in (created, private):
                assert _subscribe(ws, lot["id"]) == {
                    "type": "error",
                    "code": "lot_not_found",
                    "message": f"no lot {lot['id']}",
                    "lot_id": lot["id"],
                }
        assert _subscribe(owner, private["id"])["type"] == "subscribed"
        assert _subscribe(owner, created["id"])["type"] == "subscribed"
        desk.open(created["id"])
        assert _next(owner)["lot_id"] == created["id"]
        for ws in (anonymous, other):
            ws.send_json({"type": "ping"})
            assert _next(ws)["type"] == "pong"  # nothing came before it


def test_bad_messages_are_refused_and_change_nothing(client: TestClient) -> None:
    with client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
        for message, code in (
            ("not json", "bad_message"),
            ("[1]", "bad_message"),
            ('{"type":"dance"}', "bad_message"),
            ('{"type":"subscribe","lot_id":"nope"}', "bad_message"),
            (
                '{"type":"subscribe","lot_id":"6f1c2b76-0d7e-4f51-9a2b-3f2d6a0c9e11","after_seq":-1}',
                "bad_message",
            ),
            (
                '{"type":"subscribe","lot_id":"6f1c2b76-0d7e-4f51-9a2b-3f2d6a0c9e11"}',
                "lot_not_found",
            ),
            ('{"type":"resume_personal","after_seq":0}', "unauthenticated"),
        ):
            ws.send_text(message)
            reply = _next(ws)
            assert (reply["type"], reply["code"]) == ("error", code), message
        ws.send_bytes(b"{}")
        assert _next(ws)["code"] == "bad_message"
        ws.send_json({"type": "ping"})
        assert _next(ws)["type"] == "pong"


def test_too_many_subscriptions(
    make_client: Callable[..., TestClient], make_lot_desk: Callable[..., Any]
) -> None:
    client = make_client(ws_max_subscriptions=2)
    desk = make_lot_desk(on=client, **LOT)
    lots = [desk.open_lot() for _ in range(3)]
    with client.websocket_connect("/api/ws") as ws:
        assert ws.receive_json()["max_subscriptions"] == 2
        assert _subscribe(ws, lots[0]["id"])["type"] == "subscribed"
        assert _subscribe(ws, lots[1]["id"])["type"] == "subscribed"
        assert _subscribe(ws, lots[2]["id"])["code"] == "too_many_subscriptions"
        assert _subscribe(ws, lots[1]["id"])["type"] == "subscribed"  # again: still two
        ws.send_json({"type": "unsubscribe", "lot_id": lots[0]["id"]})
        assert _next(ws) == {"type": "unsubscribed", "lot_id": lots[0]["id"]}
        assert _subscribe(ws, lots[2]["id"])["type"] == "subscribed"


def _closed_with(ws: WebSocketTestSession) -> int:
    """The close code, after whatever messages came before the close."""
    while True:
        try:
            ws.receive_json()
        except WebSocketDisconnect as closed:
            return closed.code


def test_a_message_too_big_closes_1009(make_client: Callable[..., TestClient]) -> None:
    client = make_client(ws_max_message_bytes=256)
    with client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
        ws.send_text('{"type":"ping","pad":"' + "x" * 300 + '"}')
        assert _closed_with(ws) == 1009


def test_bad_credentials_close_4401_and_a_foreign_origin_4403(client: TestClient, api: Any) -> None:
    account = api.account()
    for url, headers in (
        ("/api/ws?token=not-a-token", {}),
        ("/api/ws", {"Authorization": "Bearer not-a-token"}),
        ("/api/ws", {"Authorization": f"Bearer {account.refresh_token}"}),
    ):
        with client.websocket_connect(url, headers=headers) as ws:
            assert _closed_with(ws) == 4401
    cookie = {"Cookie": f"alot_access={account.access_token}"}
    for origin in ("https://evil.example.com", None):
        headers = dict(cookie) if origin is None else {**cookie, "Origin": origin}
        with client.websocket_connect("/api/ws", headers=headers) as ws:
            assert _closed_with(ws) == 4403
    with client.websocket_connect(
        "/api/ws", headers={**cookie, "Origin": "https://testserver"}
    ) as ws:
        assert ws.receive_json()["user_id"] == account.id


def test_connections_per_address_are_limited(make_client: Callable[..., TestClient]) -> None:
    client = make_client(ws_max_connections_per_ip=2)
    with client.websocket_connect("/api/ws") as first, client.websocket_connect("/api/ws") as b:
        first.receive_json()
        b.receive_json()
        with client.websocket_connect("/api/ws") as third:
            assert _closed_with(third) == 4029
    with client.websocket_connect("/api/ws") as again:  # the others left
        assert again.receive_json()["type"] == "welcome"


def test_an_idle_connection_is_closed_4408_and_heartbeats_are_sent(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(ws_idle_timeout_seconds=2, ws_heartbeat_seconds=1)
    with client.websocket_connect("/api/ws") as ws:
        assert ws.receive_json()["idle_timeout_seconds"] == 2
        assert ws.receive_json()["type"] == "heartbeat"
        assert _closed_with(ws) == 4408


def test_an_expiring_token_closes_4401(make_client: Callable[..., TestClient], api: Any) -> None:
    client = make_client(access_token_ttl_seconds=1)
    account = Api(client).account()
    with client.websocket_connect("/api/ws", headers=account.headers) as ws:
        assert ws.receive_json()["user_id"] == account.id
        assert _closed_with(ws) == 4401


def test_personal_events_reach_only_their_owner_and_resume(
    client: TestClient, make_lot_desk: Callable[..., Any], platform: Any
) -> None:
    desk = make_lot_desk(**LOT)
    lot = desk.open_lot()
    buyer, other = desk.player(lot["id"]), desk.player(lot["id"])
    assert desk.buy(buyer, lot["id"], 0).status_code == 201
    with (
        client.websocket_connect("/api/ws", headers=buyer.headers) as mine,
        client.websocket_connect("/api/ws", headers=other.headers) as theirs,
    ):
        assert mine.receive_json()["user_id"] == buyer.id
        theirs.receive_json()
        desk.clock.advance(days=8)  # the lot expires unfunded: its buyer may have a refund
        report = run_tick(platform)
        assert not report.failures, report.summary()
        event = _next(mine)
        assert (event["type"], event["personal"]) == ("refund_available", True)
        assert (event["lot_id"], event["seq"]) == (lot["id"], 1)
        theirs.send_json({"type": "ping"})
        assert _next(theirs)["type"] == "pong"  # nothing personal of someone else's
    desk.login_again(buyer)  # the clock moved past the access token's lifetime
    with client.websocket_connect("/api/ws", headers=buyer.headers) as again:
        again.receive_json()
        again.send_json({"type": "resume_personal", "after_seq": 0})
        assert _next(again)["type"] == "refund_available"
        again.send_json({"type": "resume_personal", "after_seq": 5})
        assert _next(again) == {"type": "resync", "lot_id": None, "personal": True, "seq": 1}


def test_commits_from_many_threads_arrive_in_seq_order(
    client: TestClient, make_lot_desk: Callable[..., Any]
) -> None:
    platform: PlatformContext = client.app.state.platform  # type: ignore[attr-defined]
    lot = make_lot_desk(**LOT).open_lot()  # seq 1
    with client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
        assert _subscribe(ws, lot["id"])["seq"] == 1
        threads = [
            threading.Thread(target=_commit_updates, args=(platform, lot["id"], 25))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [_next(ws)["seq"] for _ in range(100)] == list(range(2, 102))
        ws.send_json({"type": "ping"})
        assert _next(ws)["type"] == "pong"  # and nothing more


def test_the_redis_subscriber_comes_back_after_losing_its_connection(
    client: TestClient, make_lot_desk: Callable[..., Any]
) -> None:
    platform: PlatformContext = client.app.state.platform  # type: ignore[attr-defined]
    hub = platform.live
    if not isinstance(hub, RedisHub):
        pytest.skip("the in-process hub has no connection to lose")
    lot = make_lot_desk(**LOT).open_lot()  # seq 1
    store = redis.Redis.from_url(platform.settings.redis_url or "")
    with client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
        assert _subscribe(ws, lot["id"])["seq"] == 1

        def subscribers() -> set[str]:
            return {
                str(entry["id"])
                for entry in store.client_list(_type="pubsub")
                if entry.get("name") == hub.subscriber_name
            }

        before = subscribers()
        assert len(before) == 1
        assert store.client_kill_filter(_id=next(iter(before))) == 1
        # A new connection subscribed again, and stays (redis-py may reconnect once by
        # itself before the hub notices the loss and subscribes anew).
        deadline = time.monotonic() + 30
        stable_since, seen = time.monotonic(), before
        while True:
            now, current = time.monotonic(), subscribers()
            if current != seen:
                stable_since, seen = now, current
            elif len(current) == 1 and current != before and now - stable_since > 1.0:
                break
            assert now < deadline, "the subscriber never came back"
            time.sleep(0.05)
        _commit_updates(platform, lot["id"], 1)
        event = _next(ws)
        if event["type"] == "resync":  # the hub noticed the loss: its clients refetch
            assert event == {"type": "resync", "lot_id": lot["id"], "seq": 1}
            event = _next(ws)
        assert event["seq"] == 2  # nothing was published while it was away
