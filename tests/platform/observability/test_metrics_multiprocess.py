"""Metrics across processes: `alot serve --workers 2` and `alot worker`, as operators run them.

Each server worker writes its own files in the multiprocess directory; one scrape, on
the API or on ALOT_METRICS_PORT (served by `alot serve`'s parent process), sums them.
A process of the family that is killed (a Celery child, say) must not leave its live
gauges (requests in flight, connections held) behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.multiprocess import MultiProcessCollector

from ..conftest import Api, FakeClock
from ..live_server import free_port, wait_until_ready
from .test_metrics import Figures, figures_of, value

ALOT = Path(sys.executable).parent / "alot"
TOKEN = "metrics-token-of-the-test-run"
pytestmark = pytest.mark.timeout(240)
_QUIET = ("--without-gossip", "--without-mingle", "--without-heartbeat")

# A process of the family (standing for a Celery child): it holds a database connection
# and a request in flight until it is killed.
_HOLDER = textwrap.dedent(
    """
    import sys, time
    from alot_platform.db import Database
    from alot_platform.observability.metrics import HTTP_REQUESTS_IN_FLIGHT

    database = Database(sys.argv[1], pool_size=1, max_overflow=0)
    connection = database.engine.connect()
    HTTP_REQUESTS_IN_FLIGHT.inc()
    print("holding", flush=True)
    time.sleep(600)
    """
)


def _base_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALOT_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        ALOT_ENV="development",
        ALOT_VAR_DIR=str(tmp_path / "var"),
        ALOT_WEB_DIR=str(tmp_path / "no-web-client"),
        ALOT_TASK_RUNNER="inline",
        ALOT_RATE_LIMIT_DEFAULT="100000/minute",
        ALOT_RATE_LIMIT_AUTH="100000/minute",
        ALOT_ARGON2_TIME_COST="1",
        ALOT_ARGON2_MEMORY_KIB="1024",
        ALOT_ARGON2_PARALLELISM="1",
        ALOT_METRICS_TOKEN=TOKEN,
    )
    return env


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _healthz_by_process(directory: Path) -> dict[int, float]:
    """Each process's own count of GET /healthz answered 200, from its file."""
    counts = {}
    for file in directory.glob("counter_*.db"):
        pid = int(file.stem.rsplit("_", 1)[1])
        merged = MultiProcessCollector.merge([str(file)], accumulate=False)
        counts[pid] = sum(
            sample.value
            for family in merged
            for sample in family.samples
            if sample.name == "alot_http_requests_total"
            and sample.labels.get("route") == "/healthz"
            and sample.labels.get("status") == "200"
        )
    return counts


def _scrape(url: str, **headers: str) -> Figures:
    response = httpx.get(url, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return figures_of(response.text)


def test_alot_serve_sums_its_workers_and_forgets_a_killed_process(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    env = _base_env(tmp_path)
    env["ALOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'var' / 'alot.db'}"
    metrics_port = free_port()
    env["ALOT_METRICS_PORT"] = str(metrics_port)
    subprocess.run([str(ALOT), "migrate"], env=env, check=True, capture_output=True)
    # The directory of an earlier server, long gone: removed when the next one starts.
    stale = tmp_path / "var" / "prometheus" / "serve-999999999"
    stale.mkdir(parents=True)
    (stale / "counter_1.db").write_bytes(b"")

    port = free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [str(ALOT), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    processes.append(server)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, server)
        directory = tmp_path / "var" / "prometheus" / f"serve-{server.pid}"
        assert directory.is_dir()
        assert not stale.exists()

        # Each request on a new connection: the kernel spreads them over both workers.
        sent = 0
        while sent < 20 or len([n for n in _healthz_by_process(directory).values() if n]) < 2:
            assert httpx.get(f"{base}/healthz").status_code == 200
            sent += 1
            assert sent < 500, _healthz_by_process(directory)
        by_process = _healthz_by_process(directory)
        workers = {pid for pid, count in by_process.items() if count}
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert workers <= {int(pid) for pid in children}
        assert len(workers) == 2

        healthz = {"method": "GET", "route": "/healthz", "status": "200"}
        on_the_api = _scrape(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
        assert value(on_the_api, "alot_http_requests_total", **healthz) == sent
        assert value(on_the_api, "alot_http_requests_in_flight") == 1  # the scrape itself
        assert value(on_the_api, "alot_lots", status="open") == 0  # the database figures
        assert httpx.get(f"{base}/metrics").status_code == 401  # the API wants the token

        # The internal port, served by the parent process: the same sums, no token.
        internal = f"http://127.0.0.1:{metrics_port}/metrics"
        before = _scrape(internal)
        assert value(before, "alot_http_requests_total", **healthz) == sent
        assert value(before, "alot_http_requests_in_flight") == 0
        assert "alot_outbox_dead" in {name for name, _ in before}

        # A process of the family holding a connection and a request, then killed.
        holder_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, env["ALOT_DATABASE_URL"]],
            env=holder_env,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        processes.append(holder)  # type: ignore[arg-type]
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"holding\n"
        holding = _scrape(internal)
        assert value(holding, "alot_http_requests_in_flight") == 1
        assert (
            value(holding, "alot_db_pool_checked_out")
            == value(before, "alot_db_pool_checked_out") + 1
        )
        assert value(holding, "alot_db_pool_size") == value(before, "alot_db_pool_size") + 1

        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        holder.stdout.close()
        after = _scrape(internal)
        assert value(after, "alot_http_requests_in_flight") == 0
        assert value(after, "alot_db_pool_checked_out") == value(before, "alot_db_pool_checked_out")
        assert value(after, "alot_db_pool_size") == value(before, "alot_db_pool_size")
        assert value(after, "alot_http_requests_total", **healthz) == sent  # counts stay
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0
        log.close()


# -- Celery ----------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))  # the worker keeps real time


@pytest.fixture
def db_url(postgres_url: str) -> str:
    return postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def worker_env(db_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    env = _base_env(tmp_path)
    env.update(
        ALOT_DATABASE_URL=db_url,
        ALOT_REDIS_URL=redis_url,
        ALOT_REDIS_PREFIX=os.environ["ALOT_TEST_REDIS_PREFIX"] + f"{uuid.uuid4().hex[:6]}:",
        ALOT_TASK_RUNNER="celery",
    )
    return env


def test_alot_worker_counts_its_tasks_on_its_metrics_port(
    make_client: Callable[..., TestClient],
    worker_env: dict[str, str],
    tmp_path: Path,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    client = make_client(
        redis_url=worker_env["ALOT_REDIS_URL"],
        redis_prefix=worker_env["ALOT_REDIS_PREFIX"],
        task_runner="celery",
    )
    metrics_port = free_port()
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        # prefork: the task runs in a child process the worker forked
        [str(ALOT), "worker", "--pool", "prefork", "--concurrency", "1", *_QUIET],
        env={**worker_env, "ALOT_METRICS_PORT": str(metrics_port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    processes.append(worker)
    internal = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        _until("the worker's metrics port", lambda: _answers(internal), worker)
        directory = tmp_path / "var" / "prometheus" / f"worker-{worker.pid}"
        assert directory.is_dir()  # the same pid: it started itself again with it

        Api(client).register()  # its verification email: a task for the worker
        done = {"handler": "email", "outcome": "done"}
        _until(
            "the email task counted",
            lambda: value(_scrape(internal), "alot_tasks_total", **done) == 1,
            worker,
        )
        figures = _scrape(internal)
        assert value(figures, "alot_task_duration_seconds_count", handler="email") == 1
        assert "alot_lots" not in {name for name, _ in figures}  # the API reports those
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _until(what: str, check: Callable[[], bool], process: Any, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert process.poll() is None, f"the process ended waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
