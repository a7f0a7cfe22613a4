"""Fixtures for the SDK suite: the real platform app on SQLite, reached three ways.

- in process, sync: `Alot` over a transport that runs the ASGI app on an anyio portal;
- in process, async: `AsyncAlot` over httpx's ASGI transport;
- over TCP: the same app served by uvicorn on 127.0.0.1 (retries, timeouts, dropped
  connections, and the examples, which run as subprocesses).

The platform's clock is a `FakeClock` the tests move (token expiry, deadlines). Rate
limits are high and Argon2 cheap so the suite stays fast. Set-up uses the SDK itself
wherever an endpoint exists; only what has no endpoint (granting the admin role,
making a ledger checkpoint, running the scheduler's tick) calls the platform's code.
"""

from __future__ import annotations

import re
import selectors
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.from_thread
import httpx
import pytest
import uvicorn
from alot_platform.app import create_app
from alot_platform.config import Settings
from alot_platform.db import unit_of_work
from alot_platform.migrate import migrate
from alot_platform.scheduler import ledger_checkpointer, run_tick
from alot_platform.users.models import Role
from alot_platform.users.service import UserService
from alot_sdk import Alot, AsyncAlot
from fastapi import FastAPI

PASSWORD = "correct-horse-battery"
BASE_URL = "http://platform.test"


DEV_SECRET = "dev-secret-of-the-sdk-tests"  # opens the dev mailbox


class FakeClock:
    """The platform clock, under the test's control."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


def platform_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        # development on loopback with a dev secret: the dev mailbox is mounted
        "env": "development",
        "dev_bind_host": "127.0.0.1",
        "dev_mailbox_secret": DEV_SECRET,
        "var_dir": tmp_path / "var",
        "database_url": f"sqlite:///{tmp_path / 'alot.db'}",
        "redis_url": None,
        "rate_limit_default": "100000/minute",
        "rate_limit_auth": "100000/minute",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "argon2_parallelism": 1,
        "smtp_host": None,
        "task_runner": "inline",
        "draw_algorithm_default": "alot-v1",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_app(tmp_path: Path, clock: FakeClock) -> Callable[..., FastAPI]:
    """A migrated platform app on this test's SQLite file; keywords override settings."""

    def make(**overrides: Any) -> FastAPI:
        settings = platform_settings(tmp_path, **overrides)
        migrate(settings)
        return create_app(settings, clock=clock)

    return make


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


# -- in-process transports -------------------------------------------------------------


class PortalASGITransport(httpx.BaseTransport):
    """A sync httpx transport that runs an ASGI app on an anyio portal's event loop.

    httpx's own ASGITransport is async only; starlette's TestClient speaks another
    httpx. This runs httpx's ASGITransport from the calling thread, whole-body.
    """

    def __init__(self, app: FastAPI, portal: anyio.from_thread.BlockingPortal) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()

        async def send() -> tuple[int, httpx.Headers, bytes]:
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
            return response.status_code, response.headers, content

        status, headers, content = self._portal.call(send)
        return httpx.Response(status, headers=headers, content=content, request=request)


@dataclass
class RequestLog:
    """Every request a client sent (an httpx event hook: observes, changes nothing)."""

    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def count(self, method: str, path_pattern: str) -> int:
        return sum(
            1
            for r in self.requests
            if r.method == method and re.fullmatch(path_pattern, r.url.path)
        )

    def clear(self) -> None:
        self.requests.clear()


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def portal() -> Iterator[anyio.from_thread.BlockingPortal]:
    with anyio.from_thread.start_blocking_portal() as running:
        yield running


@pytest.fixture
def make_client(
    app: FastAPI, portal: anyio.from_thread.BlockingPortal, request_log: RequestLog
) -> Iterator[Callable[..., Alot]]:
    """Sync clients of the in-process app (or of the app `of`); keywords go to `Alot`."""
    made: list[httpx.Client] = []

    def make(*, of: FastAPI | None = None, **options: Any) -> Alot:
        http = httpx.Client(
            transport=PortalASGITransport(of or app, portal),
            base_url=BASE_URL,
            event_hooks={"request": [request_log]},
        )
        made.append(http)
        return Alot(base_url=BASE_URL, http_client=http, **options)

    yield make
    for http in made:
        http.close()


@pytest.fixture
def client(make_client: Callable[..., Alot]) -> Alot:
    """An anonymous sync client."""
    return make_client()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def make_async_client(
    app: FastAPI, request_log: RequestLog
) -> AsyncIterator[Callable[..., AsyncAlot]]:
    """Async clients of the in-process app; keywords go to `AsyncAlot`."""
    made: list[httpx.AsyncClient] = []

    def make(**options: Any) -> AsyncAlot:
        async def log(request: httpx.Request) -> None:
            request_log(request)

        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=BASE_URL,
            event_hooks={"request": [log]},
        )
        made.append(http)
        return AsyncAlot(base_url=BASE_URL, http_client=http, **options)

    yield make
    for http in made:
        await http.aclose()


# -- accounts and lots -----------------------------------------------------------------


def confirmation_token(client: Alot, email: str) -> str:
    """The token of the latest confirmation email the dev mailbox kept for `email`."""
    for message in reversed(client.dev.mailbox(to=email, secret=DEV_SECRET)):
        if "Confirm" in message.subject:
            match = re.search(r"^(ey[\w-]+\.[\w-]+\.[\w-]+)$", message.body, re.M)
            assert match, message.body
            return match.group(1)
    raise AssertionError(f"no confirmation email to {email}")


@dataclass
class Player:
    client: Alot
    email: str
    username: str
    id: str


@pytest.fixture
def make_player(make_client: Callable[..., Alot]) -> Callable[..., Player]:
    """Register, verify (dev mailbox) and log in a player, all through the SDK."""

    def make(*, verified: bool = True, **options: Any) -> Player:
        player = make_client(**options)
        username = f"p{uuid.uuid4().hex[:10]}"
        email = f"{username}@example.com"
        player.auth.register(
            email=email, username=username, password=PASSWORD, date_of_birth="1990-05-17"
        )
        if verified:
            player.auth.verify_email(confirmation_token(player, email))
        player.auth.login(email, PASSWORD)
        return Player(player, email, username, player.users.me().id)

    return make


def grant_roles(app: FastAPI, user_id: str, *roles: Role) -> None:
    """What `alot create-admin` does: roles have no self-service endpoint."""
    platform = app.state.platform
    with contextmanager(unit_of_work)(platform.database) as session:
        users = UserService(session, platform)
        users.set_roles(users.get(uuid.UUID(user_id)), [Role.PLAYER, *roles])


@pytest.fixture
def admin(app: FastAPI, make_player: Callable[..., Player]) -> Player:
    player = make_player()
    grant_roles(app, player.id, Role.ADMIN)
    return player


@pytest.fixture
def make_host(
    admin: Player, make_player: Callable[..., Player]
) -> Callable[..., tuple[Player, str]]:
    """A player who applied to host and was approved by the admin, through the SDK;
    the player and its host id."""

    def make(*, commission_bps: int = 1500) -> tuple[Player, str]:
        host = make_player()
        applied = host.client.hosts.apply(
            display_name=f"House of {host.username}",
            country="GB",
            business_details={
                "legal_name": f"{host.username} Ltd",
                "registration_number": "0987654",
                "address_lines": ["1 Row"],
            },
        )
        admin.client.admin.hosts.approve(
            applied.id, reason="Documents checked", commission_bps=commission_bps
        )
        return host, applied.id

    return make


@dataclass(frozen=True)
class OpenLot:
    id: str
    answer: str
    commitment: str


@pytest.fixture
def open_lot(admin: Player, clock: FakeClock) -> Callable[..., OpenLot]:
    """Create and open a lot through the admin API (target 1000 cents by default)."""
    product_class_ids: list[str] = []

    def make(**fields: Any) -> OpenLot:
        if not product_class_ids:
            product = admin.client.admin.product_classes.create(
                name="Fleer Michael Jordan #57",
                category="memorabilia",
                tier="RARE",
                retail_value_cents=350_000,
            )
            product_class_ids.append(product.id)
        values: dict[str, Any] = {
            "product_class_id": product_class_ids[0],
            "title": f"Quick draw {uuid.uuid4().hex[:6]}",
            "funding_target_cents": 1_000,
            "deadline": clock.now + timedelta(days=7),
            "entry_bundles": [
                {"price_cents": 200, "tickets": 1},
                {"price_cents": 500, "tickets": 3},
            ],
            "trivia_question": "How many players does a basketball team have on court?",
            "trivia_answer": "5",
            "draw_algorithm": "alot-v1",
            "non_winner_credit_rate_percent": 50,
        }
        values.update(fields)
        created = admin.client.admin.lots.create(**values)
        opened = admin.client.admin.lots.open(created.id)
        assert opened.draw.server_seed_commitment is not None
        return OpenLot(opened.id, values["trivia_answer"], opened.draw.server_seed_commitment)

    return make


@pytest.fixture
def make_checkpoint(app: FastAPI) -> Callable[[], int]:
    """Sign a ledger checkpoint now, as the scheduler would; returns its size."""

    def make() -> int:
        platform = app.state.platform
        return ledger_checkpointer(platform).checkpoint(platform.database.engine).size

    return make


@pytest.fixture
def pinned_key(app: FastAPI) -> str:
    """The ledger's verifier key as the operator publishes it (from its key file)."""
    return ledger_checkpointer(app.state.platform).verifier_key


@pytest.fixture
def tick(app: FastAPI) -> Callable[[], None]:
    """One run of the scheduler's periodic jobs (expiry, refunds, draws)."""

    def run() -> None:
        report = run_tick(app.state.platform)
        assert not report.failures, report.summary()

    return run


# -- over TCP ----------------------------------------------------------------------------


@contextmanager
def serve(app: FastAPI, *, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 (an ephemeral port) in a thread.

    `lifespan="on"` runs the app's start-up and shut-down too (the live hub of
    `GET /api/ws` starts there)."""
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan=lifespan)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        host, port = sock.getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def live_hub_server(app: FastAPI) -> Iterator[str]:
    """The app over TCP with its lifespan, so `GET /api/ws` (the live hub) works."""
    with serve(app, lifespan="on") as url:
        yield url


class FaultyProxy:
    """A TCP proxy on 127.0.0.1 in front of the live server that loses answers.

    Each request passes through to the server. For the first `drops` requests whose
    bytes `lose_answer_to` matches, the proxy waits for the server's answer and then
    closes the client's connection instead of forwarding it: the server did the work,
    the client never hears of it. With `blackhole`, nothing is ever answered.
    """

    def __init__(
        self,
        upstream: str,
        lose_answer_to: Callable[[bytes], bool] = lambda _: False,
        *,
        drops: int = 1,
        blackhole: bool = False,
    ) -> None:
        parsed = httpx.URL(upstream)
        self._upstream = (parsed.host, parsed.port or 80)
        self._lose_answer_to = lose_answer_to
        self._drops = drops
        self._blackhole = blackhole
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._threads: list[threading.Thread] = []
        self.received: list[bytes] = []
        host, port = self._listener.getsockname()[:2]
        self.url = f"http://{host}:{port}"

    def __enter__(self) -> FaultyProxy:
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            pipe = threading.Thread(target=self._pipe, args=(conn,), daemon=True)
            pipe.start()
            self._threads.append(pipe)

    def _should_lose(self, data: bytes) -> bool:
        with self._lock:
            self.received.append(data)
            if self._drops > 0 and self._lose_answer_to(data):
                self._drops -= 1
                return True
            return False

    def _pipe(self, conn: socket.socket) -> None:
        upstream = socket.create_connection(self._upstream)
        selector = selectors.DefaultSelector()
        selector.register(conn, selectors.EVENT_READ)
        selector.register(upstream, selectors.EVENT_READ)
        lose_answer = False
        try:
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.05):
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    if key.fileobj is conn:
                        lose_answer = self._should_lose(data) or lose_answer
                        if not self._blackhole:
                            upstream.sendall(data)
                    elif lose_answer:
                        return  # the answer arrived; the client never gets it
                    else:
                        conn.sendall(data)
        finally:
            selector.close()
            upstream.close()
            conn.close()

    def count(self, marker: bytes) -> int:
        with self._lock:
            return sum(1 for data in self.received if marker in data)


@pytest.fixture
def faulty_proxy() -> type[FaultyProxy]:
    """The FaultyProxy class (tests cannot import conftest)."""
    return FaultyProxy
