"""The cache component (``platform.cache``): one interface over both backends.

Everything here fails soft: a backend error is logged and read as a miss (the caller
loads from the database), a failed write is dropped, and for a second after an error
the cache is not asked at all, so an outage of Redis costs each request nothing but its
database read. A cache never decides anything about money: purchases, refunds and
settlements read the database under their locks and never come here.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import redis

from alot_platform.cache.backends import Backend, MemoryBackend, RedisBackend
from alot_platform.config import Settings
from alot_platform.observability.metrics import count_cache

_log = logging.getLogger(__name__)

T = TypeVar("T")

# After a backend error, the cache is bypassed this long (one log line, not one per read).
_BREAKER_SECONDS = 1.0
# Single flight across processes: the loader's lock lives this long at most; the others
# look for its result this often, this long, then load it themselves.
_FLIGHT_LOCK_MS = 2000
_FLIGHT_POLL_SECONDS = 0.02
_FLIGHT_WAIT_SECONDS = 0.5
# Hit and miss counts are summed in the process and added to the shared figures this often.
_COUNTS_FLUSH_SECONDS = 1.0
# Write-throughs kept while the backend fails, applied once it answers again.
_MISSED_MAX = 10_000

FAMILIES = ("lot", "lot_list", "leaderboard", "balance", "draw")


@dataclass(frozen=True)
class Entry:
    """A cached value: a line of JSON metadata (``v``: the versions it was built under),
    then the payload, often a response body kept as text so that a hit sends it without
    parsing it."""

    meta: dict[str, Any]
    payload: str

    @classmethod
    def parse(cls, raw: str | None) -> Entry | None:
        if raw is None:
            return None
        head, _, payload = raw.partition("\n")
        return cls(json.loads(head), payload)

    @staticmethod
    def text(versions: Sequence[str], payload: str, **meta: Any) -> str:
        return json.dumps({"v": list(versions), **meta}, separators=(",", ":")) + "\n" + payload


@dataclass(frozen=True)
class FamilyStats:
    family: str
    hits: int
    misses: int

    @property
    def hit_rate(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None


class Cache:
    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.backend = backend
        self.enabled = settings.cache_enabled
        self.lot_ttl = settings.cache_lot_ttl_seconds
        self.ranked_list_ttl = settings.cache_ranked_list_ttl_seconds
        self.user_ttl = settings.cache_user_ttl_seconds
        self.history_ttl = settings.cache_history_ttl_seconds
        # Versions outlive every entry (backends.py): bumped with the longest TTL.
        self.max_ttl = max(self.lot_ttl, self.ranked_list_ttl, self.user_ttl, self.history_ttl)
        self._broken_until = 0.0
        self._flights: dict[str, tuple[threading.Lock, int]] = {}
        self._flights_lock = threading.Lock()
        self._counts_lock = threading.Lock()
        self._pending: dict[str, list[int]] = {}
        self._flushed_at = time.monotonic()
        self._missed: deque[Callable[[], object]] = deque()
        self._missed_lock = threading.Lock()

    @classmethod
    def disabled(cls) -> Cache:
        """A cache that holds nothing (a context built without settings)."""
        return cls(MemoryBackend(100), Settings.model_construct(cache_enabled=False))

    @classmethod
    def from_settings(cls, settings: Settings) -> Cache:
        backend: Backend
        if settings.redis_url:
            backend = RedisBackend(
                settings.redis_url,
                settings.redis_prefix + "cache:",
                timeout_seconds=settings.cache_redis_timeout_seconds,
            )
        else:
            backend = MemoryBackend(settings.cache_memory_max_entries)
        return cls(backend, settings)

    # -- reads and writes that never fail -------------------------------------------

    @property
    def usable(self) -> bool:
        return self.enabled and time.monotonic() >= self._broken_until

    def get_many(self, keys: Sequence[str]) -> list[str | None] | None:
        """The values of ``keys`` (None each where absent); None when the cache is off or
        failing (the caller reads the database)."""
        if not self.usable:
            return None
        with self._failing_soft("read"):
            if self._missed:
                self._replay_missed()
            return self.backend.get_many(keys)
        return None

    def set_many(self, entries: Mapping[str, str], ttl_seconds: int) -> None:
        if entries and self.usable:
            with self._failing_soft("write"):
                self.backend.set_many(entries, ttl_seconds)

    def bump(self, keys: Sequence[str]) -> None:
        if keys and self.enabled:
            self._write_through("invalidation", lambda: self.backend.bump(keys, self.max_ttl))

    def merge_live(
        self,
        key: str,
        rank: int,
        tickets: int,
        payload: str,
        ttl_seconds: int,
        bump_on_rank: Sequence[str],
    ) -> None:
        if self.enabled:
            self._write_through(
                "write-through",
                lambda: self.backend.merge_live(
                    key, rank, tickets, payload, ttl_seconds, bump_on_rank, self.max_ttl
                ),
            )

    def _write_through(self, what: str, write: Callable[[], object]) -> None:
        """Write now, or (the backend failing) once it answers again: a lost
        write-through would leave a stale view for a whole TTL after an outage. Writes
        are merges and version bumps, safe to apply late and more than once."""
        if time.monotonic() >= self._broken_until:
            try:
                self._replay_missed()
                write()
                return
            except (redis.RedisError, OSError):
                self._broke(what)
        with self._missed_lock:
            if len(self._missed) >= _MISSED_MAX:
                self._missed.popleft()  # the oldest: its TTL bounds the staleness
            self._missed.append(write)

    def _replay_missed(self) -> None:
        while self._missed:
            with self._missed_lock:
                if not self._missed:
                    return
                write = self._missed[0]
            write()
            with self._missed_lock:
                if self._missed and self._missed[0] is write:
                    self._missed.popleft()

    @contextmanager
    def _failing_soft(self, what: str) -> Iterator[None]:
        try:
            yield
        except (redis.RedisError, OSError):
            self._broke(what)

    def _broke(self, what: str) -> None:
        if time.monotonic() >= self._broken_until:
            _log.exception("cache %s failed; reading the database for a while", what)
        self._broken_until = time.monotonic() + _BREAKER_SECONDS

    # -- versioned entries ----------------------------------------------------------

    def get_entry(
        self, key: str, version_keys: Sequence[str]
    ) -> tuple[Entry | None, list[str] | None]:
        """An entry still valid under the current versions, and those versions (None:
        the cache is off or failing, so nothing should be stored either)."""
        found = self.get_many([*version_keys, key])
        if found is None:
            return None, None
        versions = [v or "" for v in found[:-1]]
        entry = Entry.parse(found[-1])
        if entry is None or entry.meta["v"] != versions:
            return None, versions
        return entry, versions

    # -- single flight --------------------------------------------------------------

    def single_flight(self, key: str, recheck: Callable[[], T | None], load: Callable[[], T]) -> T:
        """``load()`` once per key at a time: in this process, the others wait for it and
        ``recheck()``; across processes (Redis), one holds a short lock and the others
        poll ``recheck()`` briefly, then load from the database themselves."""
        with self._flight(key):
            found = recheck()
            if found is not None:
                return found
            claimed = self._claim(key)
            try:
                if not claimed:
                    deadline = time.monotonic() + _FLIGHT_WAIT_SECONDS
                    while time.monotonic() < deadline:
                        time.sleep(_FLIGHT_POLL_SECONDS)
                        found = recheck()
                        if found is not None:
                            return found
                return load()
            finally:
                if claimed:
                    with self._failing_soft("unlock"):
                        self.backend.release("lock:" + key)

    def _claim(self, key: str) -> bool:
        if not self.usable:
            return True
        with self._failing_soft("lock"):
            return self.backend.claim("lock:" + key, _FLIGHT_LOCK_MS)
        return True

    @contextmanager
    def _flight(self, key: str) -> Iterator[None]:
        with self._flights_lock:
            lock, users = self._flights.get(key, (threading.Lock(), 0))
            self._flights[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._flights_lock:
                lock, users = self._flights[key]
                if users == 1:
                    del self._flights[key]
                else:
                    self._flights[key] = (lock, users - 1)

    # -- hit and miss counts --------------------------------------------------------

    def hit(self, family: str, n: int = 1) -> None:
        count_cache(family, hit=True, n=n)
        self._count(family, 0, n)

    def miss(self, family: str, n: int = 1) -> None:
        count_cache(family, hit=False, n=n)
        self._count(family, 1, n)

    def _count(self, family: str, index: int, n: int) -> None:
        with self._counts_lock:
            self._pending.setdefault(family, [0, 0])[index] += n
            due = time.monotonic() - self._flushed_at >= _COUNTS_FLUSH_SECONDS
        if due or isinstance(self.backend, MemoryBackend):
            self.flush_counts()

    def flush_counts(self) -> None:
        """Add this process's counts to the shared figures."""
        with self._counts_lock:
            pending, self._pending = self._pending, {}
            self._flushed_at = time.monotonic()
        if not pending or not self.enabled:
            return
        try:
            for family, (hits, misses) in pending.items():
                self.backend.count(family, hits, misses)
        except (redis.RedisError, OSError):
            _log.warning("cache counts not recorded: the cache backend is unavailable")

    def stats(self) -> list[FamilyStats]:
        """Hits and misses per family, from every process sharing the backend."""
        self.flush_counts()
        counts: dict[str, tuple[int, int]] = {}
        if self.enabled:
            try:
                counts = self.backend.counts()
            except (redis.RedisError, OSError):
                _log.warning("cache counts unavailable: the cache backend is unavailable")
        families = list(FAMILIES) + sorted(set(counts) - set(FAMILIES))
        return [FamilyStats(f, *counts.get(f, (0, 0))) for f in families]

    def close(self) -> None:
        self.flush_counts()
        self.backend.close()
