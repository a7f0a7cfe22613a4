"""The dev mailbox: only in development on loopback, only with the run's secret or as admin.

It holds every verification and reset link, so whoever reads it can take over any
account (issue 12, finding 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alot_platform.dev.endpoints import is_loopback
from fastapi.testclient import TestClient

MAILBOX = "/api/dev/mailbox"

EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 (what a server must refuse)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LocalHost", True),
        ("::ffff:127.0.0.1", True),
        (EVERY_INTERFACE, False),  # every interface
        ("::", False),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_addresses(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    "settings",
    [
        {"env": "test"},  # not development
        {"env": "development", "dev_bind_host": EVERY_INTERFACE},  # --unsafe-dev-on-network
        {"env": "development", "dev_bind_host": "192.168.1.20"},
        {"env": "development", "dev_bind_host": None},  # not started by `alot run`
    ],
)
def test_the_mailbox_is_not_mounted_off_loopback_or_outside_development(
    make_client: Callable[..., TestClient], settings: dict[str, Any]
) -> None:
    client = make_client(**settings)
    secret = {"X-Dev-Secret": "dev-secret-of-the-test-run"}
    assert client.get(MAILBOX, headers=secret).status_code == 404
    assert MAILBOX not in client.get("/openapi.json").json()["paths"]


def test_anonymous_callers_and_players_cannot_read_the_mailbox(
    client: TestClient, api: Any
) -> None:
    player = api.account()  # its confirmation link is in the mailbox
    anonymous = client.get(MAILBOX, params={"to": player.email})
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert "X-Dev-Secret" in anonymous.json()["detail"]
    for wrong in (
        {"headers": {"X-Dev-Secret": "guess"}},
        {"params": {"secret": "dev-secret-of-the-test-ru"}},
    ):
        refused = client.get(MAILBOX, **wrong)  # type: ignore[arg-type]
        assert refused.status_code == 403, refused.text
    assert client.get(MAILBOX, params={"secret": ""}).status_code == 401  # none given
    as_player = client.get(MAILBOX, headers=player.headers)
    assert as_player.status_code == 403
    assert as_player.json()["code"] == "forbidden"


def test_the_run_secret_or_an_admin_reads_the_mailbox(client: TestClient, api: Any) -> None:
    email, _ = api.register()
    by_header = client.get(
        MAILBOX, params={"to": email}, headers={"X-Dev-Secret": "dev-secret-of-the-test-run"}
    )
    by_query = client.get(MAILBOX, params={"to": email, "secret": "dev-secret-of-the-test-run"})
    admin = api.admin()
    by_admin = client.get(MAILBOX, params={"to": email}, headers=admin.headers)
    for response in (by_header, by_query, by_admin):
        assert response.status_code == 200, response.text
        assert [m["to"] for m in response.json()] == [email]


def test_without_a_configured_secret_only_admins_read_it(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(dev_mailbox_secret=None)
    for secret in ("None", "dev-secret-of-the-test-run"):
        assert client.get(MAILBOX, headers={"X-Dev-Secret": secret}).status_code == 403
