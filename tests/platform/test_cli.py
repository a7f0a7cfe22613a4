"""The `alot` management CLI, through click's CliRunner (and `alot run` as a process)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from alot_platform.cli import main
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from .live_server import free_port, wait_until_ready

EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 (what a server must refuse)


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "ALOT_ENV": "development",
        "ALOT_DATABASE_URL": db_url,
        "ALOT_VAR_DIR": str(tmp_path / "var"),
        "ALOT_ARGON2_TIME_COST": "1",
        "ALOT_ARGON2_MEMORY_KIB": "1024",
        "ALOT_ARGON2_PARALLELISM": "1",
    }


@pytest.fixture
def invoke(cli_env: dict[str, str]) -> Callable[..., object]:
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> object:
        return runner.invoke(main, list(args), env=cli_env, input=input)

    return run


def _users(db_url: str) -> list[tuple[str, str]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return [
                (row[0], row[1])
                for row in connection.execute(
                    text(
                        "SELECT u.email, r.role FROM users u JOIN user_roles r "
                        "ON r.user_id = u.id ORDER BY u.email, r.role"
                    )
                )
            ]
    finally:
        engine.dispose()


def test_migrate_create_admin_and_seed_demo(invoke: Callable[..., object], db_url: str) -> None:
    result = invoke("migrate")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "OK: database migrated" in result.output  # type: ignore[attr-defined]

    created = invoke(
        "create-admin",
        "--email",
        "Root@Example.com",
        "--username",
        "root",
        input="a-strong-admin-pass\na-strong-admin-pass\n",
    )
    assert created.exit_code == 0, created.output  # type: ignore[attr-defined]
    assert "OK: admin root <root@example.com> created" in created.output  # type: ignore[attr-defined]
    assert _users(db_url) == [("root@example.com", "admin"), ("root@example.com", "player")]

    first = invoke("seed-demo")
    second = invoke("seed-demo")
    assert first.exit_code == second.exit_code == 0
    assert "created" in first.output  # type: ignore[attr-defined]
    assert "already present" in second.output  # type: ignore[attr-defined]
    password_line = [
        line
        for line in first.output.splitlines()
        if "password:" in line  # type: ignore[attr-defined]
    ]
    assert password_line
    assert password_line[0] in second.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--email", "not-an-email", "--username", "root"), "not an email address"),
        (("--email", "a@example.com", "--username", "root", "--password", "short"), "8-256"),
        (
            ("--email", "a@example.com", "--username", "root", "--password", "password123"),
            "commonly used",
        ),
        (
            ("--email", "a@example.com", "--username", "no spaces!", "--password", "good-pass-99"),
            None,
        ),
    ],
)
def test_create_admin_bad_input_exits_2_and_writes_nothing(
    invoke: Callable[..., object], db_url: str, args: tuple[str, ...], message: str | None
) -> None:
    assert invoke("migrate").exit_code == 0  # type: ignore[attr-defined]
    result = invoke("create-admin", *args, input="good-pass-99\ngood-pass-99\n")
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    if message:
        assert message in result.output  # type: ignore[attr-defined]
    assert _users(db_url) == []


def test_create_admin_refuses_a_duplicate(invoke: Callable[..., object], db_url: str) -> None:
    invoke("migrate")
    args = (
        "create-admin",
        "--email",
        "a@example.com",
        "--username",
        "adm1",
        "--password",
        "good-pass-99",
    )
    assert invoke(*args).exit_code == 0  # type: ignore[attr-defined]
    again = invoke(*args)
    assert again.exit_code == 2  # type: ignore[attr-defined]
    assert "already exists" in again.output  # type: ignore[attr-defined]
    assert len(_users(db_url)) == 2


def test_bad_configuration_exits_2(invoke: Callable[..., object], cli_env: dict[str, str]) -> None:
    cli_env["ALOT_RATE_LIMIT_AUTH"] = "many"
    result = invoke("migrate")
    assert result.exit_code == 2
    assert "invalid ALOT_* configuration" in result.output  # type: ignore[attr-defined]


def test_alot_run_migrates_seeds_and_serves(cli_env: dict[str, str], db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("`make run` is the embedded SQLite path")
    port = free_port()
    env = {**os.environ, **cli_env}
    env.pop("ALOT_DATABASE_URL")  # the default: SQLite under the var dir
    alot = Path(sys.executable).with_name("alot")
    process = subprocess.Popen(
        [str(alot), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = ""
        while "demo admin" not in banner:
            line = process.stdout.readline() if process.stdout else ""
            assert line, f"alot run ended early: {banner}"
            banner += line
        assert f"http://127.0.0.1:{port}/docs" in banner
        password = banner.split("demo admin", 1)[1].split("/")[-1].strip()
        wait_until_ready(f"http://127.0.0.1:{port}", process)
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/login",
            json={"email": "admin@alot.example.com", "password": password},
        )
        assert login.status_code == 200, login.text
        assert (Path(cli_env["ALOT_VAR_DIR"]) / "alot.db").exists()
    finally:
        process.terminate()
        process.communicate(timeout=30)  # also closes the stdout pipe


def test_alot_serve_runs_its_workers_on_one_port_and_stops_on_sigterm(
    invoke: Callable[..., object], cli_env: dict[str, str], db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the server is the same on either database; SQLite starts fastest")
    assert getattr(invoke("migrate"), "exit_code", None) == 0
    port = free_port()
    alot = Path(sys.executable).with_name("alot")
    process = subprocess.Popen(
        [str(alot), "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, **cli_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process)
        # Two server processes (and multiprocessing's resource tracker), both listening
        # as soon as one answers: they start listening together, so clients connecting
        # at once are spread over both. (The half second only absorbs the scheduling of
        # the second's listen() right after the first's.)
        deadline = time.monotonic() + 0.5
        while len(listening := _listening_workers(process.pid, port)) < 2:
            assert time.monotonic() < deadline, f"workers listening: {listening}"
            time.sleep(0.05)
        assert len(listening) == 2

        # A second server cannot take the port: it says so instead of starting.
        refused = subprocess.run(
            [str(alot), "serve", "--port", str(port), "--workers", "1"],
            env={**os.environ, **cli_env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in refused.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0


def _listening_workers(parent: int, port: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children if _listens(int(pid), port)]


def _listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds a socket listening on ``port`` (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port and inode in inodes:
                return True
    return False


@pytest.mark.timeout(60)
def test_alot_run_on_a_taken_port_says_so_and_creates_nothing(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env}
    env.pop("ALOT_DATABASE_URL")  # the default: SQLite under the var dir
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["run", "--port", str(port)], env=env)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in lines[0]
    assert not Path(cli_env["ALOT_VAR_DIR"]).exists()  # no database, keys or demo admin


@pytest.mark.timeout(60)  # a server that did start would never return
@pytest.mark.parametrize("command", ["run", "serve"])
@pytest.mark.parametrize("host", [EVERY_INTERFACE, "::", "192.0.2.7"])
def test_a_development_server_refuses_a_network_address(
    cli_env: dict[str, str], command: str, host: str
) -> None:
    env = {**cli_env}
    env.pop("ALOT_DATABASE_URL")
    port = str(free_port())
    result = CliRunner().invoke(main, [command, "--host", host, "--port", port], env=env)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert f"refusing to serve ALOT_ENV=development on {host}" in lines[0]
    assert "--unsafe-dev-on-network" in lines[0]
    assert not Path(cli_env["ALOT_VAR_DIR"]).exists()


def test_unsafe_dev_on_network_serves_without_the_mailbox(
    cli_env: dict[str, str], db_url: str
) -> None:
    """With the flag the server starts off loopback, but the dev mailbox stays unmounted."""
    if not db_url.startswith("sqlite"):
        pytest.skip("`make run` is the embedded SQLite path")
    port = free_port()
    env = {**os.environ, **cli_env}
    env.pop("ALOT_DATABASE_URL")
    alot = Path(sys.executable).with_name("alot")
    # The wildcard address, as a careless user would; the test then talks to it on loopback.
    process = subprocess.Popen(
        [
            str(alot),
            "run",
            "--host",
            EVERY_INTERFACE,
            "--port",
            str(port),
            "--unsafe-dev-on-network",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = ""
        while "dev mailbox" not in banner:
            line = process.stdout.readline() if process.stdout else ""
            assert line, f"alot run ended early: {banner}"
            banner += line
        assert "dev mailbox          off" in banner
        assert "secret=" not in banner
        wait_until_ready(f"http://127.0.0.1:{port}", process)
        mailbox = httpx.get(f"http://127.0.0.1:{port}/api/dev/mailbox")
        assert mailbox.status_code == 404
    finally:
        process.terminate()
        process.communicate(timeout=30)
