"""Every default and retry constant of the SDK, in one place.

Tests pin randomness by overriding `_jitter` on a client subclass; the numbers here
are what a caller gets when they pass nothing and set no `ALOT_*` variable.
"""

from __future__ import annotations

import httpx

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
"""Where `make run` serves the platform."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2

INITIAL_RETRY_DELAY = 0.5
"""Seconds before the first retry; each later retry waits twice as long as the last."""
MAX_RETRY_DELAY = 8.0
"""No computed backoff waits longer than this."""
MAX_RETRY_AFTER = 60.0
"""A `Retry-After` longer than this is not waited out: the error is raised with it.

A trivia cooldown answers 429 with a `Retry-After` of hours; sleeping through that
inside a library call would look like a hang. The caller sees `RateLimitError.retry_after`.
"""

RETRYABLE_STATUS_CODES = frozenset({408, 429})
"""Statuses retried as such, besides every 5xx; a 409 is decided by its code (below)."""

RETRYABLE_CONFLICT_CODES = frozenset({"trivia_attempt_conflict"})
"""The 409 problem codes that mean "a concurrent request won a race; nothing was written".

Every other 409 the platform sends is a business conflict (`lot_state_conflict`,
`insufficient_credits`, `idempotency_conflict`, ...): the same request would fail the
same way, so it is raised at once as `ConflictError`. A 409 that carries `Retry-After`
is the server saying "try again", and is retried whatever its code.
"""

ENV_BASE_URL = "ALOT_BASE_URL"
ENV_API_TOKEN = "ALOT_API_TOKEN"  # noqa: S105 - a variable name, not a token
ENV_REFRESH_TOKEN = "ALOT_REFRESH_TOKEN"  # noqa: S105 - a variable name
ENV_TIMEOUT = "ALOT_TIMEOUT"
ENV_MAX_RETRIES = "ALOT_MAX_RETRIES"
ENV_VERIFIER_KEY = "ALOT_VERIFY_LEDGER_KEY"
"""The same variable `alot-verify` reads: one pinned key serves both tools."""
