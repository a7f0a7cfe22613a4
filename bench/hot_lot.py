"""Benchmark: many buyers on one hot lot, through the real server.

64 concurrent HTTP clients (asyncio, one keep-alive HTTP/1.1 connection each, each with
its own access token and a fresh Idempotency-Key per purchase) buy 1-ticket cash entries
on one open lot through the server (``alot serve``), on PostgreSQL, with the sandbox
payment provider. Prints (never asserts, but exits 1 if a correctness check fails):

- purchases/s, latency p50/p99/max and errors by HTTP status, for a hot lot whose target
  is far enough away not to fund during the run, and the CPU each purchase cost the
  server, PostgreSQL and the load generator (it moves little with what else the machine
  runs, but follows the host's speed);
- a second, short phase on a lot that funds part-way: the funding happens once, and
  every purchase after it is refused 409;
- a machine check before and after the hot phase: the time of a fixed loop, since the
  host's speed itself varies from run to run;
- correctness: each lot's entries tile 1..N with no gap or overlap, every 201 owns
  exactly one entry (and no entry lacks its 201), lot totals equal the ledger's escrow
  balance, and the ledger export verifies with ``alot_verify.ledger.verify_ledger``.

Set-up (the lots, the 64 verified players who passed the trivia, their login sessions
and access tokens) goes through the services directly, not HTTP: only the purchases are
measured. The server is ``alot serve`` (the production server: one socket per worker,
see docs/platform/operations.md) with ALOT_BENCH_WORKERS worker processes (default 2:
one per core; the load generator and PostgreSQL share the same cores), rate limiting
off, stopped at the end.

PostgreSQL: ALOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
the benchmark creates its own database and drops it at the end. Knobs:
ALOT_BENCH_SECONDS (hot phase, default 15), ALOT_BENCH_CLIENTS (default 64),
ALOT_BENCH_WORKERS (default 2), ALOT_BENCH_FUND_PURCHASES (funding phase target in
purchases, default 300; 0 skips it).
"""

from __future__ import annotations

import asyncio
import json
import os
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
from alot_ledger import Ledger, export_lines
from alot_platform.auth.models import AuthSession
from alot_platform.clock import system_clock
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.entries.models import LotEntry, LotEntryPurchase
from alot_platform.keys import load_keys
from alot_platform.ledger.accounts import CRD, USD, lot_escrow
from alot_platform.lots.models import DrawAlgorithm, Lot
from alot_platform.lots.schemas import EntryBundle, LotCreate, ProductClassCreate
from alot_platform.lots.service import LotService
from alot_platform.mail import mailer_from_settings
from alot_platform.migrate import migrate
from alot_platform.trivia.service import TriviaService
from alot_platform.users.models import Role
from alot_platform.users.service import UserService
from alot_verify.ledger import verify_ledger
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get(
    "ALOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SECONDS = float(os.environ.get("ALOT_BENCH_SECONDS", "15"))
CLIENTS = int(os.environ.get("ALOT_BENCH_CLIENTS", "64"))
WORKERS = int(os.environ.get("ALOT_BENCH_WORKERS", "2"))
FUND_PURCHASES = int(os.environ.get("ALOT_BENCH_FUND_PURCHASES", "300"))
RAMP_UP_SECONDS = 0.32
PRICE_CENTS = 200
ANSWER = "Rolex"
SERVER_START_TIMEOUT = 60.0


@dataclass
class Phase:
    """What the clients saw in one phase."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    created: list[dict[str, Any]] = field(default_factory=list)
    elapsed: float = 0.0


def main() -> int:
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")
    print(f"{CLIENTS} clients, {WORKERS} server worker(s), hot phase {SECONDS:.0f} s")
    database = f"alot_bench_hot_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory(prefix="alot-bench-") as var_dir:
            return _run(_database_url(database), Path(var_dir))
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _machine_check() -> float:
    """Milliseconds a fixed pure-Python loop takes, best of three: the speed the host
    lends this machine's cores at the moment (the same run has varied by a third here,
    with nothing else running on the machine)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _database_url(database: str) -> str:
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _run(database_url: str, var_dir: Path) -> int:
    env = {
        **os.environ,
        "ALOT_DATABASE_URL": database_url,
        "ALOT_VAR_DIR": str(var_dir),
        "ALOT_RATE_LIMIT_ENABLED": "false",
        "ALOT_SCHEDULER_ENABLED": "false",
        "ALOT_LOG_LEVEL": "WARNING",
        "ALOT_ENV": "development",
    }
    settings = Settings(
        database_url=database_url, var_dir=var_dir, rate_limit_enabled=False, log_level="WARNING"
    )
    migrate(settings)
    # Generated once here, so every worker reads the same keys (and accepts our tokens).
    platform = PlatformContext.build(
        settings, system_clock, load_keys(settings), mailer_from_settings(settings)
    )
    try:
        started = time.perf_counter()
        hot_lot = _open_lot(platform, "Hot lot", target_cents=100_000_000)
        fund_lot = (
            _open_lot(platform, "Funding lot", target_cents=FUND_PURCHASES * PRICE_CENTS)
            if FUND_PURCHASES
            else None
        )
        tokens = _players(platform, [lot for lot in (hot_lot, fund_lot) if lot], CLIENTS)
        print(f"set-up through the services: {time.perf_counter() - started:.1f} s")

        port = _free_port()
        with _server(env, port) as server:
            base = f"http://127.0.0.1:{port}"
            speed_before = _machine_check()
            before = _cpu_now(server.pid)
            hot = asyncio.run(_drive(base, hot_lot, tokens, seconds=SECONDS))
            _report("hot lot (target out of reach)", hot)
            _report_cpu(before, _cpu_now(server.pid), len(hot.created), hot.elapsed)
            print(
                f"  machine check: a fixed loop took {speed_before:.0f} ms before the phase,"
                f" {_machine_check():.0f} ms after (compare runs only at similar figures)"
            )
            fund = None
            if fund_lot is not None:
                fund = asyncio.run(_drive(base, fund_lot, tokens, seconds=None))
                _report(f"funding lot (funds at {FUND_PURCHASES} purchases)", fund)
        failures = _check(platform, hot_lot, hot, funds=False)
        if fund_lot is not None and fund is not None:
            failures += _check(platform, fund_lot, fund, funds=True)
        failures += _check_ledger(platform)
    finally:
        platform.database.dispose()
    if failures:
        print("CORRECTNESS FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("correctness: OK")
    return 0


# -- set-up -----------------------------------------------------------------------------


@contextmanager
def _session(platform: PlatformContext) -> Any:
    with contextmanager(unit_of_work)(platform.database) as session:
        yield session


def _open_lot(platform: PlatformContext, title: str, *, target_cents: int) -> uuid.UUID:
    with _session(platform) as session:
        users = UserService(session, platform)
        admin = users.get_by_email("bench-admin@example.com") or users.create(
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
                name=f"{title} product",
                brand="Rolex",
                category="watch",
                tier="GRAIL",
                retail_value_cents=1_250_000,
            )
        )
        lot = service.create(
            LotCreate(
                product_class_id=product.id,
                title=title,
                funding_target_cents=target_cents,
                deadline=platform.clock() + timedelta(days=7),
                entry_bundles=[EntryBundle(price_cents=PRICE_CENTS, tickets=1)],
                trivia_question="Which Swiss maker's logo is a crown?",
                trivia_answer=ANSWER,
                draw_algorithm=DrawAlgorithm.V2,
            ),
            admin,
        )
        return service.open(lot.id).id


def _players(platform: PlatformContext, lot_ids: list[uuid.UUID], count: int) -> list[str]:
    """``count`` verified players who passed every lot's trivia; their access tokens."""
    tokens = []
    with _session(platform) as session:
        users = UserService(session, platform)
        lots = [session.get(Lot, lot_id) for lot_id in lot_ids]
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
            for lot in lots:
                assert lot is not None
                assert TriviaService(session, platform).attempt(lot, user, ANSWER).correct
            auth = AuthSession(id=uuid.uuid4(), user_id=user.id, created_at=now)
            session.add(auth)
            token, _ = platform.tokens.issue(
                "access", user.id, timedelta(hours=1), session_id=auth.id
            )
            tokens.append(token)
    return tokens


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
        _wait_until_up(port, server)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


# -- the load ---------------------------------------------------------------------------


async def _drive(
    base: str, lot_id: uuid.UUID, tokens: list[str], *, seconds: float | None
) -> Phase:
    """Every client buys in a loop: for ``seconds``, or (None) until the lot stops selling."""
    phase = Phase()
    host, port = base.removeprefix("http://").split(":")
    path = f"/api/lots/{lot_id}/entries/purchase"
    stop = asyncio.Event()

    async def client(number: int, token: str) -> None:
        # Clients arrive over the first ~0.3 s, as clients do, not in the same
        # millisecond (a server sharing one socket between its workers would give such a
        # burst to whichever worker wakes first).
        await asyncio.sleep(number * RAMP_UP_SECONDS / len(tokens))
        connection = _Connection(host, int(port))
        try:
            while not stop.is_set():
                key = uuid.uuid4().hex
                began = time.perf_counter()
                status, body = await connection.post(
                    path, b'{"bundle_index": 0}', token=token, idempotency_key=key
                )
                phase.latencies.append(time.perf_counter() - began)
                phase.statuses[status] += 1
                if status == 201:
                    phase.created.append(json.loads(body))
                else:
                    code = json.loads(body).get("code", "?") if body else "?"
                    phase.codes[f"{status} {code}"] += 1
                    if seconds is None and status == 409:
                        stop.set()
        finally:
            await connection.close()

    began = time.perf_counter()
    tasks = [asyncio.create_task(client(n, token)) for n, token in enumerate(tokens)]
    if seconds is not None:
        await asyncio.sleep(seconds)
        stop.set()
    await asyncio.gather(*tasks)
    phase.elapsed = time.perf_counter() - began
    return phase


class _Connection:
    """One keep-alive HTTP/1.1 connection, as lean as a load generator must be.

    A general client (httpx) costs about 3 ms of CPU per request here: at 500 requests
    a second that is 1.5 of the machine's 2 cores, taken from the server it measures.
    This one writes the request bytes and reads a Content-Length response, nothing more
    (uvicorn answers every request here with one).
    """

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(
        self, path: str, body: bytes, *, token: str, idempotency_key: str
    ) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            f"Authorization: Bearer {token}\r\nIdempotency-Key: {idempotency_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
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
    created = len(phase.created)
    print(f"\n{title}: {count} requests in {phase.elapsed:.1f} s")
    if not count:
        return
    p50 = every[count // 2] * 1000
    p99 = every[min(count - 1, int(count * 0.99))] * 1000
    print(f"  purchases/s (201s): {created / phase.elapsed:8.1f}")
    print(f"  latency ms:  p50 {p50:7.1f}   p99 {p99:7.1f}   max {every[-1] * 1000:7.1f}")
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(phase.statuses.items()))
    print(f"  by status:   {statuses}")
    if phase.codes:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(phase.codes.items()))
        print(f"  errors:      {codes}")


# -- where the CPU went -----------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class _Cpu:
    server: float
    postgres: float
    generator: float


def _cpu_now(server_pid: int) -> _Cpu:
    """CPU seconds used so far by the server's processes, PostgreSQL's and this one."""
    server = sum(_process_cpu(pid) for pid in _tree(server_pid))
    postgres = sum(
        _process_cpu(int(entry.name))
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _comm(entry) == "postgres"
    )
    own = os.times()
    return _Cpu(server, postgres, own.user + own.system)


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            pids.extend(_tree(int(child)))
    return pids


def _comm(entry: Path) -> str:
    try:
        return (entry / "comm").read_text().strip()
    except OSError:
        return ""


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # it ended meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _report_cpu(before: _Cpu, after: _Cpu, purchases: int, elapsed: float) -> None:
    """CPU per purchase by process group: the figure to cut, whatever else the machine
    does (latency and throughput move with the machine's other load; this hardly does)."""
    if not purchases:
        return
    parts = {
        "server": after.server - before.server,
        "postgres": after.postgres - before.postgres,
        "load generator": after.generator - before.generator,
    }
    per = ", ".join(f"{name} {used / purchases * 1000:.2f}" for name, used in parts.items())
    cores = sum(parts.values()) / elapsed
    print(f"  CPU ms per purchase: {per} (together {cores:.2f} cores busy)")


# -- correctness ------------------------------------------------------------------------


def _check(platform: PlatformContext, lot_id: uuid.UUID, phase: Phase, *, funds: bool) -> list[str]:
    failures: list[str] = []
    with _session(platform) as session:
        lot = session.get(Lot, lot_id)
        assert lot is not None
        entries = list(
            session.scalars(
                select(LotEntry).where(LotEntry.lot_id == lot_id).order_by(LotEntry.tickets_start)
            )
        )
        # A funded lot is drawn and settled at once (its escrow then moves on): compare
        # with the escrow right after its last purchase.
        last_seq = session.scalar(
            select(func.max(LotEntryPurchase.ledger_seq)).where(LotEntryPurchase.lot_id == lot_id)
        )
        ledger = Ledger(session)
        escrow = (
            ledger.balance(lot_escrow(lot_id), USD, as_of_seq=last_seq).balance,
            ledger.balance(lot_escrow(lot_id), CRD, as_of_seq=last_seq).balance,
        )
    name = lot.title
    expected = 1
    for entry in entries:
        if entry.tickets_start != expected:
            failures.append(f"{name}: tickets jump from {expected - 1} to {entry.tickets_start}")
        expected = entry.tickets_end + 1
    if expected - 1 != lot.tickets_sold:
        failures.append(f"{name}: entries end at {expected - 1}, lot sold {lot.tickets_sold}")
    answered = Counter(body["id"] for body in phase.created)
    owned = Counter(str(entry.purchase_id) for entry in entries)
    if any(n != 1 for n in answered.values()):
        failures.append(f"{name}: a purchase id was answered 201 twice")
    if set(answered) != set(owned) or any(n != 1 for n in owned.values()):
        failures.append(
            f"{name}: {len(answered)} purchases answered 201 but {len(entries)} entries"
            f" ({len(set(answered) - set(owned))} without entry,"
            f" {len(set(owned) - set(answered))} entries without a 201)"
        )
    if escrow != (lot.cash_cents, lot.credits_spent):
        failures.append(
            f"{name}: lot totals {lot.cash_cents}/{lot.credits_spent} but escrow {escrow}"
        )
    if funds:
        funded = [body for body in phase.created if body["lot_status"] != "open"]
        if lot.status == "open" or not funded:
            failures.append(f"{name}: never funded (status {lot.status})")
        refused = {key for key in phase.codes if not key.startswith("409")}
        if refused:
            failures.append(f"{name}: refusals other than 409: {sorted(refused)}")
    elif lot.status != "open" or phase.statuses.keys() - {201}:
        failures.append(f"{name}: status {lot.status}, responses {dict(phase.statuses)}")
    print(
        f"\n{name}: {len(entries)} entries tile 1..{lot.tickets_sold}, status {lot.status},"
        f" escrow {escrow[0]} cents / {escrow[1]} credits"
    )
    return failures


def _check_ledger(platform: PlatformContext) -> list[str]:
    began = time.perf_counter()
    try:
        summary = verify_ledger(export_lines(platform.database.engine))
    except Exception as error:  # a verification failure is the result to report
        return [f"ledger export does not verify: {error}"]
    print(
        f"ledger export verifies: {summary.transactions} transactions, head"
        f" {summary.head_hash[:16]}... ({time.perf_counter() - began:.1f} s)"
    )
    return []


if __name__ == "__main__":
    raise SystemExit(main())
