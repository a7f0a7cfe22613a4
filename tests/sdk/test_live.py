"""`lots.watch` and `notifications.watch` against the real platform served by uvicorn
(with its lifespan: the live hub of `GET /api/ws` starts there): events in seq order
while another player buys, a dropped connection resumed without loss, a resync when
the platform no longer keeps what was missed, personal events, refusals. Plus the
protocol state (`_Streams`) fed the messages a server could send, for what a healthy
server never does (a hole in the seqs)."""

from __future__ import annotations

import os
import queue
import selectors
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from alot_sdk import Alot, AsyncAlot, LiveError, LiveEvent, LiveWatch, Reconnect
from alot_sdk.live import _Streams, ws_url
from fastapi import FastAPI

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

pytestmark = pytest.mark.timeout(90)  # a hang guard: a watch blocks until an event

FAST = Reconnect(initial_delay=0.05, max_delay=0.2)
WAIT = 20.0  # seconds an expected event may take before the test gives up (no timing assert)


@pytest.fixture
def live_url(live_hub_server: str) -> str:
    return live_hub_server


class Collector:
    """Runs a sync watch in a thread and hands its events over a queue."""

    def __init__(self, watch: LiveWatch) -> None:
        self.watch = watch
        self._events: queue.Queue[LiveEvent | BaseException] = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for event in self.watch:
                self._events.put(event)
        except BaseException as error:  # handed to the test, which raises it
            self._events.put(error)

    def take(self, count: int) -> list[LiveEvent]:
        taken: list[LiveEvent] = []
        while len(taken) < count:
            item = self._events.get(timeout=WAIT)
            if isinstance(item, BaseException):
                raise item
            taken.append(item)
        return taken

    def close(self) -> None:
        self.watch.close()
        self._thread.join(timeout=WAIT)
        assert not self._thread.is_alive(), "close() did not end the watch"


@pytest.fixture
def app(make_app: Callable[..., FastAPI], request: pytest.FixtureRequest) -> FastAPI:
    """The fixtures' app, with the settings a test parametrizes indirectly; `"hub":
    "redis"` puts its live hub on the test Redis (own key prefix)."""
    settings = dict(getattr(request, "param", {}))
    if settings.pop("hub", None) == "redis":
        settings["redis_url"] = request.getfixturevalue("redis_url")
        settings["redis_prefix"] = os.environ["ALOT_TEST_REDIS_PREFIX"]
    return make_app(**settings)


BOTH_HUBS = pytest.mark.parametrize(
    "app", [{}, pytest.param({"hub": "redis"}, marks=pytest.mark.services)], indirect=True
)


def _buyer(make_player: Callable[..., Any], lot: Any) -> Any:
    player = make_player()
    assert player.client.trivia.attempt(lot.id, lot.answer).correct
    return player


def _lot_events(events: list[LiveEvent]) -> list[tuple[int, int]]:
    return [(e.seq, e.data["tickets_sold"]) for e in events]


def test_a_fresh_watch_starts_with_the_lot_as_it_stands(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot = open_lot(funding_target_cents=100_000)
    buyer = _buyer(make_player, lot)
    with Alot(base_url=live_url) as anonymous:
        fetched = anonymous.lots.get(lot.id)
        buyer.client.entries.purchase(lot.id, bundle_index=1)  # after the fetch: 3 tickets
        collector = Collector(anonymous.lots.watch(lot.id, reconnect=FAST))
        try:
            (current,) = collector.take(1)
            assert (current.type, current.seq) == ("lot_current", 2)
            assert current.data["tickets_sold"] == fetched.tickets_sold + 3
            buyer.client.entries.purchase(lot.id, bundle_index=0)
            assert _lot_events(collector.take(1)) == [(3, 4)]
        finally:
            collector.close()


@BOTH_HUBS
def test_events_arrive_in_order_while_another_player_buys(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot = open_lot(funding_target_cents=100_000)
    buyer = _buyer(make_player, lot)
    buyer.client.entries.purchase(lot.id, bundle_index=0)  # before watching

    with Alot(base_url=live_url) as anonymous:
        # after_seq=0: from the lot's first event (it opened), what was missed comes first.
        collector = Collector(anonymous.lots.watch(lot.id, after_seq=0, reconnect=FAST))
        try:
            opened, first = collector.take(2)
            assert (opened.type, opened.seq, opened.data["status"]) == ("lot_update", 1, "open")
            assert (first.type, first.seq, first.data["tickets_sold"]) == ("lot_update", 2, 1)
            assert first.lot_id == lot.id
            assert not first.personal
            assert first.at is not None

            for bundle in (1, 0, 1):  # 3 + 1 + 3 tickets
                buyer.client.entries.purchase(lot.id, bundle_index=bundle)
            later = collector.take(3)
            assert _lot_events(later) == [(3, 4), (4, 5), (5, 8)]
            assert later[-1].data["funded_cents"] == anonymous.lots.get(lot.id).funding.funded_cents
            assert collector.watch.last_seq == 5
        finally:
            collector.close()


class CuttableProxy:
    """A TCP proxy in front of the live server whose connections the test can cut.

    `cut()` closes every connection passing through, and refuses new ones (accepted,
    then closed at once) until `restore()`: a network outage, as the client sees it.
    """

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._cut = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._threads: list[threading.Thread] = []
        self.connections = 0
        self.url = "http://{}:{}".format(*self._listener.getsockname()[:2])

    def __enter__(self) -> CuttableProxy:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.cut()
        for thread in self._threads:
            thread.join()
        self._listener.close()

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                with _quietly():
                    sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self._cut.clear()

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            if self._cut.is_set():
                conn.close()
                continue
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self._pairs.append((conn, upstream))
                self.connections += 1
            self._spawn(self._pipe, conn, upstream)

    def _pipe(self, conn: socket.socket, upstream: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(conn, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, conn)
        try:
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.05):
                    try:
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            return
                        key.data.sendall(data)
                    except OSError:
                        return
        finally:
            selector.close()
            conn.close()
            upstream.close()


class _quietly:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> bool:
        return exc_type is not None and issubclass(exc_type, OSError)


@BOTH_HUBS
def test_a_dropped_connection_resumes_without_loss(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot = open_lot(funding_target_cents=100_000)
    buyer = _buyer(make_player, lot)
    with CuttableProxy(live_url) as proxy, Alot(base_url=proxy.url) as watcher:
        collector = Collector(watcher.lots.watch(lot.id, after_seq=1, reconnect=FAST))
        try:
            buyer.client.entries.purchase(lot.id, bundle_index=0)
            assert _lot_events(collector.take(1)) == [(2, 1)]

            proxy.cut()  # the connection drops; reconnecting fails until restore()
            for _ in range(3):  # bought while the watcher cannot hear
                buyer.client.entries.purchase(lot.id, bundle_index=1)
            proxy.restore()
            buyer.client.entries.purchase(lot.id, bundle_index=0)

            resumed = collector.take(4)
            assert [e.type for e in resumed] == ["lot_update"] * 4  # no resync: nothing lost
            assert _lot_events(resumed) == [(3, 4), (4, 7), (5, 10), (6, 11)]
            assert proxy.connections >= 2  # it did reconnect
        finally:
            collector.close()


@pytest.mark.parametrize(
    "app", [{"ws_heartbeat_seconds": 1, "ws_idle_timeout_seconds": 2}], indirect=True
)
def test_pings_keep_a_quiet_watch_on_its_connection(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot = open_lot(funding_target_cents=100_000)
    buyer = _buyer(make_player, lot)
    with CuttableProxy(live_url) as proxy, Alot(base_url=proxy.url) as watcher:
        collector = Collector(watcher.lots.watch(lot.id, after_seq=0, reconnect=FAST))
        try:
            assert [e.seq for e in collector.take(1)] == [1]
            # Quiet for longer than the idle timeout: without the watch's pings the
            # server would close it (4408) and the watch would have to reconnect.
            threading.Event().wait(3.5)
            buyer.client.entries.purchase(lot.id, bundle_index=0)
            assert _lot_events(collector.take(1)) == [(2, 1)]
            assert proxy.connections == 1
        finally:
            collector.close()


# In-process only: the Redis hub trims its streams approximately (XADD MAXLEN ~), so
# how many it keeps past ws_stream_length is Redis's choice.
@pytest.mark.parametrize("app", [{"ws_stream_length": 10}], indirect=True)
def test_a_resync_is_surfaced_when_the_missed_events_are_gone(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot = open_lot(funding_target_cents=100_000)
    buyer = _buyer(make_player, lot)
    for _ in range(12):  # events 2..13 (the lot opening was 1): only the last 10 are kept
        buyer.client.entries.purchase(lot.id, bundle_index=0)
    with Alot(base_url=live_url) as anonymous:
        collector = Collector(anonymous.lots.watch(lot.id, after_seq=1, reconnect=FAST))
        try:
            (resync,) = collector.take(1)
            assert resync.is_resync
            assert (resync.seq, resync.lot_id, resync.data) == (13, lot.id, {"reason": "expired"})
            # The caller refetches, and carries on from there.
            assert anonymous.lots.get(lot.id).tickets_sold == 12
            buyer.client.entries.purchase(lot.id, bundle_index=0)
            assert _lot_events(collector.take(1)) == [(14, 13)]
        finally:
            collector.close()


def test_a_resume_ahead_of_the_lot_is_one_resync(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    # What a client sees after an embedded server restarted: its seq is ahead of the lot.
    lot = open_lot(funding_target_cents=100_000)
    buyer = _buyer(make_player, lot)
    with Alot(base_url=live_url) as anonymous:
        collector = Collector(anonymous.lots.watch(lot.id, after_seq=50, reconnect=FAST))
        try:
            (resync,) = collector.take(1)
            assert (resync.is_resync, resync.seq) == (True, 1)
            buyer.client.entries.purchase(lot.id, bundle_index=0)
            assert _lot_events(collector.take(1)) == [(2, 1)]  # no second resync before it
        finally:
            collector.close()


def test_watch_refuses_a_lot_the_caller_may_not_see(
    live_url: str, open_lot: Callable[..., Any]
) -> None:
    lot = open_lot(visibility="private")
    with Alot(base_url=live_url) as anonymous, anonymous.lots.watch(lot.id) as events:
        with pytest.raises(LiveError) as refused:
            next(events)
        assert refused.value.code == "lot_not_found"


def test_bad_credentials_end_the_watch_without_a_refresh_token(
    live_url: str, open_lot: Callable[..., Any]
) -> None:
    lot = open_lot()
    with (
        Alot(base_url=live_url, api_token="not-a-token") as stranger,
        stranger.lots.watch(lot.id, reconnect=FAST) as events,
    ):
        with pytest.raises(LiveError) as refused:
            next(events)
        assert (refused.value.code, refused.value.close_code) == ("unauthenticated", 4401)


def test_personal_events_reach_their_owner(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot = open_lot()  # 1000 cents: two bundles of 500 fund it, and it is drawn at once
    ada, bob = _buyer(make_player, lot), _buyer(make_player, lot)
    ada.client.entries.purchase(lot.id, bundle_index=1)
    bob.client.entries.purchase(lot.id, bundle_index=1)  # funds: the draw runs
    draw = ada.client.lots.draw(lot.id)
    winner, other = (ada, bob) if draw.winner_user_id == ada.id else (bob, ada)
    with (
        Alot(base_url=live_url, api_token=winner.client.access_token) as winner_live,
        Alot(base_url=live_url, api_token=other.client.access_token) as other_live,
    ):
        # after_seq=0: each player's own stream from its start (it happened already).
        won_events = Collector(winner_live.notifications.watch(after_seq=0, reconnect=FAST))
        lost_events = Collector(other_live.notifications.watch(after_seq=0, reconnect=FAST))
        try:
            (won,) = won_events.take(1)
            (lost,) = lost_events.take(1)
            assert (won.type, won.personal, won.lot_id, won.seq) == ("won", True, lot.id, 1)
            assert won.data["winning_ticket"] == draw.winning_ticket
            assert (lost.type, lost.personal, lost.seq) == ("credits_awarded", True, 1)
            assert lost.data["credits"] == 250
        finally:
            won_events.close()
            lost_events.close()


def test_a_watch_gives_up_after_max_attempts_without_a_server() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    patience = Reconnect(initial_delay=0.01, max_delay=0.02, max_attempts=2)
    with Alot(base_url=f"http://127.0.0.1:{port}") as client:
        events = client.lots.watch(LOT, reconnect=patience)
        with pytest.raises(LiveError) as gave_up:
            next(events)
        assert gave_up.value.code == "reconnects_exhausted"
        assert "2 attempt(s)" in gave_up.value.message


def test_an_expired_access_token_is_refreshed_and_the_watch_goes_on(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any], clock: Any
) -> None:
    lot = open_lot()
    ada, bob = _buyer(make_player, lot), _buyer(make_player, lot)
    ada.client.entries.purchase(lot.id, bundle_index=1)
    bob.client.entries.purchase(lot.id, bundle_index=1)  # drawn: one personal event each
    tokens = {"api_token": ada.client.access_token, "refresh_token": ada.client.refresh_token}
    clock.advance(minutes=20)  # past the access token's 15 minutes, within the session
    with Alot(base_url=live_url, **tokens) as client:
        collector = Collector(client.notifications.watch(after_seq=0, reconnect=FAST))
        try:
            (event,) = collector.take(1)  # 4401 first; refreshed; then welcomed as Ada
            assert (event.personal, event.seq) == (True, 1)
            assert client.access_token not in (None, tokens["api_token"])
        finally:
            collector.close()


def test_personal_watch_needs_a_session(live_url: str) -> None:
    with Alot(base_url=live_url) as anonymous, anonymous.notifications.watch() as events:
        with pytest.raises(LiveError) as refused:
            next(events)
        assert refused.value.code == "unauthenticated"


@pytest.mark.anyio
async def test_async_watch_follows_purchases_and_closes(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot = open_lot(funding_target_cents=100_000)
    buyer = _buyer(make_player, lot)
    async with AsyncAlot(base_url=live_url) as client:
        watch = await client.lots.watch(lot.id, after_seq=0, reconnect=FAST)
        async with watch:
            seen: list[LiveEvent] = []
            with anyio.fail_after(WAIT):
                async for event in watch:
                    seen.append(event)
                    if event.seq == 1:  # connected and caught up: buy from elsewhere
                        await anyio.to_thread.run_sync(
                            lambda: buyer.client.entries.purchase(lot.id, bundle_index=1)
                        )
                    if event.seq == 2:
                        break
            assert [(e.seq, e.data["tickets_sold"]) for e in seen] == [(1, 0), (2, 3)]
            assert watch.last_seq == 2
        with pytest.raises(StopAsyncIteration):
            await watch.__anext__()


def test_the_watch_lot_example_prints_the_lots_events(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot = open_lot(funding_target_cents=100_000)
    _buyer(make_player, lot).client.entries.purchase(lot.id, bundle_index=1)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ALOT_", "PYTEST_"))}
    arguments = ["--lot-id", lot.id, "--from-start", "--events", "2"]
    watched = subprocess.run(
        [sys.executable, str(EXAMPLES / "watch_lot.py"), *arguments],
        env={**environment, "ALOT_BASE_URL": live_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert watched.returncode == 0, watched.stdout + watched.stderr
    lines = watched.stdout.splitlines()
    assert lines[0].startswith("watching 'Quick draw")
    assert lines[1].startswith("#1 ")
    assert lines[1].endswith("open: 0 ticket(s) sold, $0.00 of $1,000.00 (0.00%)")
    assert lines[2].endswith("open: 3 ticket(s) sold, $5.00 of $1,000.00 (0.50%)")
    assert lines[3] == "OK: 2 event(s)"


@pytest.mark.anyio
async def test_async_personal_watch_resumes_the_players_stream(
    live_url: str, make_player: Callable[..., Any], open_lot: Callable[..., Any]
) -> None:
    lot = open_lot()
    ada, bob = _buyer(make_player, lot), _buyer(make_player, lot)
    ada.client.entries.purchase(lot.id, bundle_index=1)
    bob.client.entries.purchase(lot.id, bundle_index=1)  # funds: drawn at once
    winner_id = ada.client.lots.draw(lot.id).winner_user_id
    token = ada.client.access_token
    async with AsyncAlot(base_url=live_url, api_token=token) as client:
        watch = await client.notifications.watch(after_seq=0, reconnect=FAST)
        async with watch:
            with anyio.fail_after(WAIT):
                event = await watch.__anext__()
    assert event.personal
    assert event.type == ("won" if winner_id == ada.id else "credits_awarded")
    assert (event.seq, watch.last_seq) == (1, 1)


# -- the protocol state, message by message --------------------------------------------

LOT = "11111111-1111-4111-8111-111111111111"


def _event(seq: int, tickets: int, lot_id: str = LOT) -> dict[str, Any]:
    return {
        "type": "lot_update",
        "lot_id": lot_id,
        "seq": seq,
        "at": "2026-12-06T07:00:00Z",
        "data": {"tickets_sold": tickets},
    }


def _welcomed(streams: _Streams, **welcome: Any) -> list[dict[str, Any]]:
    streams.connected()
    streams.receive({"type": "welcome", "user_id": None, "heartbeat_seconds": 25, **welcome})
    return streams.opening()


def test_streams_subscribe_resume_and_dedupe() -> None:
    streams = _Streams(lot_id=LOT, after_seq=None, personal=False)
    assert _welcomed(streams) == [{"type": "subscribe", "lot_id": LOT}]
    assert streams.heartbeat_seconds == 25
    assert streams.receive({"type": "subscribed", "lot_id": LOT, "seq": 4}) == []
    assert [e.seq for e in streams.receive(_event(5, 1))] == [5]
    assert streams.receive(_event(5, 1)) == []  # a duplicate
    assert streams.receive(_event(1, 1, "22222222-2222-4222-8222-222222222222")) == []
    assert _welcomed(streams) == [{"type": "subscribe", "lot_id": LOT, "after_seq": 5}]


def test_streams_turn_a_gap_into_a_resync_before_the_event() -> None:
    streams = _Streams(lot_id=LOT, after_seq=3, personal=False)
    _welcomed(streams)
    streams.receive({"type": "subscribed", "lot_id": LOT, "seq": 3})
    resync, event = streams.receive(_event(6, 9))
    assert (resync.type, resync.seq, resync.data, resync.is_resync) == (
        "resync",
        5,
        {"reason": "gap"},
        True,
    )
    assert (event.seq, event.is_resync) == (6, False)
    assert streams.last_seq == 6


def test_streams_see_a_restarted_numbering_as_a_reset() -> None:
    streams = _Streams(lot_id=LOT, after_seq=7, personal=False)
    _welcomed(streams)
    (reset,) = streams.receive({"type": "subscribed", "lot_id": LOT, "seq": 0})
    assert (reset.type, reset.seq, reset.data["reason"]) == ("resync", 0, "reset")
    # The platform's own resync for an after_seq ahead of the lot is the same news.
    assert streams.receive({"type": "resync", "lot_id": LOT, "seq": 0}) == []
    assert [e.seq for e in streams.receive(_event(1, 1))] == [1]


def test_streams_raise_a_refusal() -> None:
    streams = _Streams(lot_id=LOT, after_seq=None, personal=False)
    _welcomed(streams)
    with pytest.raises(LiveError) as refused:
        streams.receive({"type": "error", "code": "too_many_subscriptions", "message": "x"})
    assert refused.value.code == "too_many_subscriptions"


def test_ws_url_follows_the_base_url() -> None:
    assert ws_url("http://127.0.0.1:8000/") == "ws://127.0.0.1:8000/api/ws"
    assert ws_url("https://alot.example") == "wss://alot.example/api/ws"
    with pytest.raises(ValueError, match="WebSocket"):
        ws_url("ftp://alot.example")


def test_reconnect_backoff_doubles_to_its_cap() -> None:
    backoff = Reconnect(initial_delay=0.5, max_delay=30.0)
    for attempt, full in [(0, 0.5), (1, 1.0), (2, 2.0), (6, 30.0), (10, 30.0)]:
        assert full / 2 <= backoff.delay(attempt) <= full
    with pytest.raises(ValueError, match="initial_delay"):
        Reconnect(initial_delay=2, max_delay=1)
