"""Where cached values live: this process's memory, or Redis shared by every process.

Both backends hold the same three kinds of key (see docs/platform/caching.md):

- entries: JSON text with a TTL, written by readers that missed;
- versions: a random token per thing that can go stale (a lot, the lot lists, a user's
  balance, the whole catalogue); an entry records the tokens it was built under and is
  stale once any of them changed (``bump``), so a reader that loaded before a change
  and stores after it stores an entry nobody will believe;
- live records: a lot's figures (status, tickets sold, funding), merged so that the
  furthest-along state wins (``merge_live``): events from two processes may arrive out
  of order, and a reader's fill may carry a figure older than a write-through.

A Redis error reaches the caller as ``redis.RedisError``; the cache (cache/service.py)
turns it into a miss.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Protocol, cast

import redis

# A version outlives every entry built under it (entries are not believed without it).
_VERSION_TTL_FACTOR = 2

# Merge a lot's live record "<rank>|<tickets>|<json>": kept if the new one is behind it
# (a lower state rank, or fewer tickets in the same state); else replaced. When the rank
# moved (or there was no record), the lot's and the lists' versions are bumped in the
# same round trip. Returns the previous rank (-1: none).
_MERGE_LIVE = """
local current = redis.call('GET', KEYS[1])
local previous = -1
local rank = tonumber(ARGV[1])
local tickets = tonumber(ARGV[2])
if current then
  local r, t = string.match(current, '^(%d+)|(%d+)|')
  previous = tonumber(r)
  if rank < previous or (rank == previous and tickets < tonumber(t)) then
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    return previous
  end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
if rank > previous then
  for i = 2, #KEYS do
    redis.call('SET', KEYS[i], ARGV[5], 'PX', ARGV[6])
  end
end
return previous
"""


def new_token() -> str:
    return uuid.uuid4().hex[:16]


def live_value(rank: int, tickets: int, payload: str) -> str:
    return f"{rank}|{tickets}|{payload}"


def live_payload(value: str) -> str:
    return value.split("|", 2)[2]


class Backend(Protocol):
    name: str

    def get_many(self, keys: Sequence[str]) -> list[str | None]: ...

    def set_many(self, entries: Mapping[str, str], ttl_seconds: int) -> None: ...

    def bump(self, keys: Sequence[str], ttl_seconds: int) -> None:
        """Give each version key a new token (everything built under the old is stale)."""

    def merge_live(
        self,
        key: str,
        rank: int,
        tickets: int,
        payload: str,
        ttl_seconds: int,
        bump_on_rank: Sequence[str],
        version_ttl_seconds: int,
    ) -> int:
        """Merge a live record (see module docstring); the previous rank, -1 if none."""

    def claim(self, key: str, ttl_ms: int) -> bool:
        """Take a short lock (single-flight across processes); False if someone has it."""

    def release(self, key: str) -> None: ...

    def count(self, family: str, hits: int, misses: int) -> None: ...

    def counts(self) -> dict[str, tuple[int, int]]: ...

    def close(self) -> None: ...


class MemoryBackend:
    """A bounded dict with TTLs, for one process (no ALOT_REDIS_URL).

    Entries are evicted least recently used first beyond ``max_entries``; versions and
    live records are kept apart from them (small, one per lot or user), so evicting an
    entry never resurrects another.
    """

    name = "memory"

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._small: dict[str, tuple[float, str]] = {}
        self._counts: dict[str, list[int]] = {}

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        now = time.monotonic()
        found: list[str | None] = []
        with self._lock:
            for key in keys:
                held = self._entries.get(key) or self._small.get(key)
                if held is None or held[0] <= now:
                    found.append(None)
                    continue
                if key in self._entries:
                    self._entries.move_to_end(key)
                found.append(held[1])
        return found

    def set_many(self, entries: Mapping[str, str], ttl_seconds: int) -> None:
        expires = time.monotonic() + ttl_seconds
        with self._lock:
            for key, value in entries.items():
                self._entries[key] = (expires, value)
                self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def bump(self, keys: Sequence[str], ttl_seconds: int) -> None:
        expires = time.monotonic() + ttl_seconds * _VERSION_TTL_FACTOR
        with self._lock:
            for key in keys:
                self._small[key] = (expires, new_token())
            self._prune_small()

    def merge_live(
        self,
        key: str,
        rank: int,
        tickets: int,
        payload: str,
        ttl_seconds: int,
        bump_on_rank: Sequence[str],
        version_ttl_seconds: int,
    ) -> int:
        now = time.monotonic()
        with self._lock:
            held = self._small.get(key)
            previous = -1
            if held is not None and held[0] > now:
                old_rank, old_tickets, _ = held[1].split("|", 2)
                previous = int(old_rank)
                if rank < previous or (rank == previous and tickets < int(old_tickets)):
                    self._small[key] = (now + ttl_seconds, held[1])
                    return previous
            self._small[key] = (now + ttl_seconds, live_value(rank, tickets, payload))
            if rank > previous:
                for version in bump_on_rank:
                    self._small[version] = (
                        now + version_ttl_seconds * _VERSION_TTL_FACTOR,
                        new_token(),
                    )
            self._prune_small()
            return previous

    def claim(self, key: str, ttl_ms: int) -> bool:
        # In one process the per-key lock (cache/service.py) is the single flight.
        return True

    def release(self, key: str) -> None:
        return None

    def count(self, family: str, hits: int, misses: int) -> None:
        with self._lock:
            counts = self._counts.setdefault(family, [0, 0])
            counts[0] += hits
            counts[1] += misses

    def counts(self) -> dict[str, tuple[int, int]]:
        with self._lock:
            return {family: (c[0], c[1]) for family, c in self._counts.items()}

    def close(self) -> None:
        return None

    def _prune_small(self) -> None:
        # Versions and live records: one per lot or user. Drop the expired ones now and
        # then, so a long-running process does not keep every lot it ever saw.
        if len(self._small) <= 4 * self._max:
            return
        now = time.monotonic()
        self._small = {k: v for k, v in self._small.items() if v[0] > now}


class RedisBackend:
    """Keys under ``<ALOT_REDIS_PREFIX>cache:`` in Redis, shared by every process.

    Hit and miss counts are ``HINCRBY`` on one hash, sent in the same round trip as the
    read they count: the figures are every process's together.
    """

    name = "redis"

    def __init__(self, url: str, prefix: str, *, timeout_seconds: float) -> None:
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            decode_responses=True,
        )
        self._prefix = prefix
        self._merge = self._redis.register_script(_MERGE_LIVE)
        self._stats_key = prefix + "stats"

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        found = self._redis.mget([self._prefix + k for k in keys])
        return cast(list[str | None], found)

    def set_many(self, entries: Mapping[str, str], ttl_seconds: int) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for key, value in entries.items():
            pipe.set(self._prefix + key, value, ex=ttl_seconds)
        pipe.execute()

    def bump(self, keys: Sequence[str], ttl_seconds: int) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.set(self._prefix + key, new_token(), ex=ttl_seconds * _VERSION_TTL_FACTOR)
        pipe.execute()

    def merge_live(
        self,
        key: str,
        rank: int,
        tickets: int,
        payload: str,
        ttl_seconds: int,
        bump_on_rank: Sequence[str],
        version_ttl_seconds: int,
    ) -> int:
        previous = self._merge(
            keys=[self._prefix + key, *(self._prefix + k for k in bump_on_rank)],
            args=[
                rank,
                tickets,
                live_value(rank, tickets, payload),
                ttl_seconds * 1000,
                new_token(),
                version_ttl_seconds * 1000 * _VERSION_TTL_FACTOR,
            ],
        )
        return int(previous)

    def claim(self, key: str, ttl_ms: int) -> bool:
        return bool(self._redis.set(self._prefix + key, "1", px=ttl_ms, nx=True))

    def release(self, key: str) -> None:
        self._redis.delete(self._prefix + key)

    def count(self, family: str, hits: int, misses: int) -> None:
        pipe = self._redis.pipeline(transaction=False)
        if hits:
            pipe.hincrby(self._stats_key, f"{family}:hits", hits)
        if misses:
            pipe.hincrby(self._stats_key, f"{family}:misses", misses)
        pipe.execute()

    def counts(self) -> dict[str, tuple[int, int]]:
        raw = cast(dict[str, str], self._redis.hgetall(self._stats_key))
        counts: dict[str, list[int]] = {}
        for field, value in raw.items():
            family, _, kind = field.rpartition(":")
            counts.setdefault(family, [0, 0])[0 if kind == "hits" else 1] += int(value)
        return {family: (c[0], c[1]) for family, c in counts.items()}

    def close(self) -> None:
        self._redis.close()
