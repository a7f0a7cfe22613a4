"""Rate limiting for every route: fixed windows per client, stricter on /api/auth/.

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

_log = logging.getLogger(__name__)
_EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
AUTH_PREFIX = "/api/auth/"


class CounterStore(Protocol):
    def increment(self, key: str, now: float, lifetime: int) -> int:
        """Add one to the counter at key, which lives `lifetime` seconds; return it."""
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
            count, expires_at = self._counts.get(key, (0, now + lifetime))
            self._counts[key] = (count + 1, expires_at)
            return count + 1


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

    def close(self) -> None:
        self._redis.close()


@dataclass(frozen=True)
class Rate:
    limit: int
    period_seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        return cls(*parse_rate(text))


class RateLimiter:
    def __init__(self, store: CounterStore, default: Rate, auth: Rate, clock: Clock) -> None:
        self.store = store
        self.default = default
        self.auth = auth
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> RateLimiter:
        store: CounterStore
        if settings.redis_url:
            store = RedisCounterStore(settings.redis_url, settings.redis_prefix + "ratelimit:")
        else:
            store = MemoryCounterStore()
        return cls(
            store,
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
    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in _EXEMPT_PATHS
            or scope["method"] == "OPTIONS"
        ):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
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
