"""A production-shaped fault run: the product loop across real processes, under faults.

On the machine's real PostgreSQL (a fresh database) and a Redis server of the test's own
(it is restarted mid-run: the shared one is never touched), the test starts what an
operator runs, each as its own OS process: `alot serve --workers 2`, two `alot worker`
(Celery) and `alot beat`. Email goes to a fake SMTP server (the outside world, faked at
its network boundary); everything else is ours and real.

Through HTTP and WebSockets only, players register, confirm their email, pass trivia and
buy from several threads until three lots fund; the lots are drawn and settled in
chunks of one entry; a fourth lot passes its deadline, expires and is refunded. While
that runs, the test breaks things:

- PostgreSQL terminates the API's connections while purchases are in flight;
- a worker is killed with SIGKILL in the middle of a settlement (a replacement starts,
  as a supervisor would start one);
- a uvicorn worker of `alot serve` is killed with SIGKILL: the server stops as a whole
  (serve.py: a worker that dies takes the server down, exit status 1), and the API
  process is restarted on the same port, as a supervisor would;
- the Redis server (broker, live events, cache, rate limits) is stopped and started again,
  empty.

Afterwards nothing may be lost or doubled: `alot reconcile` is clean, the ledger's export
passes `alot-verify ledger`, every purchase answered 201 is in the ledger once, a retry
with the same Idempotency-Key never made a second purchase, every lot reached its end
(settled, or closed after its refunds), and every live watcher saw its lot's events in
seq order without a duplicate, with gaps only where it was told to resync.

docs/operations/fault-run.md describes the run and how to read its logs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import IO, Any

import httpx
import psutil
import psycopg
import pytest
from alot_sdk import Alot
from alot_sdk.live import LiveEvent, LiveWatch, Reconnect

from ..platform.live_server import free_port
from ..platform.payments.test_outbox import FakeSmtp, running_fake_smtp

pytestmark = [pytest.mark.services, pytest.mark.timeout(420)]

BIN = Path(sys.executable).parent
ALOT = BIN / "alot"
ALOT_VERIFY = BIN / "alot-verify"
PASSWORD = "correct-horse-battery"
ADMIN_EMAIL = "ops@example.com"
TRIVIA = {"trivia_question": "How many sides has a square?", "trivia_answer": "4"}
FUNDED_LOTS = ("A", "B", "C")
PLAYERS = 6
WAIT = 90.0  # seconds: the bound of every wait (this machine is small and shared)
METRICS_TOKEN = "fault-run-metrics-token"


# -- processes --------------------------------------------------------------------------


class Processes:
    """Every process the run starts, each in its own process group, its output in a log."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self._all: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def start(self, name: str, *args: str, program: Path = ALOT) -> subprocess.Popen[bytes]:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop_all)
        self._logs.append(log)
        process = subprocess.Popen(
            [str(program), *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running[name] = process
        self._all.append(process)
        return process

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children (its group): a crash, not a shutdown."""
        process = self.running.pop(name)
        _kill_group(process)

    def stop_all(self) -> None:
        for process in self._all:
            _kill_group(process)
        for log in self._logs:
            log.close()

    def logs(self) -> str:
        return "\n".join(
            f"===== {path.name}\n{path.read_text(errors='replace')[-6000:]}"
            for path in sorted(self.folder.glob("*.log"))
        )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _until(what: str, check: Callable[[], Any], seconds: float = WAIT, every: float = 0.2) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` if it never does."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds:.0f}s waiting for {what}")
        time.sleep(every)


def _redis_server(port: int, folder: Path, processes: Processes) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (the fault run starts its own)")
    processes.start(
        "redis",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(folder),
        program=Path(binary),
    )
    import redis

    client = redis.Redis(port=port, socket_timeout=1)
    try:
        _until("redis-server to answer", lambda: _pings(client), seconds=20)
    finally:
        client.close()


def _pings(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _uvicorn_workers(serve: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The server processes `alot serve` spawned (not multiprocessing's helpers)."""
    return [
        child
        for child in psutil.Process(serve.pid).children()
        if "spawn_main" in " ".join(child.cmdline())
    ]


def _database_ports(pids: list[int]) -> list[int]:
    """The local ports of these processes' connections to PostgreSQL."""
    ports = []
    for pid in pids:
        try:
            connections = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        ports += [c.laddr.port for c in connections if c.raddr and c.raddr.port == 5432]
    return ports


def _terminate_backends(admin_url: str, database: str, ports: list[int]) -> int:
    """pg_terminate_backend of this database's connections from ``ports`` only."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid() AND client_port = ANY(%s)",
            (database, ports),
        ).fetchall()
    return len(rows)


# -- the run's record --------------------------------------------------------------------


@dataclass
class Attempt:
    """One purchase request: its key, and what came back (a status or a transport error)."""

    lot: str
    user: str
    key: str
    status: int | None
    purchase_id: str | None
    error: str | None


@dataclass
class Record:
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)

    def answered(self, lot: str) -> int:
        with self.lock:
            return sum(a.status in (200, 201) for a in self.attempts if a.lot == lot)


@dataclass
class Player:
    client: Alot
    email: str
    id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.client.access_token}"}


class Api:
    """Where the API listens (the port stays when the process is restarted)."""

    def __init__(self, base: str) -> None:
        self.base = base


def _buy_until_closed(api: Api, player: Player, lot_id: str, record: Record) -> str:
    """Buy one-ticket bundles until the lot stops selling; how the buying ended.

    A failed request (5xx, no answer) is retried with the same Idempotency-Key, as a
    client should."""
    for _ in range(200):
        key = uuid.uuid4().hex
        for retry in range(60):
            try:
                response = httpx.post(
                    f"{api.base}/api/lots/{lot_id}/entries/purchase",
                    json={"bundle_index": 0},
                    headers={**player.headers, "Idempotency-Key": key},
                    timeout=20,
                )
            except httpx.TransportError as error:
                record.add(Attempt(lot_id, player.id, key, None, None, repr(error)))
                time.sleep(min(0.2 * 2**retry, 1.0))
                continue
            body = response.json() if response.content else {}
            purchase_id = body.get("id") if response.status_code in (200, 201) else None
            record.add(Attempt(lot_id, player.id, key, response.status_code, purchase_id, None))
            if response.status_code >= 500 or response.status_code == 429:
                time.sleep(min(0.2 * 2**retry, 1.0))
                continue
            if response.status_code not in (200, 201):
                return f"{response.status_code} {body.get('code') or body.get('title')}"
            if body["lot_status"] != "open":
                return f"bought, lot {body['lot_status']}"
            break  # the next purchase
        else:
            return f"no answer to a purchase after 60 tries (key {key})"
    return "still buying after 200 purchases"


class Buyers:
    """Every player buys in one lot, each from a thread of its own."""

    def __init__(self, api: Api, players: list[Player], lot_id: str, record: Record) -> None:
        self.lot_id = lot_id
        self.endings: list[str] = []
        self._threads = [
            threading.Thread(target=self._buy, args=(api, player, record), daemon=True)
            for player in players
        ]
        for thread in self._threads:
            thread.start()

    def _buy(self, api: Api, player: Player, record: Record) -> None:
        try:
            self.endings.append(_buy_until_closed(api, player, self.lot_id, record))
        except Exception as error:  # reported by join, in the test's thread
            self.endings.append(f"failed: {error!r}")

    def join(self, what: str) -> None:
        """Wait for every buyer; each must have stopped because the lot funded."""
        deadline = time.monotonic() + WAIT
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            assert not thread.is_alive(), f"the buyers of {what} still buy after {WAIT:.0f}s"
        # The lot funded: its funding purchase says so, later ones are refused (409).
        assert all(
            ending in ("bought, lot funded", "bought, lot drawing") or ending.startswith("409 ")
            for ending in self.endings
        ), f"buyers of {what} stopped for another reason: {self.endings}"


class Watcher:
    """A player's `lots.watch` on one lot, recording every event in a thread."""

    def __init__(self, client: Alot, lot_id: str) -> None:
        self.lot_id = lot_id
        self.events: list[LiveEvent] = []
        self.error: BaseException | None = None
        self.watch: LiveWatch = client.lots.watch(
            lot_id, reconnect=Reconnect(initial_delay=0.2, max_delay=2.0)
        )
        self.thread = threading.Thread(target=self._record, daemon=True)
        self.thread.start()

    def _record(self) -> None:
        try:
            for event in self.watch:
                self.events.append(event)
        except BaseException as error:
            self.error = error

    def saw(self, *types: str) -> bool:
        return any(event.type in types for event in self.events)

    def close(self) -> None:
        self.watch.close()
        self.thread.join(10)


# -- the run ------------------------------------------------------------------------------


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "fault-run"
    folder.mkdir()
    return folder


def test_the_product_loop_survives_faults(postgres_url: str, redis_url: str, run_dir: Path) -> None:
    del redis_url  # the shared Redis is only required to exist; this run starts its own
    admin_url = os.environ["ALOT_TEST_POSTGRES_URL"]
    database = postgres_url.rsplit("/", 1)[1]
    redis_port = free_port()
    api = Api(f"http://127.0.0.1:{free_port()}")
    with running_fake_smtp() as smtp:
        env = _environment(postgres_url, redis_port, api, smtp, run_dir)
        processes = Processes(run_dir, env)
        try:
            _run(processes, api, smtp, admin_url, database, redis_port, run_dir)
        except BaseException:
            processes.stop_all()
            print(processes.logs())  # pytest shows it with the failure
            raise
        processes.stop_all()


def _environment(
    postgres_url: str, redis_port: int, api: Api, smtp: FakeSmtp, run_dir: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOT_")}
    env.update(
        PYTHONUNBUFFERED="1",  # logs reach their files as they are written
        ALOT_ENV="development",
        ALOT_VAR_DIR=str(run_dir / "var"),  # one set of keys for every process
        ALOT_WEB_DIR=str(run_dir / "no-web-client"),
        ALOT_PUBLIC_URL=api.base,
        ALOT_DATABASE_URL=postgres_url.replace("postgresql://", "postgresql+psycopg://", 1),
        ALOT_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        ALOT_REDIS_PREFIX="alot-fault-run:",
        ALOT_TASK_RUNNER="celery",
        ALOT_TASK_LEASE_SECONDS="5",  # a killed worker's task is run again this soon
        ALOT_OUTBOX_SWEEP_SECONDS="1",
        ALOT_SCHEDULER_INTERVAL_SECONDS="1",  # beat's tick: expiry, refunds, draws left
        ALOT_SETTLEMENT_CHUNK_SIZE="1",  # a settlement is many units of work
        ALOT_REFUND_CHOICE_SECONDS="2",  # the expired lot is refunded in cash at once
        ALOT_LEDGER_CHECKPOINT_INTERVAL_SECONDS="5",
        ALOT_DRAW_ALGORITHM_DEFAULT="alot-v1",  # no drand beacon here
        ALOT_SMTP_HOST="127.0.0.1",
        ALOT_SMTP_PORT=str(smtp.port),
        ALOT_SMTP_STARTTLS="false",
        ALOT_RATE_LIMIT_DEFAULT="100000/minute",
        ALOT_RATE_LIMIT_AUTH="100000/minute",
        ALOT_ARGON2_TIME_COST="1",
        ALOT_ARGON2_MEMORY_KIB="1024",
        ALOT_ARGON2_PARALLELISM="1",
        ALOT_WS_HEARTBEAT_SECONDS="5",
        ALOT_WS_IDLE_TIMEOUT_SECONDS="30",
        ALOT_ADMIN_PASSWORD=PASSWORD,
        ALOT_METRICS_TOKEN=METRICS_TOKEN,
        # One multiprocess folder for every process, as on one host: the API's /metrics
        # sums the workers' too, and an operator-set folder is never emptied, so what
        # killed and restarted processes counted stays counted.
        PROMETHEUS_MULTIPROC_DIR=str(run_dir / "metrics"),
    )
    (run_dir / "metrics").mkdir(exist_ok=True)
    return env


def _alot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ALOT), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _run(
    processes: Processes,
    api: Api,
    smtp: FakeSmtp,
    admin_url: str,
    database: str,
    redis_port: int,
    run_dir: Path,
) -> None:
    env = processes.env
    _redis_server(redis_port, run_dir, processes)
    started = time.monotonic()

    def phase(done: str) -> None:
        """Where the time goes (shown with -s, and with a failure)."""
        print(f"fault run: {done} at {time.monotonic() - started:.0f}s")

    migrated = _alot(env, "migrate")
    assert migrated.returncode == 0, f"alot migrate: {migrated.stdout}{migrated.stderr}"
    # The admin is made while the processes start (each takes seconds to import).
    admin_made = subprocess.Popen(
        [str(ALOT), "create-admin", "--email", ADMIN_EMAIL, "--username", "ops"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    port = api.base.rsplit(":", 1)[1]
    serve = processes.start("serve", "serve", "--port", port, "--workers", "2")
    worker_args = ["--pool", "solo", "--without-gossip", "--without-mingle"]
    for name in ("worker-1", "worker-2"):
        processes.start(name, "worker", "--hostname", f"{name}@fault-run", *worker_args)
    processes.start("beat", "beat")
    try:
        output, _ = admin_made.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        admin_made.kill()
        admin_made.communicate()
        raise
    assert admin_made.returncode == 0, f"alot create-admin: {output}"
    _until("the API to be ready", lambda: _ready(api.base) or serve.poll() is not None)
    assert serve.poll() is None, "alot serve ended at start-up"

    admin = Alot(base_url=api.base, max_retries=5)
    admin.auth.login(ADMIN_EMAIL, PASSWORD)
    product = admin.admin.product_classes.create(
        name="Fleer Michael Jordan #57",
        category="memorabilia",
        tier="RARE",
        retail_value_cents=350_000,
    )

    def open_lot(title: str, target_cents: int, deadline: datetime) -> str:
        created = admin.admin.lots.create(
            product_class_id=product.id,
            title=title,
            funding_target_cents=target_cents,
            deadline=deadline,
            entry_bundles=[{"price_cents": 100, "tickets": 1}],
            non_winner_credit_rate_percent=50,
            **TRIVIA,
        )
        return admin.admin.lots.open(created.id).id

    far = datetime.now(UTC) + timedelta(hours=1)
    lots = {"A": open_lot("Lot A", 3000, far), "B": open_lot("Lot B", 1800, far)}
    lots["C"] = open_lot("Lot C", 1800, far)
    players = [_player(api, smtp, n) for n in range(PLAYERS)]
    watchers = {name: Watcher(players[0].client, lot_id) for name, lot_id in lots.items()}
    # The lot that expires: its deadline falls while the others are sold.
    lots["E"] = open_lot("Lot E", 100_000, datetime.now(UTC) + timedelta(seconds=20))
    watchers["E"] = Watcher(players[0].client, lots["E"])
    for player in players:
        for lot_id in lots.values():
            assert player.client.trivia.attempt(lot_id, TRIVIA["trivia_answer"]).correct
    record = Record()
    phase("set up: processes, lots, players")
    try:
        _expiring_lot_sold(api, players, lots["E"], record)
        buyers = _lot_a_with_terminated_connections(
            processes, api, players, lots["A"], record, admin_url, database
        )
        # Watched from the funding purchase on: the settlement may start at once.
        _worker_killed_mid_settlement(processes, admin_url, database, lots["A"], worker_args)
        buyers.join("lot A")
        phase("lot A sold, the API's connections terminated, a worker killed mid-settlement")
        _lot_b_with_an_api_worker_killed(processes, api, players, lots["B"], record)
        _watched_through_the_restart(watchers["A"])
        phase("lot B sold, an API worker killed, the API restarted")
        _lot_c_with_redis_restarted(processes, api, players, lots["C"], record, redis_port, run_dir)
        phase("lot C sold, Redis restarted")
        _every_lot_ends(admin_url, database, lots)
        _the_killed_settlement_was_run_again(admin_url, database, lots["A"])
        phase("every lot settled or closed")
    finally:
        for watcher in watchers.values():
            watcher.close()

    try:
        _reconcile_is_clean(env)
        phase("reconciled")
        export = _ledger_verifies(api, admin, run_dir)
        made = _purchases_are_in_the_ledger_once(record, export, admin_url, database)
        _watchers_saw_events_in_order(admin, lots, watchers)
        _metrics_counted_what_happened(api.base, record, made)
    finally:
        for client in (admin, *(player.client for player in players)):
            client.close()


# -- the loop's steps -------------------------------------------------------------------


def _player(api: Api, smtp: FakeSmtp, n: int) -> Player:
    """Register, confirm the email (the link the worker mailed), log in: over HTTP."""
    client = Alot(base_url=api.base, max_retries=5)
    username = f"player{n}_{uuid.uuid4().hex[:6]}"
    email = f"{username}@example.com"
    client.auth.register(
        email=email, username=username, password=PASSWORD, date_of_birth="1990-05-17"
    )
    token = _until(f"the confirmation email to {email}", lambda: _confirmation_token(smtp, email))
    client.auth.verify_email(token)
    client.auth.login(email, PASSWORD)
    return Player(client, email, client.users.me().id)


def _confirmation_token(smtp: FakeSmtp, email: str) -> str | None:
    for message in list(smtp.received):
        if message["To"] == email:
            match = re.search(r"^(ey[\w-]+\.[\w-]+\.[\w-]+)\s*$", _body(message), re.M)
            if match:
                return match.group(1)
    return None


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(message.get_payload())


def _expiring_lot_sold(api: Api, players: list[Player], lot_id: str, record: Record) -> None:
    """A few purchases in the lot that will expire: they are refunded later."""
    for player in players[:3]:
        key = uuid.uuid4().hex
        response = httpx.post(
            f"{api.base}/api/lots/{lot_id}/entries/purchase",
            json={"bundle_index": 0},
            headers={**player.headers, "Idempotency-Key": key},
            timeout=20,
        )
        assert response.status_code == 201, response.text
        record.add(Attempt(lot_id, player.id, key, 201, response.json()["id"], None))


def _lot_a_with_terminated_connections(
    processes: Processes,
    api: Api,
    players: list[Player],
    lot_id: str,
    record: Record,
    admin_url: str,
    database: str,
) -> Buyers:
    """Purchases from every player while PostgreSQL drops the API's connections, twice.
    The buyers are still at it when this returns (the lot may be funded already)."""
    serve_pids = [p.pid for p in _api_workers(processes)]
    buyers = Buyers(api, players, lot_id, record)
    terminated = 0
    for after in (4, 10):
        _until(f"{after} purchases in lot A", lambda after=after: record.answered(lot_id) >= after)
        terminated += _terminate_backends(admin_url, database, _database_ports(serve_pids))
    assert terminated > 0, "no connection of the API was terminated: the fault did not happen"
    return buyers


def _api_workers(processes: Processes) -> list[psutil.Process]:
    workers = _uvicorn_workers(processes.running["serve"])
    assert len(workers) == 2, f"alot serve --workers 2 runs {len(workers)} server processes"
    return workers


def _worker_killed_mid_settlement(
    processes: Processes, admin_url: str, database: str, lot_id: str, worker_args: list[str]
) -> None:
    """SIGKILL the worker settling lot A while its settlement is half-way; start another."""
    url = admin_url.rsplit("/", 1)[0] + f"/{database}"

    def half_way() -> tuple[int, int] | None:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT d.settled_through_ticket, d.total_tickets, l.status FROM lottery_draws d"
                " JOIN lots l ON l.id = d.lot_id WHERE d.lot_id = %s",
                (lot_id,),
            ).fetchone()
        if row is None:
            return None
        through, total, status = row
        assert status != "settled", "lot A settled before the worker could be killed"
        return (through, total) if status == "drawing" and 0 < (through or 0) < total else None

    through, total = _until("lot A's settlement to be half-way", half_way, every=0.02)
    victim = _busy_worker(processes)
    processes.kill(victim)
    assert half_way() is not None, (
        f"the settlement of lot A ended before {victim} was killed (through {through}/{total})"
    )
    processes.start("worker-3", "worker", "--hostname", "worker-3@fault-run", *worker_args)


def _busy_worker(processes: Processes) -> str:
    """The worker running an outbox task now: its log has the task received, not ended.

    (A solo worker runs one task at a time; Celery logs each task's start and end.)"""
    names = [name for name in processes.running if name.startswith("worker-")]
    for name in names:
        log = (processes.folder / f"{name}.log").read_text(errors="replace")
        received = set(re.findall(r"alot\.outbox\.run\[([\w-]+)\] received", log))
        ended = set(re.findall(r"alot\.outbox\.run\[([\w-]+)\] (?:succeeded|raised)", log))
        if received - ended:
            return name
    pytest.fail(f"no worker is running a task while lot A settles: {names}")


def _lot_b_with_an_api_worker_killed(
    processes: Processes, api: Api, players: list[Player], lot_id: str, record: Record
) -> None:
    """SIGKILL one uvicorn worker mid-purchase: `alot serve` stops (by design, exit 1),
    and is started again on the same port; the buyers retry with their keys."""
    buyers = Buyers(api, players, lot_id, record)
    _until("purchases in lot B", lambda: record.answered(lot_id) >= 4)
    victim = _api_workers(processes)[0]
    victim.kill()
    killed_at = time.monotonic()
    serve = processes.running["serve"]
    status = _until("alot serve to stop after losing a worker", lambda: serve.poll() is not None)
    print(f"fault run: alot serve stopped {time.monotonic() - killed_at:.0f}s after the kill")
    assert serve.returncode == 1, f"alot serve ended with {status}: it should stop with 1"
    assert not _ready(api.base)
    processes.running.pop("serve")
    port = api.base.rsplit(":", 1)[1]
    processes.start("serve", "serve", "--port", port, "--workers", "2")
    _until("the restarted API to be ready", lambda: _ready(api.base))
    print(f"fault run: the API answered again {time.monotonic() - killed_at:.0f}s after the kill")
    buyers.join("lot B")


def _watched_through_the_restart(watcher: Watcher) -> None:
    """Lot A's watcher lost its connection when the API stopped, reconnected to the new
    one and resumed by seq: it hears of the draw without being told to resync (Redis,
    which keeps the events, is still up)."""
    _until("the watcher of lot A to see its draw", lambda: watcher.saw("draw_completed"))
    resyncs = [event.seq for event in watcher.events if event.is_resync]
    assert not resyncs, f"lot A's watcher was told to resync at {resyncs}: events were lost"


def _lot_c_with_redis_restarted(
    processes: Processes,
    api: Api,
    players: list[Player],
    lot_id: str,
    record: Record,
    redis_port: int,
    run_dir: Path,
) -> None:
    """Stop Redis mid-purchase and start it again, empty, on the same port."""
    buyers = Buyers(api, players, lot_id, record)
    _until("purchases in lot C", lambda: record.answered(lot_id) >= 4)
    processes.kill("redis")
    time.sleep(1.0)
    _redis_server(redis_port, run_dir, processes)
    buyers.join("lot C")


def _every_lot_ends(admin_url: str, database: str, lots: dict[str, str]) -> None:
    """A, B, C settled; E closed (expired, refunded); else say where each one stands."""
    url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    wanted = {name: ("closed" if name == "E" else "settled") for name in lots}

    def where() -> dict[str, str]:
        with psycopg.connect(url, autocommit=True) as conn:
            return {
                name: conn.execute("SELECT status FROM lots WHERE id = %s", (lot_id,)).fetchone()[0]
                for name, lot_id in lots.items()
            }

    deadline = time.monotonic() + WAIT
    while (now := where()) != wanted:
        if time.monotonic() > deadline:
            with psycopg.connect(url, autocommit=True) as conn:
                draws = conn.execute(
                    "SELECT lot_id, settled_through_ticket, total_tickets FROM lottery_draws"
                ).fetchall()
                outbox = conn.execute(
                    "SELECT task, key, status, attempts, last_error FROM outbox"
                    " WHERE status <> 'done' ORDER BY created_at"
                ).fetchall()
            pytest.fail(
                f"lots stuck after {WAIT:.0f}s: {now} (wanted {wanted}); draws {draws};"
                f" outbox not done {outbox}"
            )
        time.sleep(0.5)


# -- the checks ---------------------------------------------------------------------------


def _reconcile_is_clean(env: dict[str, str]) -> None:
    done = _alot(env, "reconcile")
    assert done.returncode == 0, f"alot reconcile: {done.stdout}{done.stderr}"
    assert "OK: every credit balance agrees with the ledger" in done.stdout, done.stdout


def _ledger_verifies(api: Api, admin: Alot, run_dir: Path) -> list[dict[str, Any]]:
    """The export (as an auditor fetches it) passes `alot-verify ledger`; its lines."""
    headers = {"Authorization": f"Bearer {admin.access_token}"}
    checkpoint = httpx.get(f"{api.base}/api/ledger/checkpoint", timeout=20)
    args = []
    if checkpoint.status_code == 200:
        (run_dir / "checkpoint.txt").write_text(checkpoint.json()["note"])
        key = httpx.get(f"{api.base}/api/ledger/verifier-key", timeout=20).json()
        args = ["--checkpoint", str(run_dir / "checkpoint.txt"), "--key", key["verifier_key"]]
    export = httpx.get(f"{api.base}/api/ledger/export", headers=headers, timeout=60)
    assert export.status_code == 200, export.text
    path = run_dir / "ledger.jsonl"
    path.write_bytes(export.content)
    verified = subprocess.run(
        [str(ALOT_VERIFY), "ledger", str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, f"alot-verify ledger: {verified.stdout}{verified.stderr}"
    return [json.loads(line) for line in export.text.splitlines() if line.strip()]


def _purchases_are_in_the_ledger_once(
    record: Record, export: list[dict[str, Any]], admin_url: str, database: str
) -> int:
    """Check; the number of purchases the run made."""
    in_ledger: dict[str, int] = {}
    for tx in export:
        if tx["kind"] == "entry_purchase":
            purchase_id = tx["refs"]["purchase_id"]
            in_ledger[purchase_id] = in_ledger.get(purchase_id, 0) + 1
    doubled = {p: n for p, n in in_ledger.items() if n != 1}
    assert not doubled, f"purchases in the ledger more than once: {doubled}"

    answered = {a.purchase_id for a in record.attempts if a.status == 201}
    missing = answered - in_ledger.keys()
    assert not missing, f"purchases answered 201 but not in the ledger: {missing}"

    # One key, one purchase: every success answered for a key names the same purchase.
    by_key: dict[str, set[str]] = {}
    for attempt in record.attempts:
        if attempt.purchase_id is not None:
            by_key.setdefault(attempt.key, set()).add(attempt.purchase_id)
    assert all(len(ids) == 1 for ids in by_key.values()), by_key

    # And in the database: every key the run sent made at most one purchase, and every
    # completed purchase of the run (answered or not) is in the ledger once.
    url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id::text, user_id::text, idempotency_key, status FROM lot_entry_purchases"
        ).fetchall()
    keys = {(a.user, a.key) for a in record.attempts}
    made: dict[tuple[str, str], int] = {}
    for purchase_id, user_id, key, status in rows:
        assert (user_id, key) in keys, f"a purchase with a key the run never sent: {key}"
        made[(user_id, key)] = made.get((user_id, key), 0) + 1
        assert status in ("succeeded", "refunded"), (purchase_id, status)
        assert in_ledger.get(purchase_id) == 1, f"purchase {purchase_id} ({status}) not in ledger"
    assert all(n == 1 for n in made.values()), made
    assert len(in_ledger) == len(rows), "the ledger has purchases the database does not"
    dropped = sum(a.status is None for a in record.attempts)
    failed = Counter(a.status for a in record.attempts if a.status and a.status >= 500)
    replayed = sum(a.status == 200 for a in record.attempts)
    print(
        f"fault run: {len(rows)} purchases from {len(record.attempts)} requests:"
        f" {dropped} without an answer (connection refused or dropped), answers >= 500:"
        f" {dict(failed)}, {replayed} retries answered with the purchase already made"
    )
    return len(rows)


def _metrics_counted_what_happened(base: str, record: Record, made: int) -> None:
    """One scrape of the API counts every process's work, the killed ones' included."""
    samples = _scrape_metrics(base, METRICS_TOKEN)

    def total(name: str, **labels: str) -> float:
        return sum(
            value
            for found, value in samples.get(name, [])
            if all(found.get(k) == v for k, v in labels.items())
        )

    assert total("alot_lots_created_total") == 4
    assert total("alot_lots_funded_total") == len(FUNDED_LOTS)
    assert total("alot_lots_expired_total") == 1
    # A purchase is counted once committed, before it is answered: every purchase
    # answered 201 is counted. One whose process was killed (or whose connection was
    # terminated) between its commit and the count is in the database but not counted.
    counted = total("alot_purchases_total")
    answered = len({a.purchase_id for a in record.attempts if a.status == 201})
    assert answered <= counted <= made, (answered, counted, made)
    # The draws ran in the workers (one killed mid-settlement), counted in the same scrape.
    assert total("alot_tasks_total", handler="draw", outcome="done") >= len(FUNDED_LOTS)
    purchase = "/api/lots/{lot_id}/entries/purchase"  # a template, never a lot's id
    assert total("alot_http_requests_total", route=purchase, status="201") >= answered
    print(f"fault run: metrics counted {counted:.0f} of {made} purchases ({answered} answered 201)")


def _the_killed_settlement_was_run_again(admin_url: str, database: str, lot_id: str) -> None:
    """The draw task of lot A was claimed by the killed worker, and then by another."""
    url = admin_url.rsplit("/", 1)[0] + f"/{database}"

    def task() -> tuple[str, int]:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT status, attempts FROM outbox WHERE key = %s", (f"draw:{lot_id}",)
            ).fetchone()
        assert row is not None, "lot A has no draw task"
        return row[0], row[1]

    # Its lease ends, beat's sweep sends it again, a worker finds the lot settled (the
    # tick may have finished it first) and marks the task done.
    _until("lot A's draw task to be done", lambda: task()[0] == "done")
    assert task()[1] >= 2, f"the draw task of lot A ran once: the kill missed it {task()}"


def _watchers_saw_events_in_order(
    admin: Alot, lots: dict[str, str], watchers: dict[str, Watcher]
) -> None:
    ending = {name: ("lot_expired" if name == "E" else "draw_completed") for name in lots}
    for name, watcher in watchers.items():
        assert watcher.error is None, f"the watcher of lot {name} failed: {watcher.error!r}"
        seqs: list[int] = []
        resynced = False
        for event in watcher.events:
            if event.is_resync:
                resynced, seqs = True, []  # numbering may restart; what follows is new
                continue
            assert not seqs or event.seq > seqs[-1], (
                f"lot {name}: seq {event.seq} after {seqs[-1]} (a duplicate or out of order)"
            )
            assert not seqs or event.seq == seqs[-1] + 1, (
                f"lot {name}: a gap from seq {seqs[-1]} to {event.seq} without a resync"
            )
            seqs.append(event.seq)
        reasons = [e.data.get("reason") for e in watcher.events if e.is_resync]
        print(
            f"fault run: the watcher of lot {name} saw {len(watcher.events)} events,"
            f" resyncs {reasons}"
        )
        if resynced:
            # Told to refetch: what it refetches now is where the lot ended.
            status = admin.lots.get(lots[name]).status
            assert status == ("closed" if name == "E" else "settled"), (name, status)
        else:
            assert watcher.saw(ending[name]), (
                f"lot {name}: no {ending[name]} event and no resync: "
                f"{[(e.type, e.seq) for e in watcher.events]}"
            )


# -- the metrics hook -------------------------------------------------------------------


def _scrape_metrics(base_url: str, token: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The samples of ``GET /metrics`` (behind ``token``), by sample name: label sets
    and values. Counters appear under their ``_total`` names."""
    from prometheus_client.parser import text_string_to_metric_families

    response = httpx.get(
        f"{base_url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=20
    )
    response.raise_for_status()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples
