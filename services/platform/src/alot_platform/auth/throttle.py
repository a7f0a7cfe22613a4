"""The login throttle: brute force by account is slowed, and cannot lock the owner out.

Three rules, on the counters of ``security.ratelimit`` (in-process, or Redis with
``ALOT_REDIS_URL`` so every process shares them). An *account* here is the normalized
email typed at login, whether or not it has an account: the throttle answers alike.

- **Per account and IP, exponential backoff.** After
  ``ALOT_LOGIN_FAILURES_BEFORE_BACKOFF`` failures from one IP, each further failure
  makes that IP wait 1, 2, 4, ... seconds (at most ``ALOT_LOGIN_BACKOFF_MAX_SECONDS``)
  before its next try for that account: ``429 login_throttled`` with ``Retry-After``.
  A success clears it. Another IP (the owner's) is not affected.
- **Per account from all IPs, a ceiling that only slows.** Once the failures for an
  account in a window pass ``ALOT_LOGIN_ACCOUNT_CEILING``, IPs that have not signed in
  to it lately may try once per ``ALOT_LOGIN_SLOWED_SECONDS`` each until the window
  ends. Nobody is locked out: an IP the account signed in from is not slowed, and any
  other IP still gets a try every few seconds.
- **The owner hears of it.** When failures for the account come from
  ``ALOT_LOGIN_ALERT_IPS`` IPs within a window, the owner gets one email (through the
  outbox) at most every ``ALOT_LOGIN_ALERT_EVERY_SECONDS``.

If Redis is unreachable the throttle lets the attempt through and logs it (as the rate
limiter does): the platform stays up.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis

from alot_platform.clock import Clock
from alot_platform.config import Settings, parse_rate
from alot_platform.errors import RateLimited
from alot_platform.security.ratelimit import CounterStore, RedisCounterStore, counter_store
from alot_platform.users.service import normalize_email

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

FAILURE_MEMORY_SECONDS = 24 * 3600
"""How long failures of one account from one IP count towards its backoff."""
KNOWN_IP_SECONDS = 30 * 24 * 3600
"""How long an IP that signed in to an account is exempt from the slowing."""


class LoginThrottled(RateLimited):
    code = "login_throttled"
    title = "Too many failed logins"


@dataclass(frozen=True)
class LoginPolicy:
    failures_before_backoff: int
    backoff_max_seconds: int
    ceiling: int
    ceiling_period_seconds: int
    slowed_seconds: int
    alert_ips: int
    alert_every_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        ceiling, period = parse_rate(settings.login_account_ceiling)
        return cls(
            failures_before_backoff=settings.login_failures_before_backoff,
            backoff_max_seconds=settings.login_backoff_max_seconds,
            ceiling=ceiling,
            ceiling_period_seconds=period,
            slowed_seconds=settings.login_slowed_seconds,
            alert_ips=settings.login_alert_ips,
            alert_every_seconds=settings.login_alert_every_seconds,
        )

    def backoff_seconds(self, failures: int) -> float:
        beyond = failures - self.failures_before_backoff
        if beyond <= 0:
            return 0.0
        return float(min(2 ** min(beyond - 1, 30), self.backoff_max_seconds))


class LoginThrottle:
    def __init__(self, store: CounterStore, policy: LoginPolicy, clock: Clock) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> LoginThrottle:
        return cls(counter_store(settings, "login:"), LoginPolicy.from_settings(settings), clock)

    def check(self, email: str, ip: str) -> None:
        """Raise ``LoginThrottled`` if this IP must wait before trying this account."""
        wait = self._safely(lambda: self._wait(_account(email), _place(ip)), 0.0)
        if wait > 0:
            raise LoginThrottled(
                "too many failed logins for this account from here; try again later",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )

    def failed(self, email: str, ip: str) -> bool:
        """Count a failed login; True if the owner is to be alerted now."""
        return self._safely(lambda: self._failed(_account(email), _place(ip)), False)

    def succeeded(self, email: str, ip: str) -> None:
        account, ip = _account(email), _place(ip)

        def forget() -> None:
            now = self._now()
            self.store.forget(f"fail:{account}:{ip}")
            self.store.forget(f"wait:{account}:{ip}")
            self.store.hold(f"known:{account}:{ip}", now, KNOWN_IP_SECONDS)

        self._safely(forget, None)

    def close(self) -> None:
        if isinstance(self.store, RedisCounterStore):
            self.store.close()

    # -- the rules -------------------------------------------------------------------

    def _wait(self, account: str, ip: str) -> float:
        now = self._now()
        backoff = self.store.held_for(f"wait:{account}:{ip}", now)
        if backoff > 0:
            return backoff
        slowed = self.store.held_for(f"slowed:{account}", now) > 0
        if not slowed or self.store.held_for(f"known:{account}:{ip}", now) > 0:
            return 0.0
        if self.store.claim(f"slow:{account}:{ip}", now, self.policy.slowed_seconds):
            return 0.0  # this IP's one try for now
        return self.store.held_for(f"slow:{account}:{ip}", now)

    def _failed(self, account: str, ip: str) -> bool:
        policy = self.policy
        now = self._now()
        failures = self.store.increment(f"fail:{account}:{ip}", now, FAILURE_MEMORY_SECONDS)
        backoff = policy.backoff_seconds(failures)
        if backoff > 0:
            self.store.hold(f"wait:{account}:{ip}", now, backoff)

        period = policy.ceiling_period_seconds
        window = math.floor(now / period)
        window_ends_in = (window + 1) * period - now
        total = self.store.increment(f"all:{account}:{window}", now, period + 1)
        if total > policy.ceiling:
            self.store.hold(f"slowed:{account}", now, window_ends_in)
        first_from_ip = self.store.increment(f"ip:{account}:{ip}:{window}", now, period + 1) == 1
        if not first_from_ip:
            return False
        ips = self.store.increment(f"ips:{account}:{window}", now, period + 1)
        return ips >= policy.alert_ips and self.store.claim(
            f"alerted:{account}", now, policy.alert_every_seconds
        )

    def _now(self) -> float:
        return self.clock().timestamp()

    def _safely(self, run: Callable[[], _T], fallback: _T) -> _T:
        try:
            return run()
        except redis.RedisError:
            _log.exception("login throttle store unavailable; attempt allowed")
            return fallback


def _place(ip: str) -> str:
    """What counts as one address: an IPv6 client holds a whole /64, so that is one."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _account(email: str) -> str:
    """The throttle's key for an email: no address is written to the store."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]
