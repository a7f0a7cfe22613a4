"""Rate limits, for real: 429 problem with Retry-After, per window, shared through Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient


def _login_attempt(client: TestClient) -> Any:
    return client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "whatever-it-is"}
    )


def test_auth_limit_gives_429_with_retry_after_until_the_window_ends(
    make_client: Callable[..., TestClient], clock: Any
) -> None:
    clock.now = clock.now.replace(second=0, microsecond=0)
    client = make_client(rate_limit_auth="3/minute")
    statuses = [_login_attempt(client).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    limited = _login_attempt(client)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["code"] == "rate_limited"
    assert limited.headers["retry-after"] == "60"
    assert limited.headers["x-request-id"]

    clock.advance(seconds=45)
    assert _login_attempt(client).headers["retry-after"] == "15"
    # Other routes have their own (default) limit; health probes are never limited.
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/healthz").status_code == 200

    clock.advance(seconds=15)
    assert _login_attempt(client).status_code == 401


def test_default_limit_applies_to_every_route(
    make_client: Callable[..., TestClient], clock: Any
) -> None:
    clock.now = clock.now.replace(second=0, microsecond=0)
    client = make_client(rate_limit_default="2/minute")
    assert [client.get("/api/users/me").status_code for _ in range(2)] == [401, 401]
    assert client.get("/api/users/me").status_code == 429
    assert client.get("/openapi.json").status_code == 429
    assert client.get("/readyz").status_code == 200


def test_redis_limit_is_shared_by_two_app_instances(
    make_client: Callable[..., TestClient], redis_url: str, clock: Any
) -> None:
    import os

    clock.now = clock.now.replace(second=0, microsecond=0)
    shared = {
        "redis_url": redis_url,
        "redis_prefix": os.environ["ALOT_TEST_REDIS_PREFIX"],
        "rate_limit_auth": "3/minute",
    }
    first = make_client(**shared)
    second = make_client(**shared)
    assert _login_attempt(first).status_code == 401
    assert _login_attempt(second).status_code == 401
    assert _login_attempt(first).status_code == 401
    limited = _login_attempt(second)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # A process without Redis counts alone, which is what the shared store fixes.
    alone = make_client(rate_limit_auth="3/minute")
    assert _login_attempt(alone).status_code == 401
