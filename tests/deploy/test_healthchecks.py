"""The health checks of the image and the compose file, run for real.

The platform is started as the compose file starts it (`alot migrate`, then `alot
serve`, `alot worker` and `alot beat` with the compose file's arguments), configured by
deploy/env.example with only what a deploy must fill in replaced: real keys, the test
PostgreSQL, a Redis of its own (Celery's control messages are not under a key prefix,
so another worker on a shared Redis could answer this one's ping). Then each health
check's own command is run, exactly as written, and must pass while its process runs
and fail once it is gone.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alot_verify.checkpoint import generate_signer_key

from ..platform.live_server import free_port
from .test_container import _compose, _dockerfile, _env_example, _exec_form, _healthcheck_python

ALOT = Path(sys.executable).parent / "alot"


def _until(what: str, check: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A redis-server of this test's own on a free port (the shared one stays untouched)."""
    if shutil.which("redis-server") is None:
        if os.environ.get("ALOT_REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is not installed but ALOT_REQUIRE_SERVICES=1")
        pytest.skip("redis-server is not installed")
    port = free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        _until("redis-server", answers, 30)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def production_env(postgres_url: str, own_redis: str, tmp_path: Path) -> dict[str, str]:
    """deploy/env.example as an operator fills it in, pointed at the test services."""
    values, _ = _env_example()
    signer, _ = generate_signer_key(values["ALOT_LEDGER_ORIGIN"])
    key_file = tmp_path / "ledger_signing_key"
    key_file.write_text(signer + "\n")
    key_file.chmod(0o400)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOT_")}
    env.update(values)
    env.update(
        ALOT_DATABASE_URL=postgres_url.replace("postgresql://", "postgresql+psycopg://", 1),
        ALOT_REDIS_URL=own_redis,
        ALOT_VAR_DIR=str(tmp_path / "var"),
        ALOT_SECRET_KEY=secrets.token_urlsafe(48),
        ALOT_FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        ALOT_LEDGER_SIGNING_KEY_FILE=str(key_file),
    )
    return env


@pytest.fixture
def start(
    production_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[list[str]], subprocess.Popen[bytes]]]:
    """Start `alot <args>` in a session of its own; whatever still runs is killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def run(args: list[str]) -> subprocess.Popen[bytes]:
        log = tmp_path / f"{args[0]}-{len(started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(ALOT), *args],
                env=production_env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        return process

    yield run
    for process in started:
        _stop(process, signal.SIGKILL)


def _stop(process: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, how)
        process.wait(timeout=60)


def _check(code: str, env: dict[str, str]) -> int:
    """Run a health check's Python as the container would: its exit status."""
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, check=False, timeout=60
    ).returncode


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http, ours)
            return bool(response.status == 200)
    except OSError:
        return False


def test_the_platform_health_checks_pass_while_it_runs_and_fail_when_it_stops(
    production_env: dict[str, str],
    start: Callable[[list[str]], subprocess.Popen[bytes]],
) -> None:
    services = _compose()["services"]
    migrated = subprocess.run(
        [str(ALOT), *services["migrate"]["command"]],
        env=production_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stderr

    # The API, as compose runs it, but on a free loopback port.
    port = free_port()
    command = [
        str(port) if word == "8000" else "127.0.0.1" if word == "0.0.0.0" else word  # noqa: S104
        for word in services["api"]["command"]
    ]
    api = start(command)
    _until("alot serve", lambda: _answers(f"http://127.0.0.1:{port}/healthz"))
    _, stages = _dockerfile()
    (image_check,) = stages[-1].all("HEALTHCHECK")
    image_code = _exec_form(image_check[image_check.index("CMD") + 3 :].strip())[2]
    compose_code = _healthcheck_python(services["api"]["healthcheck"]["test"])
    checks = [code.replace(":8000/", f":{port}/") for code in (image_code, compose_code)]
    assert all(f":{port}/" in code for code in checks)
    for code in checks:
        assert _check(code, production_env) == 0, code
    _stop(api)
    for code in checks:
        assert _check(code, production_env) != 0, code


def test_the_worker_and_beat_health_checks_pass_while_they_run_and_fail_when_they_stop(
    production_env: dict[str, str],
    start: Callable[[list[str]], subprocess.Popen[bytes]],
) -> None:
    services = _compose()["services"]
    migrated = subprocess.run(
        [str(ALOT), "migrate"], env=production_env, capture_output=True, check=False
    )
    assert migrated.returncode == 0

    worker_check = _healthcheck_python(services["worker"]["healthcheck"]["test"])
    assert _check(worker_check, production_env) != 0  # no worker yet: nobody answers
    worker = start(services["worker"]["command"])
    _until("the worker's ping", lambda: _check(worker_check, production_env) == 0)
    _stop(worker)
    assert _check(worker_check, production_env) != 0

    _, stages = _dockerfile()
    image_var_dir = stages[-1].env()["ALOT_VAR_DIR"]
    beat_check = _healthcheck_python(services["beat"]["healthcheck"]["test"]).replace(
        f"'{image_var_dir}/", f"'{production_env['ALOT_VAR_DIR']}/"
    )
    assert production_env["ALOT_VAR_DIR"] in beat_check
    assert _check(beat_check, production_env) != 0  # no beat yet: no schedule file
    beat = start(services["beat"]["command"])
    _until("beat's schedule file", lambda: _check(beat_check, production_env) == 0)
    _stop(beat)
    # A schedule untouched for ten minutes fails the check: age it instead of waiting.
    for schedule in Path(production_env["ALOT_VAR_DIR"]).glob("celerybeat-schedule*"):
        old = time.time() - 601
        os.utime(schedule, (old, old))
    assert _check(beat_check, production_env) != 0
