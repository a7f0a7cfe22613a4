"""The two backends behave alike: live records merge furthest-along first, a state
change bumps versions in the same step, entries expire and (in memory) are bounded."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from alot_platform.cache.backends import Backend, MemoryBackend, RedisBackend


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.services)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend(max_entries=100)
        return
    url = os.environ.get("ALOT_TEST_REDIS_URL")
    if not url:
        pytest.skip("ALOT_TEST_REDIS_URL not set")
    prefix = f"alot-test-backend:{uuid.uuid4().hex[:12]}:"
    made = RedisBackend(url, prefix, timeout_seconds=1.0)
    yield made
    made.close()
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def _live(backend: Backend) -> str | None:
    return backend.get_many(["live:1"])[0]


def test_live_records_keep_the_furthest_along(backend: Backend) -> None:
    versions = ["v:lot:1", "v:lists"]
    assert backend.merge_live("live:1", 1, 5, '{"n":5}', 60, versions, 60) == -1
    first = backend.get_many(versions)
    assert all(first)  # no record before: the versions moved

    assert backend.merge_live("live:1", 1, 3, '{"n":3}', 60, versions, 60) == 1
    assert _live(backend) == '1|5|{"n":5}'  # fewer tickets in the same state: kept
    assert backend.merge_live("live:1", 1, 9, '{"n":9}', 60, versions, 60) == 1
    assert _live(backend) == '1|9|{"n":9}'
    assert backend.get_many(versions) == first  # same state: nothing bumped

    assert backend.merge_live("live:1", 2, 9, '{"s":"funded"}', 60, versions, 60) == 1
    assert _live(backend) == '2|9|{"s":"funded"}'
    moved = backend.get_many(versions)
    assert moved[0] != first[0]
    assert moved[1] != first[1]
    # A late update of the earlier state changes nothing.
    assert backend.merge_live("live:1", 1, 50, '{"n":50}', 60, versions, 60) == 2
    assert _live(backend) == '2|9|{"s":"funded"}'
    assert backend.get_many(versions) == moved


def test_entries_expire_and_versions_change(backend: Backend) -> None:
    backend.set_many({"a": "1", "b": "2"}, 1)
    assert backend.get_many(["a", "b", "c"]) == ["1", "2", None]
    backend.bump(["v:x"], 60)
    token = backend.get_many(["v:x"])[0]
    backend.bump(["v:x"], 60)
    assert backend.get_many(["v:x"])[0] not in (None, token)
    time.sleep(1.1)
    assert backend.get_many(["a", "b"]) == [None, None]


def test_single_flight_locks_are_exclusive_across_processes(backend: Backend) -> None:
    if isinstance(backend, MemoryBackend):
        pytest.skip("one process: the per-key lock in Cache is the single flight")
    assert backend.claim("lock:k", 1000) is True
    assert backend.claim("lock:k", 1000) is False
    backend.release("lock:k")
    assert backend.claim("lock:k", 1000) is True


def test_counts_add_up(backend: Backend) -> None:
    backend.count("lot", 3, 1)
    backend.count("lot", 2, 0)
    backend.count("draw", 0, 4)
    assert backend.counts() == {"lot": (5, 1), "draw": (0, 4)}


def test_memory_keeps_the_most_recently_used_entries() -> None:
    memory = MemoryBackend(max_entries=100)
    memory.bump(["v:kept"], 60)
    memory.set_many({f"k{i}": str(i) for i in range(100)}, 60)
    assert memory.get_many(["k0"]) == ["0"]  # used: now the most recent
    memory.set_many({f"n{i}": str(i) for i in range(50)}, 60)
    assert memory.get_many(["k0", "k1", "k50", "k51", "n49"]) == ["0", None, None, "51", "49"]
    assert memory.get_many(["v:kept"])[0] is not None  # versions are never evicted
