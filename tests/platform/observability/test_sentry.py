"""Error reports to Sentry leave with nothing personal in them.

The real sentry-sdk sends, over its real transport, to a local HTTP server standing in
for Sentry (the DSN points at it); the test reads the envelopes as Sentry would receive
them. A real request by a registered player fails with a real 500 (the database refuses
the update), and a real background task fails (the mail server refuses the player's
address); both reports must arrive, and none of the player's personal values may be
anywhere in the bytes sent. A control run with the SDK's permissive settings shows the
same harness does see those values when they are sent.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from alot_platform.config import Settings
from alot_platform.db import unit_of_work
from alot_platform.observability.sentry import FILTERED, scrub, scrub_text
from alot_platform.outbox.service import enqueue_task
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import text

from tests.platform.conftest import PASSWORD, Api

_FORWARDED_IP = "203.0.113.77"
_NEW_USERNAME = "captain_nemo_1870"
_NEW_FULL_NAME = "Augusta Ada Byron"


class _SentryEndpoint:
    """A stand-in for Sentry's ingestion: keeps every envelope body it receives."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                endpoint.envelopes.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://publickey@127.0.0.1:{self._server.server_address[1]}/1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def raw(self) -> bytes:
        return b"\n".join(self.envelopes)

    def events(self) -> list[dict[str, Any]]:
        return [payload for kind, payload in _items(self.envelopes) if kind == "event"]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _items(envelopes: list[bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(type, payload) of each item of each envelope (the envelope format: a header
    line, then per item a header line and a payload of ``length`` bytes or one line)."""
    for envelope in envelopes:
        _header, _, rest = envelope.partition(b"\n")
        while rest.strip():
            item_header, _, rest = rest.partition(b"\n")
            header = json.loads(item_header)
            if "length" in header:
                payload, rest = rest[: header["length"]], rest[header["length"] + 1 :]
            else:
                payload, _, rest = rest.partition(b"\n")
            if header.get("type") in ("event", "transaction"):
                yield header["type"], json.loads(payload)


class _RefusingMailServer(socketserver.ThreadingTCPServer):
    """An SMTP server that refuses every recipient (550): the mail task fails, and
    smtplib's error names the address it was refused."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 mail.test ESMTP\r\n")
                for line in self.rfile:
                    verb = line[:4].upper()
                    if verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    if verb == b"RCPT":
                        self.wfile.write(b"550 5.1.1 mailbox unavailable\r\n")
                    else:
                        self.wfile.write(b"250 ok\r\n")

        super().__init__(("127.0.0.1", 0), Handler)
        self.port: int = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


@pytest.fixture
def db_url(tmp_path: Any) -> str:
    """SQLite only: the failure is a trigger SQLite runs (the reports do not depend on
    the database)."""
    return f"sqlite:///{tmp_path / 'alot.db'}"


@pytest.fixture
def sentry_endpoint() -> Iterator[_SentryEndpoint]:
    endpoint = _SentryEndpoint()
    yield endpoint
    # Sentry's client is process-wide: close it so no other test reports anything.
    sentry_sdk.get_client().close(timeout=5)
    sentry_sdk.get_global_scope().set_client(None)
    sentry_sdk.get_global_scope().clear()
    sentry_sdk.get_isolation_scope().clear()
    endpoint.close()


@pytest.fixture
def mail_server() -> Iterator[_RefusingMailServer]:
    server = _RefusingMailServer()
    yield server
    server.close()


def _break_profile_updates(client: TestClient) -> None:
    """Make the database refuse every update of a user (a real failure, not a mock)."""
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER users_archive BEFORE UPDATE ON users "
                "BEGIN INSERT INTO users_archive_missing VALUES (new.id); END"
            )
        )


def _fail_a_profile_update(client: TestClient, email: str, bearer: str) -> dict[str, str]:
    """A player's failing PATCH /api/users/me with every credential a browser sends;
    returns the secrets it carried."""
    login = client.post(
        "/api/auth/login", json={"email": email, "password": PASSWORD, "transport": "cookie"}
    )
    assert login.status_code == 200, login.text
    csrf = login.json()["csrf_token"]
    secrets = {"access cookie": client.cookies["alot_access"], "csrf": csrf}
    _break_profile_updates(client)
    response = client.patch(
        "/api/users/me",
        json={"username": _NEW_USERNAME, "full_name": _NEW_FULL_NAME},
        headers={
            "Authorization": f"Bearer {bearer}",
            "X-CSRF-Token": csrf,
            "X-Forwarded-For": _FORWARDED_IP,
            "X-Real-IP": _FORWARDED_IP,
        },
    )
    assert response.status_code == 500, response.text
    return secrets


def test_reports_arrive_with_nothing_personal(
    make_client: Callable[..., TestClient],
    sentry_endpoint: _SentryEndpoint,
    mail_server: _RefusingMailServer,
) -> None:
    api = Api(make_client())  # registered and verified through the dev mailbox
    player = api.account(full_name="Ada Lovelace")
    client = make_client(
        sentry_dsn=sentry_endpoint.dsn,
        smtp_host="127.0.0.1",
        smtp_port=mail_server.port,
        smtp_starttls=False,
    )
    secrets = _fail_a_profile_update(client, player.email, player.access_token)
    # A background task that fails: the reset email the player asks for is refused.
    reset = client.post("/api/auth/password-reset/request", json={"email": player.email})
    assert reset.status_code == 202, reset.text
    assert sentry_sdk.get_client().is_active()
    sentry_sdk.flush(timeout=10)

    events = sentry_endpoint.events()
    [request_error] = [
        e
        for e in events
        if any(v["type"] == "OperationalError" for v in e.get("exception", {}).get("values", []))
    ]
    assert request_error["request"]["method"] == "PATCH"
    assert request_error["request"]["url"].endswith("/api/users/me")
    assert request_error["tags"]["service"] == "alot-platform"
    [task_error] = [e for e in events if e.get("tags", {}).get("task") == "email"]
    assert task_error["exception"]["values"][-1]["type"] == "MailNotSent"
    assert "[email]" in task_error["exception"]["values"][-1]["value"]  # it was there

    raw = sentry_endpoint.raw()
    personal = {
        "email": player.email,
        "email's local part": player.email.split("@")[0],
        "username": player.username,
        "new username": _NEW_USERNAME,
        "full name": "Ada Lovelace",
        "new full name": _NEW_FULL_NAME,
        "password": PASSWORD,
        "bearer token": player.access_token,
        "refresh token": player.refresh_token,
        "forwarded IP": _FORWARDED_IP,
        "player id": player.id,
        **secrets,
    }
    leaked = [name for name, value in personal.items() if value.encode() in raw]
    assert leaked == [], f"sent to Sentry: {leaked}"
    assert b'"vars"' not in raw  # no frame's local variables
    # Of the request, only harmless headers are left (Sentry's own "_meta" still names
    # the ones it filtered, without their values).
    request = request_error["request"]
    assert set(request["headers"]) <= {"host", "accept", "content-type", "content-length"}
    assert "cookies" not in request
    assert "data" not in request


def test_the_harness_sees_what_an_unscrubbed_report_carries(
    make_client: Callable[..., TestClient], sentry_endpoint: _SentryEndpoint
) -> None:
    """The control: Sentry's permissive settings, no scrubber; the same failing request
    puts the player's token in the bytes, so the test above could see a leak."""
    api = Api(make_client())
    player = api.account()
    with pytest.warns(DeprecationWarning, match="send_default_pii"):
        sentry_sdk.init(dsn=sentry_endpoint.dsn, send_default_pii=True)
    _fail_a_profile_update(make_client(), player.email, player.access_token)
    sentry_sdk.flush(timeout=10)
    assert sentry_endpoint.events()
    assert player.access_token.encode() in sentry_endpoint.raw()


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("mail to ada@example.co.uk failed", "mail to [email] failed"),
        ("GET /api/ws?token=abc.def&lot=1", "GET /api/ws?token=[Filtered]&lot=1"),
        ("jwt eyJhbGciOi.eyJzdWIiOi.sig-nature here", "jwt [jwt] here"),
        ("Authorization: Bearer opaque-token", "Authorization: Bearer [Filtered]"),
        ("key sk_live_51Habc and whsec_xyz", "key [Filtered] and [Filtered]"),
        ("from 198.51.100.4 and 2001:db8::1", "from [ip] and [ip]"),
        ("at 12:00:00 on 2026-03-01", "at 12:00:00 on 2026-03-01"),
        ("postgresql://alot:hunter2@db/alot", "postgresql://[Filtered]@db/alot"),
        (
            "UPDATE users SET username=?\n[parameters: ('ada', 'x')]\n(Background ...)",
            "UPDATE users SET username=?\n[parameters: [Filtered]]\n(Background ...)",
        ),
    ],
)
def test_scrub_text(dirty: str, clean: str) -> None:
    assert scrub_text(dirty) == clean


def test_scrub_filters_fields_by_name_at_any_depth() -> None:
    event: Any = {
        "extra": {
            "user_id": "6f1c",
            "capacity": 3,
            "shipping_address": {"line1": "12 St James's Square"},
            "X-CSRF-Token": "abc",
            "outcome": "done",
        },
        "breadcrumbs": {
            "values": [{"message": "ok", "data": {"refresh_token": "r", "to": "a@b.io"}}]
        },
        "user": {"id": "6f1c"},
        "contexts": {"runtime": {"name": "CPython"}},
    }
    scrubbed: Any = scrub(event)
    assert scrubbed["extra"] == {
        "user_id": FILTERED,
        "capacity": 3,
        "shipping_address": FILTERED,
        "X-CSRF-Token": FILTERED,
        "outcome": "done",
    }
    assert scrubbed["breadcrumbs"]["values"][0]["data"] == {
        "refresh_token": FILTERED,
        "to": "[email]",
    }
    assert "user" not in scrubbed
    assert scrubbed["contexts"]["runtime"]["name"] == "CPython"  # Sentry's own, kept


@pytest.mark.parametrize("dsn", ["not a dsn", "ftp://key@sentry.example.com/1"])
def test_a_setting_that_is_not_a_dsn_is_refused(dsn: str) -> None:
    with pytest.raises(ValidationError, match="ALOT_SENTRY_DSN is not a Sentry DSN"):
        Settings(sentry_dsn=dsn)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_celery_worker_reports_a_failed_task(
    db_url: str,
    redis_url: str,
    make_client: Callable[..., TestClient],
    sentry_endpoint: _SentryEndpoint,
    tmp_path: Path,
) -> None:
    """`alot worker`, its own process, reports the tasks that fail in it."""
    prefix = os.environ["ALOT_TEST_REDIS_PREFIX"] + "celery:"  # removed after the test
    client = make_client(task_runner="celery", redis_url=redis_url, redis_prefix=prefix)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALOT_", "SENTRY_"))}
    env.update(
        ALOT_ENV="development",
        ALOT_VAR_DIR=str(tmp_path / "var"),
        ALOT_DATABASE_URL=db_url,
        ALOT_REDIS_URL=redis_url,
        ALOT_REDIS_PREFIX=prefix,
        ALOT_TASK_RUNNER="celery",
        ALOT_SENTRY_DSN=sentry_endpoint.dsn,
    )
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "alot"), "worker", "--pool", "solo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        platform = client.app.state.platform  # type: ignore[attr-defined]
        with contextmanager(unit_of_work)(platform.database) as session:
            missing_lot = str(uuid.uuid4())  # the draw of a lot that does not exist fails
            enqueue_task(
                session,
                task="draw",
                key=f"draw:{missing_lot}",
                payload={"lot_id": missing_lot},
                now=platform.clock(),
            )
        deadline = time.monotonic() + 90
        while not [e for e in sentry_endpoint.events() if e.get("tags", {}).get("task")]:
            assert worker.poll() is None, "the worker ended"
            assert time.monotonic() < deadline, "the worker's report never arrived"
            time.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    [report] = [e for e in sentry_endpoint.events() if e.get("tags", {}).get("task")]
    assert (report["tags"]["service"], report["tags"]["task"]) == ("alot-worker", "draw")
    assert report["level"] == "warning"  # it will be tried again
    assert report["exception"]["values"][-1]["type"] == "LookupError"
