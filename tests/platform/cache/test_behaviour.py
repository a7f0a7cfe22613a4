"""What the cache promises besides freshness: a buyer reads their own write, a Redis
outage degrades to the database, concurrent misses load once, the cache answers
exactly what the database would, hidden lots and admins are never cached, and the
hit and miss counts are exported."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from alot_platform.context import PlatformContext
from alot_platform.realtime.events import Event, EventType
from alot_platform.scheduler import run_tick
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from ..live_server import free_port
from .conftest import Reads

LOT = {
    "funding_target_cents": 1_000_000,
    "entry_bundles": [{"price_cents": 100, "tickets": 1}, {"price_cents": 450, "tickets": 5}],
}


@pytest.fixture
def desk(make_lot_desk: Callable[..., Any]) -> Any:
    return make_lot_desk(**LOT)


def test_buyers_read_their_own_purchases_on_the_lot_and_the_list(desk: Any, reads: Reads) -> None:
    """Concurrent buyers: after each 201, the buyer's next read of the lot (from the
    reading app's cache) counts at least every ticket up to their own."""
    lot = desk.open_lot()
    buyers = [desk.player(lot["id"]) for _ in range(6)]
    reads.warm_lot(lot["id"])
    problems: list[str] = []

    def buy_and_read(account: Any) -> None:
        for _ in range(4):
            response = desk.buy(account, lot["id"], 1)
            if response.status_code != 201:
                problems.append(response.text)
                return
            own_last_ticket = response.json()["tickets_end"]
            seen = reads.client.get(f"/api/lots/{lot['id']}").json()["tickets_sold"]
            page = reads.client.get("/api/lots", params={"limit": 100}).json()["items"]
            listed = next(item for item in page if item["id"] == lot["id"])["tickets_sold"]
            if seen < own_last_ticket or listed < own_last_ticket:
                problems.append(f"bought up to {own_last_ticket}, read {seen} / {listed}")

    threads = [threading.Thread(target=buy_and_read, args=(b,)) for b in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    final = reads.lot(lot["id"])
    assert final["tickets_sold"] == 6 * 4 * 5
    assert reads.last_cached


def test_events_out_of_order_keep_the_larger_figures(desk: Any, reads: Reads) -> None:
    lot = desk.open_lot()
    ada = desk.player(lot["id"])
    assert desk.buy(ada, lot["id"], 1).status_code == 201
    reads.warm_lot(lot["id"])
    platform: PlatformContext = desk.client.app.state.platform

    def update(tickets: int) -> Event:
        data = {
            "status": "open",
            "tickets_sold": tickets,
            "funded_cents": tickets * 90,
            "cash_cents": tickets * 90,
            "spent_credits": 0,
        }
        return Event(EventType.LOT_UPDATE, platform.clock(), lot_id=uuid.UUID(lot["id"]), data=data)

    # Another process's later batch arrives first, then this one's earlier one.
    platform.events.dispatch([update(15)])
    platform.events.dispatch([update(10)])
    assert reads.lot(lot["id"])["tickets_sold"] == 15
    assert reads.last_cached


def test_the_cache_answers_what_the_database_does(
    desk: Any,
    reads: Reads,
    make_client: Callable[..., TestClient],
    cache_settings: dict[str, Any],
    services: Any,
) -> None:
    uncached = make_client(**cache_settings, cache_enabled=False)
    lot = desk.open_lot(lot_type="mystery")
    settled = desk.open_lot(funding_target_cents=100)
    ada, bob = desk.player(lot["id"]), desk.player(settled["id"])
    services.grant_credits(ada.id, 300)
    assert desk.buy(ada, lot["id"], 1).status_code == 201
    assert desk.buy_with_credits(ada, lot["id"], 1).status_code == 201
    assert desk.buy(bob, settled["id"], 0).status_code == 201  # funds, draws, settles
    paths = [
        f"/api/lots/{lot['id']}",
        f"/api/lots/{settled['id']}",
        "/api/lots?limit=100",
        "/api/lots?limit=1",
        "/api/lots?sort=most_funded",
        "/api/lots?sort=ending_soon&ending_soon=200",
        "/api/lots?state=settled&q=watch",
        f"/api/lots/{lot['id']}/entries",
        f"/api/lots/{settled['id']}/draw",
        f"/api/lots/{settled['id']}/draw/proof",
    ]
    desk.clock.advance(minutes=3)
    desk.login_again(ada)
    for path in paths:
        family = "lot_list" if "?" in path else "draw" if "draw" in path else "lot"
        family = "leaderboard" if path.endswith("entries") else family
        if not path.endswith("proof"):
            reads.warm(path, family=family)
        assert reads.client.get(path).json() == uncached.get(path).json(), path
    balance = "/api/users/me/credits"
    reads.warm(balance, family="balance", headers=ada.headers)
    assert reads.client.get(balance, headers=ada.headers).json() == (
        uncached.get(balance, headers=ada.headers).json()
    )
    # Bad input is refused the same way, cached or not.
    for bad in ("/api/lots?cursor=nope", f"/api/lots/{lot['id']}/entries?cursor=nope"):
        assert reads.client.get(bad).status_code == uncached.get(bad).status_code == 422
    assert reads.client.get(f"/api/lots/{uuid.uuid4()}").status_code == 404


def test_hidden_lots_and_admin_views_never_come_from_the_cache(
    desk: Any, reads: Reads, api: Any
) -> None:
    mystery = desk.open_lot(lot_type="mystery")
    creator = desk.admin
    private = desk.open_lot(visibility="private")
    unlisted = desk.open_lot(visibility="unlisted")
    outsider = api.account()

    # The admin's view (the product of a mystery lot) never reaches an anonymous reader.
    admin_view = reads.client.get(f"/api/lots/{mystery['id']}", headers=creator.headers).json()
    assert admin_view["product"] is not None
    public = reads.warm(f"/api/lots/{mystery['id']}", family="lot")
    assert public["product"] is None
    again = reads.client.get(f"/api/lots/{mystery['id']}", headers=creator.headers).json()
    assert again["product"] is not None

    # A private lot: its creator (an admin here) sees it; nobody else, however often read.
    for _ in range(3):
        assert reads.client.get(f"/api/lots/{private['id']}").status_code == 404
        assert (
            reads.client.get(f"/api/lots/{private['id']}", headers=outsider.headers).status_code
            == 404
        )
        assert reads.client.get(f"/api/lots/{private['id']}/entries").status_code == 404
        assert reads.client.get(f"/api/lots/{private['id']}/draw").status_code == 404
    assert (
        reads.client.get(f"/api/lots/{private['id']}", headers=creator.headers).status_code == 200
    )
    # An unlisted lot: reachable by id (and cached), never listed.
    assert reads.warm(f"/api/lots/{unlisted['id']}", family="lot")["visibility"] == "unlisted"
    listed = reads.warm("/api/lots", family="lot_list", limit=100)["items"]
    assert {lot["id"] for lot in listed} == {mystery["id"]}
    admin_list = reads.client.get("/api/lots", params={"limit": 100}, headers=creator.headers)
    assert len(admin_list.json()["items"]) == 3


def test_concurrent_misses_load_the_lot_once(
    desk: Any, reads: Reads, client: TestClient, reader: TestClient
) -> None:
    """Sixteen readers (over both apps on Redis) miss the same cold lot at once: one
    loads it from the database, slowed here so that the others arrive while it does."""
    lot = desk.open_lot()
    loads: list[str] = []
    engines = {id(e): e for e in (_engine(client), _engine(reader))}.values()

    def slow_lot_reads(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM lots" in statement:
            loads.append(statement)
            time.sleep(0.3)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", slow_lot_reads)
    start = threading.Barrier(16)
    bodies: list[Any] = []

    def read(app: TestClient) -> None:
        start.wait()
        bodies.append(app.get(f"/api/lots/{lot['id']}").json())

    threads = [threading.Thread(target=read, args=((client, reader)[i % 2],)) for i in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", slow_lot_reads)
    assert len(bodies) == 16
    assert all(body["id"] == lot["id"] for body in bodies)
    assert len(loads) == 1, loads


def _engine(app: TestClient) -> Engine:
    platform: PlatformContext = app.app.state.platform  # type: ignore[attr-defined]
    return platform.database.engine


def test_single_flight_runs_one_load_per_key(platform: PlatformContext) -> None:
    calls: list[int] = []
    results: list[str] = []
    done = threading.Event()

    def load() -> str:
        calls.append(1)
        time.sleep(0.2)
        done.set()
        return "loaded"

    def recheck() -> str | None:
        return "loaded" if done.is_set() else None

    start = threading.Barrier(12)

    def run() -> None:
        start.wait()
        results.append(platform.cache.single_flight("test:key", recheck, load))

    threads = [threading.Thread(target=run) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["loaded"] * 12
    assert len(calls) == 1


class _Proxy:
    """A TCP relay to Redis that the test can cut (an outage) and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._server: socket.socket | None = None
        self._links: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
                self._server.close()
                self._server = None
            for link in self._links:
                with contextlib.suppress(OSError):
                    link.shutdown(socket.SHUT_RDWR)
                link.close()
            self._links.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                downstream, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._links += [downstream, upstream]
            for a, b in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass


@pytest.fixture
def proxied_redis(cache_settings: dict[str, Any]) -> Iterator[tuple[_Proxy, dict[str, Any]]]:
    url = cache_settings.get("redis_url")
    if not url:
        pytest.skip("the Redis variant only")
    parsed = urlsplit(url)
    proxy = _Proxy((parsed.hostname or "127.0.0.1", parsed.port or 6379))
    proxy.start()
    yield proxy, {**cache_settings, "redis_url": f"redis://127.0.0.1:{proxy.port}{parsed.path}"}
    proxy.cut()


def test_a_redis_outage_degrades_to_the_database_and_recovers(
    make_client: Callable[..., TestClient],
    make_lot_desk: Callable[..., Any],
    proxied_redis: tuple[_Proxy, dict[str, Any]],
    services: Any,
) -> None:
    proxy, settings = proxied_redis
    app = make_client(**settings, rate_limit_enabled=False)
    desk = make_lot_desk(on=app, **LOT)
    reads = Reads(app)
    lot = desk.open_lot()
    ada = desk.player(lot["id"])
    assert desk.buy(ada, lot["id"], 1).status_code == 201
    reads.warm_lot(lot["id"])
    reads.warm("/api/users/me/credits", family="balance", headers=ada.headers)

    proxy.cut()  # Redis is gone: every read answers from the database, never a 500
    assert desk.buy(ada, lot["id"], 1).status_code == 201
    assert reads.lot(lot["id"])["tickets_sold"] == 10
    assert not reads.last_cached
    assert reads.listed(lot["id"])["tickets_sold"] == 10  # type: ignore[index]
    board = reads.get(f"/api/lots/{lot['id']}/entries", family="leaderboard")
    assert board["items"][0]["tickets"] == 10
    assert reads.get("/api/users/me/credits", family="balance", headers=ada.headers) == {
        "balance_credits": 0,
        "value": "0.00",
        "tickets_affordable": 0,
        "total_earned_credits": 0,
        "total_spent_credits": 0,
    }
    stats = app.get("/api/admin/cache", headers=desk.admin.headers)
    assert stats.status_code == 200, stats.text

    proxy.start()  # back: the write-through missed during the outage is applied
    time.sleep(1.1)  # past the cache's one-second pause after an error
    deadline = time.monotonic() + 10
    while not reads.last_cached and time.monotonic() < deadline:
        body = reads.lot(lot["id"])
        assert body["tickets_sold"] == 10
    assert reads.last_cached


def test_hits_and_misses_are_exported_to_admins(desk: Any, reads: Reads, api: Any) -> None:
    lot = desk.open_lot()
    reads.warm_lot(lot["id"])
    player = api.account()
    app = reads.client
    assert app.get("/api/admin/cache").status_code == 401
    assert app.get("/api/admin/cache", headers=player.headers).status_code == 403
    response = app.get("/api/admin/cache", headers=desk.admin.headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    expected_backend = "redis" if reads.platform.settings.redis_url else "memory"
    assert (stats["backend"], stats["enabled"]) == (expected_backend, True)
    families = {f["family"]: f for f in stats["families"]}
    assert set(families) >= {"lot", "lot_list", "leaderboard", "balance", "draw"}
    lots = families["lot"]
    assert lots["hits"] >= 1
    assert lots["misses"] >= 1
    assert lots["hit_rate"] == pytest.approx(lots["hits"] / (lots["hits"] + lots["misses"]))
    assert families["draw"]["hit_rate"] is None


def test_with_the_cache_off_nothing_is_cached(
    make_client: Callable[..., TestClient], make_lot_desk: Callable[..., Any], clock: Any
) -> None:
    app = make_client(cache_enabled=False)
    desk = make_lot_desk(on=app, **LOT)
    lot = desk.open_lot(deadline=(clock.now + timedelta(days=2)).isoformat())
    for _ in range(3):
        assert app.get(f"/api/lots/{lot['id']}").status_code == 200
    stats = app.get("/api/admin/cache", headers=desk.admin.headers).json()
    assert stats["enabled"] is False
    assert all(f["hits"] == f["misses"] == 0 for f in stats["families"])


def test_a_lot_expired_by_another_process_is_not_shown_open(
    desk: Any,
    reads: Reads,
    make_client: Callable[..., TestClient],
    cache_settings: dict[str, Any],
    clock: Any,
) -> None:
    """`alot tick` from cron is another process: beside an in-process cache, its events
    never reach the API's cache. An open lot past its deadline is read from the
    database (its state changes then), on its own and on the lists."""
    lot = desk.open_lot(deadline=(clock.now + timedelta(hours=1)).isoformat())
    reads.warm_lot(lot["id"], state="open")
    ticker = make_client(**cache_settings)  # the tick's own platform (and cache)

    clock.advance(hours=1)
    report = run_tick(ticker.app.state.platform)  # type: ignore[attr-defined]
    assert report.expired == [uuid.UUID(lot["id"])]

    assert reads.lot(lot["id"])["status"] == "closed"  # no purchase to refund
    assert reads.listed(lot["id"], state="open") is None
