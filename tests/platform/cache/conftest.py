"""Fixtures for the cache suite: the app with its cache on, in two variants.

- SQLite with the in-process cache (no ALOT_REDIS_URL): one app reads and writes.
- PostgreSQL with the Redis cache (ALOT_TEST_POSTGRES_URL and ALOT_TEST_REDIS_URL):
  writes go through one app and reads through another (two API processes' worth of
  platform, sharing the database and Redis), so every read after a write also shows
  that the change reached the other process's cache through Redis.

``reads`` reads the public views through the reading app and tells whether each came
from the cache, so a test knows the read before its write was cached: a write path
whose invalidation were missing would then be answered stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from alot_platform.context import PlatformContext
from fastapi.testclient import TestClient


@pytest.fixture
def cache_settings(request: pytest.FixtureRequest, db_url: str) -> Iterator[dict[str, Any]]:
    """Settings overrides of this variant: Redis (own key prefix) beside PostgreSQL."""
    if db_url.startswith("sqlite"):
        yield {}
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"alot-test-cache:{uuid.uuid4().hex[:12]}:"
    yield {"redis_url": url, "redis_prefix": prefix}
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient], cache_settings: dict[str, Any]) -> TestClient:
    """The writing app (``api``, ``make_lot_desk`` and ``platform`` follow it)."""
    return make_client(**cache_settings)


@pytest.fixture
def reader(
    client: TestClient, make_client: Callable[..., TestClient], cache_settings: dict[str, Any]
) -> TestClient:
    """The reading app: another one on Redis, the same one in process."""
    if cache_settings.get("redis_url"):
        return make_client(**cache_settings)
    return client


class Reads:
    """Public reads through ``reader``, counting what its cache served."""

    def __init__(self, reader: TestClient) -> None:
        self.client = reader
        self.platform: PlatformContext = reader.app.state.platform  # type: ignore[attr-defined]

    def hits(self, family: str) -> int:
        return next(s.hits for s in self.platform.cache.stats() if s.family == family)

    def get(
        self, path: str, *, family: str, headers: dict[str, str] | None = None, **params: Any
    ) -> Any:
        before = self.hits(family)
        response = self.client.get(path, params=params, headers=headers or {})
        assert response.status_code == 200, response.text
        self.last_cached = self.hits(family) > before
        return response.json()

    def warm(
        self, path: str, *, family: str, headers: dict[str, str] | None = None, **params: Any
    ) -> Any:
        """Read until the cache serves it (a miss stores it; the next read hits)."""
        for _ in range(3):
            body = self.get(path, family=family, headers=headers, **params)
            if self.last_cached:
                return body
        raise AssertionError(f"{path} is not served from the cache")

    def lot(self, lot_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"/api/lots/{lot_id}", family="lot")
        return found

    def listed(self, lot_id: str, **params: Any) -> dict[str, Any] | None:
        page = self.get("/api/lots", family="lot_list", limit=100, **params)
        return next((lot for lot in page["items"] if lot["id"] == lot_id), None)

    def warm_lot(self, lot_id: str, **list_params: Any) -> dict[str, Any]:
        """Warm the lot's detail and the list page (``list_params``) it is on."""
        self.warm("/api/lots", family="lot_list", limit=100, **list_params)
        self.warm("/api/lots", family="lot_list", limit=100, **list_params)  # views too
        found: dict[str, Any] = self.warm(f"/api/lots/{lot_id}", family="lot")
        return found


@pytest.fixture
def reads(reader: TestClient) -> Reads:
    return Reads(reader)
