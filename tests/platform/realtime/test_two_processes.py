"""Live events across two real API processes on real PostgreSQL and Redis.

Two `alot serve` subprocesses share one database and one Redis, as two hosts of a
deployment do. Purchases go over HTTP to one (A); subscribers connect over real
WebSockets (the `websockets` library's client) to the other (B), and to A. The test
process sets up accounts and lots through its own app on the same database; where a
test needs many events fast, it commits them through the platform's own unit of work
and hub publisher (our production code, as a worker process would).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alot_platform.context import PlatformContext
from alot_platform.realtime.events import Event, EventType, emit
from fastapi.testclient import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ..conftest import Account, FakeClock
from ..live_server import free_port, wait_until_ready

ALOT = Path(sys.executable).parent / "alot"
pytestmark = [pytest.mark.timeout(240), pytest.mark.services]

LOT = {
    "funding_target_cents": 1000,
    "entry_bundles": [{"price_cents": 100, "tickets": 1}, {"price_cents": 450, "tickets": 5}],
}


@pytest.fixture
def hub_settings() -> dict[str, Any]:
    return {}  # the Redis hub, always (the fixtures below)


@pytest.fixture
def live() -> Iterator[Callable[..., Live]]:
    """Open real WebSocket clients; all are closed at the end."""
    with ExitStack() as stack:

        def open_live(url: str, **kwargs: Any) -> Live:
            return Live(stack.enter_context(connect(url, open_timeout=10, **kwargs)))

        yield open_live


@pytest.fixture
def clock() -> FakeClock:
    # The servers keep real time: tokens the test process issues must be valid there.
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def db_url(postgres_url: str) -> str:
    return postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def prefix(redis_url: str) -> str:
    return os.environ["ALOT_TEST_REDIS_PREFIX"]


@pytest.fixture
def client(make_client: Callable[..., TestClient], redis_url: str, prefix: str) -> TestClient:
    """The test process's own app: set-up over HTTP, and a publisher on the same Redis."""
    return make_client(redis_url=redis_url, redis_prefix=prefix)


@pytest.fixture
def platform(client: TestClient) -> PlatformContext:
    context: PlatformContext = client.app.state.platform  # type: ignore[attr-defined]
    return context


class Servers:
    def __init__(self, a: str, b: str) -> None:
        self.a = a
        self.b = b

    def ws(self, base: str) -> str:
        return base.replace("http://", "ws://") + "/api/ws"


@pytest.fixture
def start_servers(
    client: TestClient, db_url: str, redis_url: str, prefix: str, tmp_path: Path
) -> Iterator[Callable[..., Servers]]:
    """Start two `alot serve` processes (one worker each) on the test's database."""
    started: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    settings = client.app.state.platform.settings  # type: ignore[attr-defined]

    def start(**env_overrides: str) -> Servers:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALOT_")}
        env.update(
            ALOT_ENV="development",
            ALOT_VAR_DIR=str(settings.var_dir),  # the same keys as the test's app
            ALOT_WEB_DIR=str(tmp_path / "no-web-client"),
            ALOT_DATABASE_URL=db_url,
            ALOT_REDIS_URL=redis_url,
            ALOT_REDIS_PREFIX=prefix,
            ALOT_TASK_RUNNER="inline",
            ALOT_RATE_LIMIT_DEFAULT="100000/minute",
            ALOT_RATE_LIMIT_AUTH="100000/minute",
            ALOT_ARGON2_TIME_COST="1",
            ALOT_ARGON2_MEMORY_KIB="1024",
            ALOT_ARGON2_PARALLELISM="1",
            **env_overrides,
        )
        bases = []
        for _ in range(2):
            port = free_port()
            log = open(tmp_path / f"serve-{port}.log", "wb")  # noqa: SIM115
            logs.append(log)
            process = subprocess.Popen(
                [str(ALOT), "serve", "--port", str(port), "--workers", "1"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            started.append(process)
            bases.append((f"http://127.0.0.1:{port}", process))
        for base, process in bases:
            wait_until_ready(base, process)
        return Servers(bases[0][0], bases[1][0])

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
    for log in logs:
        log.close()
    server_logs = "".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
    assert '"WebSocket /api/ws' in server_logs  # uvicorn logged the handshakes...
    assert "token=ey" not in server_logs  # ...never a token in them


class Live:
    """One real WebSocket client, reading as a client does."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.welcome = self.next()

    def next(self, timeout: float = 20) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
            if message["type"] != "heartbeat":
                return message

    def send(self, **message: Any) -> None:
        self.ws.send(json.dumps(message))

    def subscribe(self, lot_id: str, **extra: Any) -> dict[str, Any]:
        self.send(type="subscribe", lot_id=lot_id, **extra)
        return self.next()

    def nothing_more(self) -> None:
        """Nothing is waiting before the answer to a ping (the server answers in order)."""
        self.send(type="ping")
        assert self.next()["type"] == "pong"


def _read_until_closed(ws: ClientConnection) -> tuple[int, int | None]:
    """How many messages came before the close, and the close code."""
    received = 0
    while True:
        try:
            ws.recv(timeout=60)
        except ConnectionClosed as closed:
            return received, None if closed.rcvd is None else closed.rcvd.code
        received += 1


def _buy(base: str, account: Account, lot_id: str, bundle_index: int = 0) -> None:
    response = httpx.post(
        f"{base}/api/lots/{lot_id}/entries/purchase",
        json={"bundle_index": bundle_index},
        headers={**account.headers, "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert response.status_code == 201, response.text


def test_an_event_committed_in_one_process_reaches_the_other_in_seq_order_and_resumes(
    start_servers: Callable[..., Servers],
    live: Callable[..., Live],
    make_lot_desk: Callable[..., Any],
) -> None:
    servers = start_servers()
    desk = make_lot_desk(funding_target_cents=100_000)
    lot = desk.open_lot()  # seq 1
    buyer = desk.player(lot["id"])
    on_b, on_a = live(servers.ws(servers.b)), live(servers.ws(servers.a))
    subscribed = on_b.subscribe(lot["id"])
    assert subscribed.pop("data")["tickets_sold"] == 0
    assert subscribed == {"type": "subscribed", "lot_id": lot["id"], "seq": 1}
    assert on_a.subscribe(lot["id"])["seq"] == 1
    for _ in range(5):
        _buy(servers.a, buyer, lot["id"])
    for watcher in (on_b, on_a):
        events = [watcher.next() for _ in range(5)]
        assert [e["seq"] for e in events] == [2, 3, 4, 5, 6]
        assert [e["data"]["tickets_sold"] for e in events] == [1, 2, 3, 4, 5]
        assert {e["type"] for e in events} == {"lot_update"}
    on_b.ws.close()

    for _ in range(3):  # while B's subscriber is away
        _buy(servers.a, buyer, lot["id"])
    assert [on_a.next()["seq"] for _ in range(3)] == [7, 8, 9]
    again = live(servers.ws(servers.b))
    assert again.subscribe(lot["id"], after_seq=6)["seq"] == 9
    missed = [again.next() for _ in range(3)]
    assert [e["seq"] for e in missed] == [7, 8, 9]
    assert [e["data"]["tickets_sold"] for e in missed] == [6, 7, 8]
    _buy(servers.a, buyer, lot["id"])
    assert again.next()["seq"] == 10  # then live, no duplicate, no gap
    again.nothing_more()


def test_a_rolled_back_transaction_sends_nothing(
    start_servers: Callable[..., Servers],
    make_lot_desk: Callable[..., Any],
    platform: PlatformContext,
    live: Callable[..., Live],
) -> None:
    servers = start_servers()
    lot = make_lot_desk(**LOT).open_lot()
    lot_id = uuid.UUID(lot["id"])
    watcher = live(servers.ws(servers.b))
    assert watcher.subscribe(lot["id"])["seq"] == 1
    with platform.database.sessions() as session:
        emit(session, Event(EventType.LOT_UPDATE, platform.clock(), lot_id, data={"n": 1}))
        session.rollback()
    with platform.database.sessions() as session:
        emit(session, Event(EventType.LOT_UPDATE, platform.clock(), lot_id, data={"n": 2}))
        session.commit()
    event = watcher.next()
    assert (event["seq"], event["data"]) == (2, {"n": 2})
    watcher.nothing_more()


def test_personal_events_reach_only_their_owner(
    start_servers: Callable[..., Servers],
    make_lot_desk: Callable[..., Any],
    api: Any,
    live: Callable[..., Live],
) -> None:
    servers = start_servers()
    desk = make_lot_desk(**LOT)
    lot = desk.open_lot()
    players = [desk.player(lot["id"]), desk.player(lot["id"])]
    outsider = api.account()
    watching = {p.id: live(servers.ws(servers.b), additional_headers=p.headers) for p in players}
    stranger = live(servers.ws(servers.b) + f"?token={outsider.access_token}")
    assert stranger.welcome["user_id"] == outsider.id
    assert {w.welcome["user_id"] for w in watching.values()} == {p.id for p in players}

    _buy(servers.a, players[0], lot["id"], 0)
    _buy(servers.a, players[1], lot["id"], 1)
    _buy(servers.a, players[1], lot["id"], 1)  # funds it; A draws and settles it inline

    personal = {pid: watcher.next() for pid, watcher in watching.items()}
    won = [pid for pid, event in personal.items() if event["type"] == "won"]
    assert len(won) == 1
    loser = next(p.id for p in players if p.id != won[0])
    assert personal[loser]["type"] == "credits_awarded"
    for event in personal.values():
        assert (event["personal"], event["seq"], event["lot_id"]) == (True, 1, lot["id"])
    stranger.nothing_more()
    for watcher in watching.values():
        watcher.nothing_more()


def test_a_private_lots_events_never_reach_an_outsider(
    start_servers: Callable[..., Servers],
    make_lot_desk: Callable[..., Any],
    api: Any,
    live: Callable[..., Live],
) -> None:
    servers = start_servers()
    desk = make_lot_desk(funding_target_cents=100_000)
    private = desk.open_lot(visibility="private")
    public = desk.open_lot()
    outsider = api.account()
    stranger = live(servers.ws(servers.b), additional_headers=outsider.headers)
    anonymous = live(servers.ws(servers.b))
    owner = live(servers.ws(servers.b), additional_headers=desk.admin.headers)
    for watcher in (stranger, anonymous):
        refused = watcher.subscribe(private["id"])
        assert (refused["type"], refused["code"]) == ("error", "lot_not_found")
        assert watcher.subscribe(public["id"])["type"] == "subscribed"
    assert owner.subscribe(private["id"])["seq"] == 1

    # The creator (an admin) buys into their private lot on A.
    desk.pass_trivia(desk.admin, private["id"])
    _buy(servers.a, desk.admin, private["id"])
    event = owner.next()
    assert (event["lot_id"], event["seq"]) == (private["id"], 2)
    for watcher in (stranger, anonymous):
        watcher.nothing_more()


def test_a_slow_client_is_dropped_while_another_keeps_receiving(
    start_servers: Callable[..., Servers],
    make_lot_desk: Callable[..., Any],
    platform: PlatformContext,
    live: Callable[..., Live],
) -> None:
    servers = start_servers(ALOT_WS_SEND_QUEUE="32")
    lot = make_lot_desk(**LOT).open_lot()
    lot_id = uuid.UUID(lot["id"])
    # The slow client: a tiny receive buffer, and a client that stops reading from the
    # socket once one message waits unread (max_queue=1).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = servers.b.removeprefix("http://").split(":")
    sock.connect((host, int(port)))
    slow = live(servers.ws(servers.b), sock=sock, max_queue=1)
    assert slow.subscribe(lot["id"])["seq"] == 1
    # The other client reads everything as it comes (its reader thread never pauses,
    # while this thread is busy publishing).
    fast = live(servers.ws(servers.b), max_queue=None)
    assert fast.subscribe(lot["id"])["seq"] == 1

    # 1000 events of 8 kB each (8 MB): far more than the kernel's buffers hold. The
    # platform's own hub publishes them, 50 per commit, as fast as Redis takes them.
    hub = platform.live
    assert hub is not None
    pad = "x" * 8000
    for first in range(0, 1000, 50):
        hub.publish(
            [
                Event(EventType.LOT_UPDATE, platform.clock(), lot_id, data={"n": n, "pad": pad})
                for n in range(first, first + 50)
            ]
        )
    got = [fast.next()["data"]["n"] for _ in range(1000)]
    assert got == list(range(1000))

    received, code = _read_until_closed(slow.ws)
    assert code == 4008
    assert received < 1000
    fast.nothing_more()
