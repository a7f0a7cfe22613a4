"""Brute force by account (finding 6 of issue 12): the client is who the socket says
unless a trusted proxy says otherwise, failures back off per account and IP, a global
ceiling per account only slows, and the owner is told once."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from alot_platform.app import create_app
from alot_platform.context import PlatformContext
from alot_platform.outbox.service import run_due
from alot_platform.security.client_address import client_address
from alot_platform.serve import SERVER_OPTIONS
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

PASSWORD = "correct-horse-battery"
WRONG = "not-the-password"
BASE_URL = "https://testserver"


def _from(app: FastAPI, ip: str) -> TestClient:
    """A client whose connections come from ``ip``."""
    return TestClient(app, base_url=BASE_URL, client=(ip, 40000))


def _login(client: TestClient, email: str, password: str = WRONG) -> Any:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def _status(client: TestClient, email: str, password: str = WRONG) -> int:
    return int(_login(client, email, password).status_code)


def _throttled(response: Any) -> int:
    """The Retry-After of a 429 login_throttled problem."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "login_throttled"
    return int(response.headers["retry-after"])


# -- whose address ------------------------------------------------------------------


def _scope(peer: str, *headers: tuple[str, str]) -> dict[str, Any]:
    return {
        "client": (peer, 1234),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
    }


def test_forwarded_headers_count_only_from_trusted_proxies() -> None:
    forged = ("X-Forwarded-For", "203.0.113.9")
    assert client_address(_scope("127.0.0.1", forged), "") == "127.0.0.1"
    assert client_address(_scope("198.51.100.4", forged), "10.0.0.0/8") == "198.51.100.4"
    assert client_address(_scope("10.0.0.2", forged), "10.0.0.0/8") == "203.0.113.9"


def test_the_client_is_the_first_untrusted_hop_from_the_right() -> None:
    trusted = "10.0.0.0/8, 192.0.2.1"
    # The client forged the leftmost entry; our proxies appended the rest.
    chain = ("X-Forwarded-For", "1.1.1.1, 198.51.100.7, 10.1.1.1")
    assert client_address(_scope("192.0.2.1", chain), trusted) == "198.51.100.7"
    both = _scope("10.0.0.3", ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "10.2.2.2"))
    assert client_address(both, trusted) == "1.1.1.1"
    only_proxies = ("X-Forwarded-For", "10.9.9.9")
    assert client_address(_scope("10.0.0.3", only_proxies), trusted) == "10.0.0.3"
    garbage = ("X-Forwarded-For", "1.1.1.1, not-an-ip")
    assert client_address(_scope("10.0.0.3", garbage), trusted) == "10.0.0.3"


def test_the_forwarded_header_when_configured() -> None:
    header = ("Forwarded", 'for=192.0.2.60;proto=http, for="[2001:db8::7]:4711";by=10.0.0.1')
    scope = _scope("10.0.0.1", header, ("X-Forwarded-For", "6.6.6.6"))
    assert client_address(scope, "10.0.0.0/8", "forwarded") == "2001:db8::7"
    assert client_address(scope, "10.0.0.0/8") == "6.6.6.6"


def test_a_bad_trusted_proxies_setting_is_refused(make_settings: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="not-a-network"):
        make_settings(trusted_proxies="10.0.0.0/8, not-a-network")


@contextmanager
def _server(app: FastAPI) -> Iterator[str]:
    """The app behind a real uvicorn, configured as `alot run` and `alot serve` do."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", **SERVER_OPTIONS))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _attempts_from_loopback(base: str) -> list[int]:
    """Four logins from loopback, each claiming another address."""
    # A generous read timeout: the answers are what is checked, and on a loaded machine
    # the first request after start-up (password hashing, the app's first connections)
    # has taken longer than httpx's default 5 s.
    with httpx.Client(base_url=base, timeout=60) as http:
        return [
            http.post(
                "/api/auth/login",
                json={"email": "nobody@example.com", "password": "whatever-it-is"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(4)
        ]


def test_a_client_on_loopback_cannot_pick_its_bucket(
    make_client: Callable[..., TestClient], make_settings: Callable[..., Any], clock: Any
) -> None:
    make_client()  # migrates the database
    clock.now = clock.now.replace(second=0, microsecond=0)
    app = create_app(make_settings(rate_limit_auth="3/minute"), clock=clock)
    with _server(app) as base:
        assert _attempts_from_loopback(base) == [401, 401, 401, 429]
    # Behind a proxy we trust, the forwarded address is the client: four buckets.
    proxied = create_app(
        make_settings(rate_limit_auth="3/minute", trusted_proxies="127.0.0.1"), clock=clock
    )
    with _server(proxied) as base:
        assert _attempts_from_loopback(base) == [401, 401, 401, 401]


# -- the login throttle -------------------------------------------------------------


def test_failures_back_off_per_account_and_ip_and_the_owner_still_gets_in(
    make_client: Callable[..., TestClient], api: Any, clock: Any
) -> None:
    app = make_client(login_failures_before_backoff=3).app
    assert isinstance(app, FastAPI)
    account = type(api)(_from(app, "192.0.2.50")).account()
    attacker, owner = _from(app, "203.0.113.66"), _from(app, "192.0.2.50")

    assert [_status(attacker, account.email) for _ in range(4)] == [401] * 4
    assert _throttled(_login(attacker, account.email)) == 1
    # Throttled means not tried at all: the right password does not get in either.
    assert _throttled(_login(attacker, account.email, PASSWORD)) == 1
    clock.advance(seconds=1)
    assert _status(attacker, account.email) == 401
    assert _throttled(_login(attacker, account.email)) == 2
    clock.advance(seconds=2)
    assert _status(attacker, account.email) == 401
    assert _throttled(_login(attacker, account.email)) == 4

    # The owner, from another address, is not affected; other accounts neither.
    assert _status(owner, account.email, PASSWORD) == 200
    assert _status(attacker, "someone-else@example.com") == 401
    # A success from an address clears its backoff.
    clock.advance(seconds=4)
    assert _status(attacker, account.email, PASSWORD) == 200
    assert [_status(attacker, account.email) for _ in range(3)] == [401] * 3


def test_an_ipv6_client_cannot_dodge_the_backoff_within_its_64(
    make_client: Callable[..., TestClient], api: Any
) -> None:
    app = make_client(login_failures_before_backoff=2).app
    assert isinstance(app, FastAPI)
    account = type(api)(_from(app, "192.0.2.50")).account()
    for n in range(3):
        assert _status(_from(app, f"2001:db8:1:2::{n + 1}"), account.email) == 401
    assert _throttled(_login(_from(app, "2001:db8:1:2::ffff"), account.email)) == 1
    assert _status(_from(app, "2001:db8:1:3::1"), account.email) == 401  # another /64


def test_unknown_and_known_emails_are_throttled_alike(
    make_client: Callable[..., TestClient], api: Any
) -> None:
    app = make_client(login_failures_before_backoff=2).app
    assert isinstance(app, FastAPI)
    account = type(api)(_from(app, "192.0.2.50")).account()
    attacker = _from(app, "203.0.113.66")

    def answers(email: str) -> list[tuple[int, str, str | None]]:
        out = []
        for _ in range(4):
            response = _login(attacker, email)
            retry_after = response.headers.get("retry-after")
            out.append((response.status_code, response.json()["detail"], retry_after))
        return out

    assert answers(account.email) == answers("nobody-here@example.com")


def test_the_account_ceiling_slows_unknown_addresses_and_never_locks_the_owner(
    make_client: Callable[..., TestClient], api: Any, clock: Any
) -> None:
    clock.now = clock.now.replace(minute=0, second=0, microsecond=0)
    app = make_client(
        login_failures_before_backoff=100, login_account_ceiling="5/hour", login_slowed_seconds=10
    ).app
    assert isinstance(app, FastAPI)
    home = _from(app, "192.0.2.50")
    account = type(api)(home).account()  # signed in from home once
    # A botnet: one failure from each of six addresses passes the ceiling.
    for n in range(6):
        assert _status(_from(app, f"203.0.113.{n}"), account.email) == 401

    # Now each address it has not signed in from gets one try per 10 seconds.
    bot = _from(app, "203.0.113.1")
    assert _status(bot, account.email) == 401
    assert _throttled(_login(bot, account.email)) == 10
    clock.advance(seconds=10)
    assert _status(bot, account.email) == 401
    # Never a lock: from home the owner is not slowed at all, and from a new place
    # (a phone) the first try goes through.
    assert [_status(home, account.email, PASSWORD) for _ in range(3)] == [200] * 3
    phone = _from(app, "198.51.100.20")
    assert _status(phone, account.email, PASSWORD) == 200
    # When the ceiling's window ends, nobody is slowed.
    clock.advance(hours=1)
    assert [_status(bot, account.email) for _ in range(2)] == [401, 401]


def _alerts(platform: PlatformContext) -> list[tuple[str | None, str]]:
    with platform.database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT address, status FROM outbox WHERE kind = 'failed_logins'")
        )
        return [(row.address, row.status) for row in rows]


def test_the_owner_is_told_once_of_failures_from_several_addresses(
    make_client: Callable[..., TestClient], api: Any, clock: Any
) -> None:
    app = make_client(login_alert_ips=3).app
    assert isinstance(app, FastAPI)
    platform: PlatformContext = app.state.platform
    account = type(api)(_from(app, "192.0.2.50")).account()

    answers = [_login(_from(app, f"203.0.113.{n}"), account.email) for n in range(3)]
    assert [a.status_code for a in answers] == [401] * 3
    assert answers[2].json()["detail"] == answers[0].json()["detail"]  # the alert is silent
    # Written for the address; resolved to the account and sent after the commit.
    assert _alerts(platform) == [(None, "done")]
    alert = "Failed sign-ins to your ALOT! account"
    mailbox = platform.mailer
    assert [m.subject for m in mailbox.messages(account.email)].count(alert) == 1  # type: ignore[attr-defined]
    # More failures from more addresses: still one alert in this period.
    for n in range(3, 8):
        _login(_from(app, f"203.0.113.{n}"), account.email)
    assert len(_alerts(platform)) == 1
    assert run_due(platform).done == 0
    assert [m.subject for m in mailbox.messages(account.email)].count(alert) == 1  # type: ignore[attr-defined]

    # The same pattern for an address with no account writes the same row, dropped
    # when sent (nothing tells the caller which it was).
    for n in range(3):
        _login(_from(app, f"198.51.100.{n}"), "nobody@example.com")
    assert sorted(_alerts(platform), key=str) == [(None, "done"), (None, "dropped")]


def test_the_throttle_is_shared_through_redis(
    make_client: Callable[..., TestClient], redis_url: str, api: Any
) -> None:
    shared = {
        "redis_url": redis_url,
        "redis_prefix": os.environ["ALOT_TEST_REDIS_PREFIX"],
        "login_failures_before_backoff": 2,
    }
    first, second = make_client(**shared).app, make_client(**shared).app
    assert isinstance(first, FastAPI)
    assert isinstance(second, FastAPI)
    account = type(api)(_from(first, "192.0.2.50")).account()
    assert _status(_from(first, "203.0.113.66"), account.email) == 401
    assert _status(_from(second, "203.0.113.66"), account.email) == 401
    assert _status(_from(first, "203.0.113.66"), account.email) == 401  # the third: backoff
    assert 1 <= _throttled(_login(_from(second, "203.0.113.66"), account.email)) <= 1
    # Another address, and the owner, are not affected.
    assert _status(_from(second, "192.0.2.50"), account.email, PASSWORD) == 200
