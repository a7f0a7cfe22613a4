"""Benchmark: live events of one hot lot fanned out to many WebSocket subscribers.

``alot serve --workers 2`` on PostgreSQL and Redis (the production shape: every worker
has its own Redis subscriber and hands each event to its own connections). Subscribers
(asyncio with the ``websockets`` library's sans-I/O client protocol, all in
this process) connect to ``/api/ws`` and
subscribe to one open lot; the kernel spreads them over the workers. In steps of
growing subscriber counts, 64 buyers (one keep-alive HTTP connection and access token
each) buy 1-ticket entries at a steady pace; each purchase commits one ``lot_update``
(batched purchases share one). Prints (never asserts; exits 1 if an event was missing
or out of order):

- per step: subscribers, events, deliveries, fan-out latency p50/p99/max from the
  event's ``at`` (stamped in the committing transaction, server clock = this machine's
  clock) to its receipt by a subscriber, how long after the last purchase the last
  delivery came, and the CPU seconds the server and this load generator used;
- server memory per idle connection: the server's RSS (all workers) after the
  subscribers connected, minus its RSS before, divided by the connections;
- correctness: every subscriber saw every event of the lot from its subscription on,
  seq by seq (none missing, none out of order);
- how many subscribers the machine carried: the largest step whose p99 stayed within
  250 ms with nothing missing.

The load generator shares the machine's cores with the server, PostgreSQL and Redis: on
2 cores it costs about as much CPU as the server's fan-out (compare both CPU figures).
The soft limit on open files is raised to the hard limit here, as ``alot serve`` does
for itself (each connection holds a descriptor at both ends).

PostgreSQL: ALOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres;
its own database, dropped at the end). Redis: ALOT_BENCH_REDIS_URL (default
redis://127.0.0.1:6379/0; its own key prefix, removed at the end). Options: see
``--help`` (``--subscribers``, default 10000).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
import psycopg
import redis
from alot_platform.auth.models import AuthSession
from alot_platform.clock import system_clock
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.keys import load_keys
from alot_platform.lots.models import DrawAlgorithm, Lot
from alot_platform.lots.schemas import EntryBundle, LotCreate, ProductClassCreate
from alot_platform.lots.service import LotService
from alot_platform.mail import mailer_from_settings
from alot_platform.migrate import migrate
from alot_platform.serve import raise_open_files_limit
from alot_platform.trivia.service import TriviaService
from alot_platform.users.models import Role
from alot_platform.users.service import UserService
from sqlalchemy.engine import make_url
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.uri import parse_uri

ADMIN_URL = os.environ.get(
    "ALOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ALOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
ANSWER = "Rolex"
GOAL_P99_MS = 250.0
CONNECT_CONCURRENCY = 100


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000, help="at the last step")
    parser.add_argument(
        "--steps",
        type=int,
        default=4,
        help="subscriber counts grow in this many steps up to --subscribers",
    )
    parser.add_argument("--buyers", type=int, default=64)
    parser.add_argument("--purchases", type=int, default=32, help="per step")
    parser.add_argument("--rate", type=float, default=2.0, help="purchases per second")
    parser.add_argument("--workers", type=int, default=2, help="alot serve --workers")
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    limit = raise_open_files_limit()
    if limit < args.subscribers + 1000:
        print(f"open files limit {limit} is below {args.subscribers} subscribers: raise it")
        return 2
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")
    print(
        f"up to {args.subscribers} subscribers, {args.workers} server worker(s), {args.buyers}"
        f" buyers, {args.purchases} purchases per step at {args.rate:g}/s; open files {limit}"
    )
    database = f"alot_bench_live_{uuid.uuid4().hex[:8]}"
    prefix = f"alot-bench-{uuid.uuid4().hex[:8]}:"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory(prefix="alot-bench-") as var_dir:
            return _run(args, _database_url(database), Path(var_dir), prefix)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)


def _database_url(database: str) -> str:
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _run(args: argparse.Namespace, database_url: str, var_dir: Path, prefix: str) -> int:
    env = {
        **os.environ,
        "ALOT_DATABASE_URL": database_url,
        "ALOT_VAR_DIR": str(var_dir),
        "ALOT_REDIS_URL": REDIS_URL,
        "ALOT_REDIS_PREFIX": prefix,
        "ALOT_RATE_LIMIT_ENABLED": "false",
        "ALOT_SCHEDULER_ENABLED": "false",
        "ALOT_LOG_LEVEL": "WARNING",
        "ALOT_ENV": "development",
        "ALOT_WS_MAX_CONNECTIONS_PER_IP": str(args.subscribers + 100),  # all from loopback
    }
    settings = Settings(
        database_url=database_url,
        var_dir=var_dir,
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        rate_limit_enabled=False,
        log_level="WARNING",
    )
    migrate(settings)
    # Generated once here, so every worker reads the same keys (and accepts our tokens).
    platform = PlatformContext.build(
        settings, system_clock, load_keys(settings), mailer_from_settings(settings)
    )
    try:
        lot_id = _open_lot(platform)
        tokens = _players(platform, lot_id, args.buyers)
    finally:
        platform.database.dispose()
    port = _free_port()
    with _server(env, port, args.workers) as server:
        seq_key = f"{prefix}rt:seq:lot:{lot_id}"
        ok = asyncio.run(_bench(args, port, lot_id, tokens, server, seq_key))
    return 0 if ok else 1


# -- set-up (through the services: only the live part is measured) ----------------------


@contextmanager
def _session(platform: PlatformContext) -> Any:
    with contextmanager(unit_of_work)(platform.database) as session:
        yield session


def _open_lot(platform: PlatformContext) -> uuid.UUID:
    with _session(platform) as session:
        admin = UserService(session, platform).create(
            email="bench-admin@example.com",
            username="bench_admin",
            hashed_password="not-a-login",  # noqa: S106 - nobody logs in
            date_of_birth=None,
            roles=(Role.PLAYER, Role.ADMIN),
            verified_email=True,
        )
        service = LotService(session, platform)
        product = service.create_product_class(
            ProductClassCreate(
                name="Hot product",
                brand="Rolex",
                category="watch",
                tier="GRAIL",
                retail_value_cents=1_250_000,
            )
        )
        lot = service.create(
            LotCreate(
                product_class_id=product.id,
                title="Hot lot",
                funding_target_cents=100_000_000,  # never funds during the run
                deadline=platform.clock() + timedelta(days=7),
                entry_bundles=[EntryBundle(price_cents=200, tickets=1)],
                trivia_question="Which Swiss maker's logo is a crown?",
                trivia_answer=ANSWER,
                draw_algorithm=DrawAlgorithm.V2,
            ),
            admin,
        )
        return service.open(lot.id).id


def _players(platform: PlatformContext, lot_id: uuid.UUID, count: int) -> list[str]:
    """``count`` verified players who passed the lot's trivia; their access tokens."""
    tokens = []
    with _session(platform) as session:
        users = UserService(session, platform)
        lot = session.get(Lot, lot_id)
        assert lot is not None
        now = platform.clock()
        for number in range(count):
            user = users.create(
                email=f"buyer{number}@example.com",
                username=f"buyer{number}",
                hashed_password="not-a-login",  # noqa: S106 - nobody logs in
                date_of_birth=None,
                verified_email=True,
            )
            session.flush()
            assert TriviaService(session, platform).attempt(lot, user, ANSWER).correct
            auth = AuthSession(id=uuid.uuid4(), user_id=user.id, created_at=now)
            session.add(auth)
            token, _ = platform.tokens.issue(
                "access", user.id, timedelta(hours=2), session_id=auth.id
            )
            tokens.append(token)
    return tokens


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(env: dict[str, str], port: int, workers: int) -> Any:
    command = [
        str(Path(sys.executable).with_name("alot")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    server = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- the subscribers --------------------------------------------------------------------


_AT_CACHE: dict[int, float] = {}
"""Each seq's ``at`` as a timestamp, parsed once (every subscriber gets the same)."""


class _Subscriber(asyncio.Protocol):
    """One subscriber: the ``websockets`` library's sans-I/O client protocol on a plain
    asyncio transport. Its asyncio client costs a task, a queue and a frame assembler
    per connection and several times the CPU per message: with thousands of
    subscribers in one process, the load generator's own delays would be measured."""

    def __init__(self, url: str, lot_id: uuid.UUID) -> None:
        self._protocol = ClientProtocol(parse_uri(url))
        self._lot_id = lot_id
        self._transport: asyncio.Transport | None = None
        self.subscribed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.last = 0
        self.missing = 0
        self.disorder = 0
        self.latencies: list[float] | None = None
        self.closed: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._protocol.send_request(self._protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        received = time.time()
        self._protocol.receive_data(data)
        for event in self._protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self._on_text(bytes(event.data), received)
                elif event.opcode is Opcode.CLOSE:
                    self.closed = Close.parse(event.data).code if event.data else 1005
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed is None:
            self.closed = 1006
        if not self.subscribed.done():
            self.subscribed.set_exception(ConnectionError("closed before subscribing"))

    def send(self, text: str) -> None:
        if self.closed is None and self._transport is not None:
            self._protocol.send_text(text.encode())
            self._flush()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _flush(self) -> None:
        assert self._transport is not None
        for data in self._protocol.data_to_send():
            if data:
                self._transport.write(data)

    def _on_text(self, text: bytes, received: float) -> None:
        if not text.startswith(b'{"seq":'):
            if text.startswith(b'{"type":"welcome"'):
                self.send(f'{{"type":"subscribe","lot_id":"{self._lot_id}"}}')
            elif text.startswith(b'{"type":"subscribed"'):
                self.last = int(text.rsplit(b'"seq":', 1)[1].rstrip(b"}"))
                self.subscribed.set_result(self.last)
            return  # heartbeat, pong
        seq = int(text[7 : text.index(b",", 7)])
        if seq <= self.last:
            self.disorder += 1
            return
        self.missing += seq - self.last - 1
        self.last = seq
        at = _AT_CACHE.get(seq)
        if at is None:
            start = text.index(b'"at":"') + 6
            stamp = text[start : text.index(b'"', start)].decode()
            at = _AT_CACHE[seq] = datetime.fromisoformat(stamp).timestamp()
        if self.latencies is not None:
            self.latencies.append(received - at)


async def _connect(
    port: int, url: str, lot_id: uuid.UUID, count: int, subscribers: list[_Subscriber]
) -> float:
    started = time.perf_counter()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    loop = asyncio.get_running_loop()

    async def one() -> None:
        async with gate:
            subscriber = _Subscriber(url, lot_id)
            await loop.create_connection(lambda: subscriber, "127.0.0.1", port)
            async with asyncio.timeout(120):
                await subscriber.subscribed
        subscribers.append(subscriber)

    await asyncio.gather(*(one() for _ in range(count)))
    return time.perf_counter() - started


async def _keep_alive(subscribers: list[_Subscriber], every: float) -> None:
    """Ping as clients do (every heartbeat): a slice of the subscribers each second."""
    turn = 0
    while True:
        await asyncio.sleep(1.0)
        slices = max(1, int(every))
        for subscriber in subscribers[turn % slices :: slices]:
            subscriber.send('{"type":"ping"}')
        turn += 1


# -- the buyers --------------------------------------------------------------------------


async def _buy(base: str, lot_id: uuid.UUID, tokens: list[str], count: int, rate: float) -> int:
    """``count`` purchases spread over the buyers at ``rate`` per second; the 201s."""
    clients = [
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {t}"}, timeout=60)
        for t in tokens
    ]
    created = 0

    async def purchase(number: int) -> None:
        nonlocal created
        await asyncio.sleep(number / rate)
        client = clients[number % len(clients)]
        response = await client.post(
            f"/api/lots/{lot_id}/entries/purchase",
            json={"bundle_index": 0},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if response.status_code == 201:
            created += 1

    try:
        await asyncio.gather(*(purchase(n) for n in range(count)))
    finally:
        for client in clients:
            await client.aclose()
    return created


# -- the run -----------------------------------------------------------------------------


@dataclass
class _Step:
    subscribers: int
    events: int = 0
    deliveries: int = 0
    missing: int = 0
    disorder: int = 0
    latencies: list[float] = field(default_factory=list)
    drain_seconds: float = 0.0
    complete: bool = False
    closed: int = 0


def _server_rss(server: subprocess.Popen[bytes]) -> int:
    processes = [psutil.Process(server.pid), *psutil.Process(server.pid).children(True)]
    return int(sum(p.memory_info().rss for p in processes))


def _server_cpu(server: subprocess.Popen[bytes]) -> float:
    processes = [psutil.Process(server.pid), *psutil.Process(server.pid).children(True)]
    return float(sum(p.cpu_times().user + p.cpu_times().system for p in processes))


def _own_cpu() -> float:
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


async def _bench(
    args: argparse.Namespace,
    port: int,
    lot_id: uuid.UUID,
    tokens: list[str],
    server: subprocess.Popen[bytes],
    seq_key: str,
) -> bool:
    url = f"ws://127.0.0.1:{port}/api/ws"
    base = f"http://127.0.0.1:{port}"
    store = redis.Redis.from_url(REDIS_URL)
    subscribers: list[_Subscriber] = []
    pinger = asyncio.create_task(_keep_alive(subscribers, 20.0))
    await asyncio.sleep(1)
    rss_before = _server_rss(server)
    print(f"server RSS before any connection: {rss_before / 2**20:.1f} MiB (all workers)")
    counts = sorted({max(1, args.subscribers * (n + 1) // args.steps) for n in range(args.steps)})
    steps: list[_Step] = []
    for count in counts:
        took = await _connect(port, url, lot_id, count - len(subscribers), subscribers)
        await asyncio.sleep(2)  # settle
        rss = _server_rss(server)
        print(
            f"\n{len(subscribers)} subscribers (connected in {took:.1f} s): server RSS"
            f" {rss / 2**20:.1f} MiB, {(rss - rss_before) / len(subscribers) / 1024:.1f} kB"
            " per idle connection"
        )
        step = _Step(len(subscribers))
        steps.append(step)
        before_seq = int(store.get(seq_key) or 0)
        for subscriber in subscribers:
            subscriber.latencies = []
            subscriber.missing = subscriber.disorder = 0
        cpu_server, cpu_own = _server_cpu(server), _own_cpu()
        started = time.perf_counter()
        created = await _buy(base, lot_id, tokens, args.purchases, args.rate)
        bought = time.perf_counter()
        latest = int(store.get(seq_key) or 0)
        step.events = latest - before_seq
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(s.last >= latest for s in subscribers):
                step.complete = True
                break
            await asyncio.sleep(0.05)
        step.drain_seconds = time.perf_counter() - bought
        elapsed = time.perf_counter() - started
        for subscriber in subscribers:
            assert subscriber.latencies is not None
            step.latencies.extend(subscriber.latencies)
            step.missing += subscriber.missing + max(0, latest - subscriber.last)
            step.disorder += subscriber.disorder
            subscriber.latencies = None
        step.deliveries = len(step.latencies)
        step.closed = sum(1 for s in subscribers if s.closed is not None)
        _report(step, created, elapsed, _server_cpu(server) - cpu_server, _own_cpu() - cpu_own)
    pinger.cancel()
    for subscriber in subscribers:
        subscriber.close()
    return _summary(steps)


def _ms(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * quantile))] * 1000


def _report(step: _Step, created: int, elapsed: float, server_cpu: float, own_cpu: float) -> None:
    expected = step.events * step.subscribers
    print(
        f"  {created} purchases -> {step.events} events -> {step.deliveries}/{expected}"
        f" deliveries in {elapsed:.1f} s ({step.deliveries / elapsed:,.0f} deliveries/s)"
    )
    if step.latencies:
        print(
            f"  fan-out latency (commit -> subscriber): p50 {_ms(step.latencies, 0.5):.0f} ms,"
            f" p99 {_ms(step.latencies, 0.99):.0f} ms, max {max(step.latencies) * 1000:.0f} ms,"
            f" mean {statistics.fmean(step.latencies) * 1000:.0f} ms"
        )
    print(
        f"  last delivery {step.drain_seconds:.2f} s after the last purchase answered;"
        f" missing {step.missing}, out of order {step.disorder}"
        f"{'' if step.complete else ' (NOT COMPLETE after 60 s)'}"
        f"{f'; {step.closed} connections closed by the server' if step.closed else ''}"
    )
    print(f"  CPU: server {server_cpu:.1f} s, load generator {own_cpu:.1f} s")


def _summary(steps: list[_Step]) -> bool:
    carried = [
        s.subscribers
        for s in steps
        if s.complete
        and not s.missing
        and not s.closed
        and s.latencies
        and _ms(s.latencies, 0.99) <= GOAL_P99_MS
    ]
    print(
        "\ncarried: "
        + (
            f"{max(carried)} subscribers with p99 <= {GOAL_P99_MS:.0f} ms and nothing missing"
            if carried
            else f"no step kept p99 <= {GOAL_P99_MS:.0f} ms"
        )
    )
    ok = all(s.complete and not s.missing and not s.disorder and not s.closed for s in steps)
    print("correctness: OK" if ok else "CORRECTNESS FAILED: events missing or out of order")
    return ok


if __name__ == "__main__":
    random.seed(0)
    sys.exit(main())
