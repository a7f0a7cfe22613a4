"""Background work through real Celery workers on a real Redis, as production runs it.

The API side is the app in this process with ALOT_TASK_RUNNER=celery: its commits
publish their outbox rows to Redis. `alot worker` and `alot beat` run as subprocesses,
as an operator starts them, on the same PostgreSQL database and key files. Nothing of
ours is replaced: what the tests break is the outside (a worker killed with SIGKILL, a
Redis server stopped and started again).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alot_ledger import Ledger
from alot_platform.credits.models import UserUniversalCredits
from alot_platform.draws.models import LotteryDraw
from alot_platform.lots.models import LotStatus
from alot_platform.outbox.models import OutboxItem, OutboxStatus
from alot_platform.outbox.service import dead, enqueue, enqueue_task
from alot_platform.users.models import User
from alot_platform.users.service import UserService
from fastapi.testclient import TestClient
from sqlalchemy import text

from ..conftest import FakeClock
from ..live_server import free_port
from ..payments.test_outbox import running_fake_smtp

ALOT = Path(sys.executable).parent / "alot"
pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def clock() -> FakeClock:
    # The workers keep real time: so does the API side here (it stands still meanwhile).
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def db_url(postgres_url: str) -> str:
    return postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def broker(redis_url: str) -> str:
    return redis_url


@pytest.fixture
def worker_env(db_url: str, broker: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOT_")}
    env.update(
        ALOT_ENV="development",
        ALOT_VAR_DIR=str(tmp_path / "var"),
        ALOT_DATABASE_URL=db_url,
        ALOT_REDIS_URL=broker,
        ALOT_REDIS_PREFIX=_prefix(),
        ALOT_TASK_RUNNER="celery",
        ALOT_TASK_LEASE_SECONDS="5",
        ALOT_TASK_MAX_ATTEMPTS="2",
        ALOT_OUTBOX_SWEEP_SECONDS="1",
        ALOT_SCHEDULER_INTERVAL_SECONDS="1",
    )
    return env


@pytest.fixture
def client(make_client: Callable[..., TestClient], worker_env: dict[str, str]) -> TestClient:
    return make_client(
        redis_url=worker_env["ALOT_REDIS_URL"],
        redis_prefix=worker_env["ALOT_REDIS_PREFIX"],
        task_runner="celery",
        task_lease_seconds=5,
        task_max_attempts=2,
    )


@pytest.fixture
def start(
    worker_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start `alot worker` / `alot beat`; every process is killed at the end."""
    started: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []

    def run(command: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"{command}-{len(started)}.log", "wb")  # noqa: SIM115
        logs.append(log)
        process = subprocess.Popen(
            [str(ALOT), command, *args],
            env=env or worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    for log in logs:
        log.close()


def _prefix() -> str:
    return os.environ.get("ALOT_TEST_REDIS_PREFIX", "alot-test:") + "celery:"


def _worker_args() -> list[str]:
    return ["--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]


def _until(what: str, check: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _ledger_kinds(lots: Any) -> list[str]:
    with lots.session() as session:
        ledger = Ledger(session)
        return [ledger.transaction(seq)["kind"] for seq in range(1, ledger.size() + 1)]


def _players(lots: Any, count: int) -> list[User]:
    """Verified players, made directly: their emails would wait for a worker."""
    platform = lots.platform
    with lots.session() as session:
        users = UserService(session, platform)
        return [
            users.create(
                email=f"p{n}-{uuid.uuid4().hex[:8]}@example.com",
                username=f"p{uuid.uuid4().hex[:12]}",
                hashed_password="x",
                date_of_birth=date(1990, 1, 1),
                verified_email=True,
            )
            for n in range(count)
        ]


def _fund(api: Any, lots: Any, buyers: int) -> uuid.UUID:
    players = [str(user.id) for user in _players(lots, buyers)]
    lot_id = lots.open_lot(target_cents=100 * buyers)
    for player in players:
        lots.buy(lot_id, player, 1, cash=100)
    return lot_id


def test_a_funded_lot_is_drawn_and_settled_by_a_worker(
    api: Any, lots: Any, start: Callable[..., Any]
) -> None:
    worker = start("worker", *_worker_args())
    lot_id = _fund(api, lots, 3)  # the funding commit publishes the draw task

    _until("the lot to settle", lambda: lots.lot(lot_id).status == LotStatus.SETTLED.value)
    # The task's row is marked done in its own commit, after the settlement's.
    _until("the draw task to end", lambda: _task(lots, lot_id).status != OutboxStatus.PENDING.value)
    task = _task(lots, lot_id)
    assert (task.status, task.attempts) == (OutboxStatus.DONE.value, 1)
    kinds = _ledger_kinds(lots)
    assert (kinds.count("draw_result"), kinds.count("lot_settlement")) == (1, 1)
    assert sorted(r.balance for r in lots.rows(UserUniversalCredits)) == [10, 10]
    assert worker.poll() is None


def test_a_worker_killed_mid_settlement_leaves_it_to_another_exactly_once(
    lots: Any, start: Callable[..., Any], worker_env: dict[str, str]
) -> None:
    """SIGKILL in the middle of a settlement (chunks of 5 entries): the message was not
    acknowledged, the row's lease ends, and the next worker resumes after the chunks
    already committed. The ledger has one draw and one settlement, and each player's
    credits once."""
    players = [str(user.id) for user in _players(lots, 30)]
    held = players[12]  # its entry is in the third chunk (tickets 11 to 15)
    lots.grant_credits(held, 100)  # so that its balance row exists, and can be locked
    lot_id = lots.open_lot(target_cents=3000)
    env = {**worker_env, "ALOT_SETTLEMENT_CHUNK_SIZE": "5"}
    engine = lots.platform.database.engine
    with engine.connect() as blocker:
        # Hold one player's balance: the settlement commits its first two chunks, then
        # waits on this lock in the third.
        blocker.execute(
            text("SELECT balance FROM user_universal_credits WHERE user_id = :id FOR UPDATE"),
            {"id": uuid.UUID(held)},
        )
        first = start("worker", *_worker_args(), env=env)
        for player in players:
            lots.buy(lot_id, player, 1, cash=100)
        _until("two chunks", lambda: _settled_through(lots, lot_id) == 10)
        time.sleep(0.5)
        assert _task(lots, lot_id).attempts == 1
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        blocker.rollback()
    assert lots.lot(lot_id).status == LotStatus.DRAWING.value  # settled half-way
    assert _task(lots, lot_id).status == OutboxStatus.PENDING.value

    start("worker", *_worker_args(), env=env)
    start("beat", env=env)  # its sweep sends the row again once the killed worker's lease ends
    _until("the lot to settle", lambda: lots.lot(lot_id).status == LotStatus.SETTLED.value)
    kinds = _ledger_kinds(lots)
    assert (kinds.count("draw_result"), kinds.count("lot_settlement")) == (1, 1)
    assert kinds.count("lot_settlement_credits") == 6
    (draw,) = lots.rows(LotteryDraw, lot_id=lot_id)
    winner = str(draw.winner_user_id)
    balances = {str(row.user_id): row.balance for row in lots.rows(UserUniversalCredits)}
    for player in players:
        expected = (0 if player == winner else 10) + (100 if player == held else 0)
        assert balances.get(player, 0) == expected, player
    _until("the task to be marked done", lambda: _task(lots, lot_id).status == "done")
    assert _task(lots, lot_id).attempts == 2


def _settled_through(lots: Any, lot_id: uuid.UUID) -> int:
    draws = lots.rows(LotteryDraw, lot_id=lot_id)
    return (draws[0].settled_through_ticket or 0) if draws else 0


def test_a_poison_task_ends_dead_and_is_listed_for_admins(
    lots: Any, start: Callable[..., Any]
) -> None:
    """A draw task for a lot that does not exist fails on every attempt (2 here), with
    a backoff between them, and ends in the dead-letter state."""
    start("worker", *_worker_args())
    missing = uuid.uuid4()
    with lots.session() as session:
        enqueue_task(
            session,
            task="draw",
            key=f"draw:{missing}",
            payload={"lot_id": str(missing)},
            now=lots.platform.clock(),
        )
    _until("the first attempt to fail", lambda: _task(lots, missing).last_error is not None)
    row = _task(lots, missing)
    assert row.status == OutboxStatus.PENDING.value
    assert "LookupError" in (row.last_error or "")
    # The backoff (a minute) is the row's: make it due now, as time passing would.
    with lots.session() as session:
        session.execute(
            text("UPDATE outbox SET next_attempt_at = now() WHERE key = :key"),
            {"key": f"draw:{missing}"},
        )
    start("beat")
    _until("the task to die", lambda: _task(lots, missing).status == OutboxStatus.DEAD.value)
    with lots.session() as session:
        listed, _ = dead(session, cursor=None, limit=10)
        assert [(t.key, t.attempts) for t in listed] == [(f"draw:{missing}", 2)]


def test_redis_down_at_commit_loses_nothing(
    api: Any, lots: Any, start: Callable[..., Any], worker_env: dict[str, str], tmp_path: Path
) -> None:
    """A Redis of the test's own, stopped while a lot is funded: the relay cannot
    publish the draw; once Redis is back, beat's sweep sends it and a worker runs it."""
    port = free_port()
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    server = _redis(port, redis_dir)
    url = f"redis://127.0.0.1:{port}/0"
    env = {**worker_env, "ALOT_REDIS_URL": url}
    lots.platform.settings = lots.platform.settings.model_copy(update={"redis_url": url})
    start("worker", *_worker_args(), env=env)
    start("beat", env=env)
    _stop(server)

    lot_id = _fund(api, lots, 2)  # published into the void: the row stays pending
    time.sleep(2)
    assert lots.lot(lot_id).status == LotStatus.FUNDED.value
    assert _task(lots, lot_id).status == OutboxStatus.PENDING.value

    server = _redis(port, redis_dir)  # an empty Redis: nothing was kept there
    try:
        _until("the lot to settle", lambda: lots.lot(lot_id).status == LotStatus.SETTLED.value)
    finally:
        _stop(server)
    kinds = _ledger_kinds(lots)
    assert (kinds.count("draw_result"), kinds.count("lot_settlement")) == (1, 1)


def test_two_beats_at_once_do_no_harm(
    api: Any, lots: Any, start: Callable[..., Any], worker_env: dict[str, str]
) -> None:
    """Two beats by mistake, two workers: every sweep and tick is sent twice, and still
    each due email reaches its recipient once and each lot past its deadline expires."""
    players = _players(lots, 3)
    lot_id = lots.open_lot(target_cents=10_000, deadline_hours=-1)  # past its deadline
    lots.platform.relay = None  # set-up: the emails below wait for the sweep
    with lots.session() as session:
        for player in players:
            enqueue(
                session,
                key=f"test-notice:{player.id}",
                user_id=player.id,
                subject="A notice",
                body="Sent once.",
                now=lots.platform.clock(),
            )
    with running_fake_smtp() as smtp:
        env = {
            **worker_env,
            "ALOT_SMTP_HOST": "127.0.0.1",
            "ALOT_SMTP_PORT": str(smtp.port),
            "ALOT_SMTP_STARTTLS": "false",
        }
        for command in ("worker", "worker"):
            start(command, *_worker_args(), env=env)
        start("beat", env=env)
        start("beat", env=env)
        _until("the lot to expire", lambda: lots.lot(lot_id).status != LotStatus.OPEN.value)
        _until("the emails", lambda: len(smtp.received) >= len(players))
        time.sleep(4)  # several more ticks and sweeps from both beats
    notices = sorted(m["To"] for m in smtp.received if m["Subject"] == "A notice")
    assert notices == sorted(player.email for player in players)


def _task(lots: Any, lot_id: uuid.UUID) -> Any:
    (task,) = lots.rows(OutboxItem, key=f"draw:{lot_id}")
    return task


def _redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    _until("redis to start", lambda: _pings(client), seconds=10)
    return process


def _pings(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(timeout=10)
