"""Benchmark: lot list and lot detail under read load, with the cache off, then on.

32 concurrent HTTP clients (asyncio, one keep-alive HTTP/1.1 connection each,
anonymous, as most readers are) read ``GET /api/lots?limit=20`` and ``GET
/api/lots/{id}`` (half each, the lot picked at random among 40 open public lots) from
``alot serve`` (ALOT_BENCH_WORKERS processes, default 2) on PostgreSQL and Redis. One
more client keeps buying tickets on one of the lots meanwhile (so the cache is written
through, as in life). The same server set-up runs twice, ALOT_CACHE_ENABLED=false then
true, nothing else changing. Prints (never asserts): requests/s, latency p50/p99 and
errors each way, the ratio (goal >= 3x), the cache's hit rate per family from
``GET /api/admin/cache`` (goal >= 95%), and the purchases/s of the buyer.

Set-up (lots, players, tokens) goes through the services, as in bench/hot_lot.py. Then
run ``bench/hot_lot.py`` for the purchase figure (the cache's write-through is on its
path).

PostgreSQL: ALOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres;
a database of its own, dropped at the end); Redis: ALOT_BENCH_REDIS_URL (default
redis://127.0.0.1:6379/0; keys under a prefix of its own, removed at the end). Knobs:
ALOT_BENCH_SECONDS (per phase, default 15), ALOT_BENCH_CLIENTS (default 32),
ALOT_BENCH_WORKERS (default 2).
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
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
from alot_platform.trivia.service import TriviaService
from alot_platform.users.models import Role, User
from alot_platform.users.service import UserService
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get(
    "ALOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ALOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECONDS = float(os.environ.get("ALOT_BENCH_SECONDS", "15"))
CLIENTS = int(os.environ.get("ALOT_BENCH_CLIENTS", "32"))
WORKERS = int(os.environ.get("ALOT_BENCH_WORKERS", "2"))
LOTS = 40
ANSWER = "Rolex"
SERVER_START_TIMEOUT = 60.0


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    purchases: int = 0
    elapsed: float = 0.0


def main() -> int:
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")
    print(f"{CLIENTS} readers + 1 buyer, {WORKERS} server worker(s), {SECONDS:.0f} s per phase")
    database = f"alot_bench_reads_{uuid.uuid4().hex[:8]}"
    prefix = f"alot-bench-reads:{uuid.uuid4().hex[:8]}:"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory(prefix="alot-bench-") as var_dir:
            return _run(_database_url(database), Path(var_dir), prefix)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
        client.close()


def _database_url(database: str) -> str:
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _run(database_url: str, var_dir: Path, prefix: str) -> int:
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
    }
    settings = Settings(
        database_url=database_url, var_dir=var_dir, rate_limit_enabled=False, log_level="WARNING"
    )
    migrate(settings)
    platform = PlatformContext.build(
        settings, system_clock, load_keys(settings), mailer_from_settings(settings)
    )
    try:
        lot_ids = [_open_lot(platform, f"Lot {n}") for n in range(LOTS)]
        buyer, admin = _tokens(platform, lot_ids[0])
    finally:
        platform.database.dispose()

    results: dict[bool, Phase] = {}
    stats: dict[str, Any] = {}
    for enabled in (False, True):
        port = _free_port()
        with _server({**env, "ALOT_CACHE_ENABLED": str(enabled).lower()}, port):
            base = f"http://127.0.0.1:{port}"
            results[enabled] = asyncio.run(_drive(base, lot_ids, buyer))
            if enabled:
                stats = httpx.get(
                    f"{base}/api/admin/cache", headers={"Authorization": f"Bearer {admin}"}
                ).json()
        _report(f"cache {'on' if enabled else 'off'}", results[enabled])

    off, on = (len(results[e].latencies) / results[e].elapsed for e in (False, True))
    print(
        f"\nrequests/s: {off:.0f} without the cache, {on:.0f} with it: {on / off:.2f}x (goal >= 3x)"
    )
    print(f"cache backend: {stats.get('backend')}")
    hits = misses = 0
    for family in stats.get("families", []):
        if family["hits"] or family["misses"]:
            rate = family["hit_rate"] * 100
            print(
                f"  {family['family']}: {family['hits']} hits, {family['misses']} misses"
                f" ({rate:.1f}%)"
            )
        if family["family"] in ("lot", "lot_list"):
            hits, misses = hits + family["hits"], misses + family["misses"]
    if hits + misses:
        print(
            f"hit rate (lot views and list pages): {100 * hits / (hits + misses):.2f}%"
            " (goal >= 95%)"
        )
    errors = sum(n for s, n in results[True].statuses.items() if s != 200) + sum(
        n for s, n in results[False].statuses.items() if s != 200
    )
    return 1 if errors else 0


# -- set-up -----------------------------------------------------------------------------


@contextmanager
def _session(platform: PlatformContext) -> Any:
    with contextmanager(unit_of_work)(platform.database) as session:
        yield session


def _admin(platform: PlatformContext, session: Any) -> User:
    users = UserService(session, platform)
    return users.get_by_email("bench-admin@example.com") or users.create(
        email="bench-admin@example.com",
        username="bench_admin",
        hashed_password="not-a-login",  # noqa: S106 - nobody logs in
        date_of_birth=None,
        roles=(Role.PLAYER, Role.ADMIN),
        verified_email=True,
    )


def _open_lot(platform: PlatformContext, title: str) -> uuid.UUID:
    with _session(platform) as session:
        admin = _admin(platform, session)
        service = LotService(session, platform)
        product = service.create_product_class(
            ProductClassCreate(
                name=f"{title} product",
                brand="Rolex",
                category="watch",
                tier="GRAIL",
                retail_value_cents=1_250_000,
                description="A watch for the ages. " * 20,
                specifications={"case_mm": 41, "movement": "3235"},
                images=[f"https://img.example.com/{n}.jpg" for n in range(4)],
            )
        )
        lot = service.create(
            LotCreate(
                product_class_id=product.id,
                title=title,
                funding_target_cents=100_000_000,
                deadline=platform.clock() + timedelta(days=7),
                entry_bundles=[
                    EntryBundle(price_cents=200, tickets=1),
                    EntryBundle(price_cents=900, tickets=5),
                ],
                trivia_question="Which Swiss maker's logo is a crown?",
                trivia_answer=ANSWER,
                draw_algorithm=DrawAlgorithm.V2,
            ),
            admin,
        )
        return service.open(lot.id).id


def _tokens(platform: PlatformContext, lot_id: uuid.UUID) -> tuple[str, str]:
    """Access tokens of a buyer who passed ``lot_id``'s trivia, and of the admin."""
    with _session(platform) as session:
        users = UserService(session, platform)
        buyer = users.create(
            email="buyer@example.com",
            username="buyer",
            hashed_password="not-a-login",  # noqa: S106 - nobody logs in
            date_of_birth=None,
            verified_email=True,
        )
        session.flush()
        lot = session.get(Lot, lot_id)
        assert lot is not None
        assert TriviaService(session, platform).attempt(lot, buyer, ANSWER).correct
        tokens = []
        for user in (buyer, _admin(platform, session)):
            auth = AuthSession(id=uuid.uuid4(), user_id=user.id, created_at=platform.clock())
            session.add(auth)
            token, _ = platform.tokens.issue(
                "access", user.id, timedelta(hours=1), session_id=auth.id
            )
            tokens.append(token)
    return tokens[0], tokens[1]


# -- the server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(env: dict[str, str], port: int) -> Any:
    command = [
        str(Path(sys.executable).with_name("alot")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
    ]
    server = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in time")
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- the load ---------------------------------------------------------------------------


async def _drive(base: str, lot_ids: list[uuid.UUID], buyer: str) -> Phase:
    phase = Phase()
    host, port = base.removeprefix("http://").split(":")
    stop = asyncio.Event()
    paths = ["/api/lots?limit=20", *(f"/api/lots/{lot_id}" for lot_id in lot_ids)]

    async def reader(number: int) -> None:
        await asyncio.sleep(number * 0.01)
        connection = _Connection(host, int(port))
        chooser = random.Random(number)
        try:
            while not stop.is_set():
                path = paths[0] if chooser.random() < 0.5 else chooser.choice(paths[1:])
                began = time.perf_counter()
                status, _ = await connection.request("GET", path)
                phase.latencies.append(time.perf_counter() - began)
                phase.statuses[status] += 1
        finally:
            await connection.close()

    async def buying() -> None:
        connection = _Connection(host, int(port))
        path = f"/api/lots/{lot_ids[0]}/entries/purchase"
        try:
            while not stop.is_set():
                status, body = await connection.request(
                    "POST",
                    path,
                    body=b'{"bundle_index": 0}',
                    headers=(
                        f"Authorization: Bearer {buyer}\r\nIdempotency-Key: {uuid.uuid4().hex}"
                        "\r\nContent-Type: application/json\r\n"
                    ),
                )
                if status == 201:
                    phase.purchases += 1
                else:
                    print(f"purchase refused: {status} {body[:200]!r}")
                await asyncio.sleep(0.02)
        finally:
            await connection.close()

    began = time.perf_counter()
    tasks = [asyncio.create_task(reader(n)) for n in range(CLIENTS)]
    tasks.append(asyncio.create_task(buying()))
    await asyncio.sleep(SECONDS)
    stop.set()
    await asyncio.gather(*tasks)
    phase.elapsed = time.perf_counter() - began
    return phase


class _Connection:
    """One keep-alive HTTP/1.1 connection that reads Content-Length responses (a lean
    load generator, as in bench/hot_lot.py: a general client would cost the server the
    CPU it measures)."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, *, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        request = (
            f"{method} {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, closes = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection":
                closes = value.strip().lower() == "close"
        content = await self._reader.readexactly(length) if length else b""
        if closes:
            await self.close()
        return status, content

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
            self._writer = None
            self._reader = None


def _report(title: str, phase: Phase) -> None:
    every = sorted(phase.latencies)
    count = len(every)
    print(f"\n{title}: {count} reads in {phase.elapsed:.1f} s: {count / phase.elapsed:.0f}/s")
    if count:
        p50 = every[count // 2] * 1000
        p99 = every[min(count - 1, int(count * 0.99))] * 1000
        print(f"  latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {every[-1] * 1000:.1f} ms")
    print(f"  statuses: {dict(phase.statuses)}")
    print(
        f"  the buyer's purchases meanwhile: {phase.purchases}"
        f" ({phase.purchases / phase.elapsed:.1f}/s)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
