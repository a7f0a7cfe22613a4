"""Rate limiting for every route: fixed windows per client, stricter on /api/auth/.

The client is its IP address as ``security.client_address`` finds it (forwarded
headers count only from ``ALOT_TRUSTED_PROXIES``). The stores here also keep the login
throttle's counters and holds (alot_platform/auth/throttle.py).

In-process by default; with `ALOT_REDIS_URL` the counters live in Redis, so every API
process behind a load balancer counts against the same limit. Over the limit a client
gets a 429 problem with `Retry-After` (seconds until its window ends). Health probes
are exempt: a load balancer must always be able to ask.

Fixed windows are the simplest scheme that is exact across processes (one atomic
INCR per request); a burst at a window edge can reach twice the rate, which the auth
limit's small numbers tolerate.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Protocol

import anyio.to_thread
import redis
from starlette.types import ASGIApp, Receive, Scope, Send

from alot_platform.clock import Clock
from alot_platform.config import Settings, parse_rate
from alot_platform.errors import RateLimited, problem_response
from alot_platform.security.client_address import client_address

_log = logging.getLogger(__name__)
_EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
AUTH_PREFIX = "/api/auth/"


class CounterStore(Protocol):
    """Counters and holds with a lifetime (``now`` is the platform clock's timestamp)."""

    def increment(self, key: str, now: float, lifetime: int) -> int:
        """Add one to the counter at key, which lives `lifetime` seconds; return it."""
        ...

    def hold(self, key: str, now: float, seconds: float) -> None:
        """Set key to exist for the next `seconds` (replacing what was there)."""
        ...

    def claim(self, key: str, now: float, seconds: float) -> bool:
        """Set key for `seconds` unless it exists; True if this call set it."""
        ...

    def held_for(self, key: str, now: float) -> float:
        """Seconds until key expires; 0 if it does not exist."""
        ...

    def forget(self, key: str) -> None:
        """Delete key."""
        ...


class MemoryCounterStore:
    """Counters in this process. Each window has its own key; expired keys are swept."""

    _SWEEP_EVERY = 1024

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def increment(self, key: str, now: float, lifetime: int) -> int:
        with self._lock:
            self._calls += 1
            if self._calls % self._SWEEP_EVERY == 0:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            count, expires_at = self._live(key, now) or (0, now + lifetime)
            self._counts[key] = (count + 1, expires_at)
            return count + 1

    def hold(self, key: str, now: float, seconds: float) -> None:
        with self._lock:
            self._counts[key] = (1, now + seconds)

    def claim(self, key: str, now: float, seconds: float) -> bool:
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._counts[key] = (1, now + seconds)
            return True

    def held_for(self, key: str, now: float) -> float:
        with self._lock:
            live = self._live(key, now)
            return 0.0 if live is None else live[1] - now

    def forget(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        found = self._counts.get(key)
        return found if found is not None and found[1] > now else None


class RedisCounterStore:
    """Counters in Redis (INCR + EXPIRE in one transaction), shared by every process."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def increment(self, key: str, now: float, lifetime: int) -> int:
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(self._prefix + key)
        pipe.expire(self._prefix + key, lifetime, nx=True)
        count, _ = pipe.execute()
        return int(count)

    def hold(self, key: str, now: float, seconds: float) -> None:
        self._redis.set(self._prefix + key, 1, px=max(1, math.ceil(seconds * 1000)))

    def claim(self, key: str, now: float, seconds: float) -> bool:
        ms = max(1, math.ceil(seconds * 1000))
        return bool(self._redis.set(self._prefix + key, 1, px=ms, nx=True))

    def held_for(self, key: str, now: float) -> float:
        ms = int(self._redis.pttl(self._prefix + key))
        return ms / 1000 if ms > 0 else 0.0

    def forget(self, key: str) -> None:
        self._redis.delete(self._prefix + key)

    def close(self) -> None:
        self._redis.close()


@dataclass(frozen=True)
class Rate:
    limit: int
    period_seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        return cls(*parse_rate(text))


def counter_store(settings: Settings, namespace: str) -> CounterStore:
    """Counters shared by every API process through Redis, or this process's own."""
    if settings.redis_url:
        return RedisCounterStore(settings.redis_url, settings.redis_prefix + namespace)
    return MemoryCounterStore()


class RateLimiter:
    def __init__(self, store: CounterStore, default: Rate, auth: Rate, clock: Clock) -> None:
        self.store = store
        self.default = default
        self.auth = auth
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> RateLimiter:
        return cls(
            counter_store(settings, "ratelimit:"),
            Rate.parse(settings.rate_limit_default),
            Rate.parse(settings.rate_limit_auth),
            clock,
        )

    def check(self, group: str, rate: Rate, client: str) -> float | None:
        """Count one request; return seconds to wait if it is over the limit, else None."""
        now = self.clock().timestamp()
        window = math.floor(now / rate.period_seconds)
        count = self.store.increment(f"{group}:{client}:{window}", now, rate.period_seconds + 1)
        if count <= rate.limit:
            return None
        return (window + 1) * rate.period_seconds - now

    def close(self) -> None:
        if isinstance(self.store, RedisCounterStore):
            self.store.close()


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter, settings: Settings) -> None:
        self.app = app
        self.limiter = limiter
        self.trusted_proxies = settings.trusted_proxies
        self.forwarded_header = settings.forwarded_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in _EXEMPT_PATHS
            or scope["method"] == "OPTIONS"
        ):
            await self.app(scope, receive, send)
            return
        client = client_address(scope, self.trusted_proxies, self.forwarded_header)
        is_auth = scope["path"].startswith(AUTH_PREFIX)
        group, rate = ("auth", self.limiter.auth) if is_auth else ("all", self.limiter.default)
        try:
            wait = await anyio.to_thread.run_sync(self.limiter.check, group, rate, client)
        except redis.RedisError:
            # Failing open keeps the platform up when Redis blips; the log says so loudly.
            _log.exception("rate limit store unavailable; request allowed")
            wait = None
        if wait is None:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        error = RateLimited(f"rate limit of {rate.limit} per {rate.period_seconds}s exceeded")
        response = problem_response(
            error.status_code,
            error.code,
            error.title,
            error.detail,
            request_id=scope.get("state", {}).get("request_id"),
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)
