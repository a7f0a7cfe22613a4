"""What `Alot` and `AsyncAlot` share: configuration, requests, retry rules, errors, parsing.

Everything here is free of I/O, so the sync and async clients differ only in how they
send, sleep and lock. The request loop itself lives in each client, line for line the
same apart from `await`.

Retry rules (constants in `_constants`):

- A request is retried, up to `max_retries` times, after a connection error or timeout,
  or an answer of 408, 429 or 5xx, and after a 409 only when the server marks it
  transient (its code is in `RETRYABLE_CONFLICT_CODES`, or it sends `Retry-After`).
  Other 409s are business conflicts (`lot_state_conflict`, `insufficient_credits`,
  `idempotency_conflict`, ...): asking again cannot succeed, so they raise
  `ConflictError` at once instead of being hammered until the retries run out.
- The wait doubles from `INITIAL_RETRY_DELAY` up to `MAX_RETRY_DELAY`, less a random
  jitter of up to a quarter (`_jitter`), so that clients that failed together do not
  come back together. A `Retry-After` the server sends is honoured instead; one longer
  than `MAX_RETRY_AFTER` (a trivia cooldown lasts hours) is not slept through: the
  error is raised carrying `retry_after`.
- Every POST carries an `Idempotency-Key`, generated once before the first attempt and
  sent again on every retry (a caller's own key wins). The platform deduplicates
  purchases by it, so a purchase whose response was lost is answered, on retry, with
  the first purchase instead of a second one.
- A POST the platform does not deduplicate (register, verify an email, refresh, ...)
  is resent after a connection failure only when the request provably never left
  (the connection was not established): once sent, it may have taken effect, and
  sending it again could do it twice (a refresh token used twice revokes the session).
"""

from __future__ import annotations

import os
import platform
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from alot_sdk import _constants as constants
from alot_sdk._version import __version__
from alot_sdk.checkpoints import CheckpointMemory
from alot_sdk.errors import (
    AlotError,
    APIResponseValidationError,
    parse_retry_after,
    problem_body,
)
from alot_sdk.models import SessionTokens

M = TypeVar("M", bound=BaseModel)

_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures that happen before a request leaves: resending cannot duplicate it."""


@dataclass(frozen=True)
class RequestSpec:
    """One logical call: what to send, and how it may be retried."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    """multipart/form-data file fields: name -> (filename, content, content type)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None
    authenticated: bool = True
    replay_safe: bool | None = None
    """May the request be resent after it left? None: yes unless it is a POST."""
    stream: bool = False

    @property
    def resendable(self) -> bool:
        return self.replay_safe if self.replay_safe is not None else self.method != "POST"


def path_segment(value: object) -> str:
    """A value made safe to put between two slashes of a URL path."""
    return quote(str(value), safe="")


def _env_float(name: str) -> float | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds") from None


def _env_int(name: str) -> int | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number") from None


def _user_agent() -> str:
    return f"alot-sdk/{__version__} python/{platform.python_version()}"


class BaseClient:
    """Configuration, session tokens and the rules every request follows."""

    def __init__(
        self,
        *,
        base_url: str | httpx.URL | None,
        api_token: str | None,
        refresh_token: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        ledger_verifier_key: str | None,
        default_headers: Mapping[str, str] | None,
        checkpoint_memory: CheckpointMemory | None = None,
    ) -> None:
        resolved = base_url or os.environ.get(constants.ENV_BASE_URL) or constants.DEFAULT_BASE_URL
        self.base_url = httpx.URL(str(resolved).rstrip("/") + "/")
        if timeout is None:
            seconds = _env_float(constants.ENV_TIMEOUT)
            timeout = constants.DEFAULT_TIMEOUT if seconds is None else httpx.Timeout(seconds)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        if max_retries is None:
            max_retries = _env_int(constants.ENV_MAX_RETRIES)
        self.max_retries = constants.DEFAULT_MAX_RETRIES if max_retries is None else max_retries
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self.ledger_verifier_key = ledger_verifier_key or os.environ.get(constants.ENV_VERIFIER_KEY)
        # What `ledger.cosigned_checkpoint` remembers between calls when given no memory:
        # this client's own, for its lifetime.
        self.checkpoint_memory = (
            checkpoint_memory if checkpoint_memory is not None else CheckpointMemory()
        )
        self._access_token = api_token or os.environ.get(constants.ENV_API_TOKEN) or None
        self._refresh_token = refresh_token or os.environ.get(constants.ENV_REFRESH_TOKEN) or None
        self._default_headers = {
            "Accept": "application/json",
            "User-Agent": _user_agent(),
            **(default_headers or {}),
        }

    # -- session tokens ------------------------------------------------------------

    @property
    def access_token(self) -> str | None:
        """The access token sent as `Authorization: Bearer` (None when logged out)."""
        return self._access_token

    @property
    def refresh_token(self) -> str | None:
        """The refresh token that renews the access token (None: no transparent refresh)."""
        return self._refresh_token

    def _store_tokens(self, tokens: SessionTokens) -> None:
        self._access_token = tokens.access_token
        self._refresh_token = tokens.refresh_token

    def _forget_tokens(self) -> None:
        self._access_token = None
        self._refresh_token = None

    # -- building requests ---------------------------------------------------------

    def _idempotency_key(self) -> str:
        return f"alot-sdk-{uuid.uuid4()}"

    def _request_headers(
        self, spec: RequestSpec, access_token: str | None, idempotency_key: str | None
    ) -> dict[str, str]:
        headers = dict(self._default_headers)
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        headers.update(spec.headers)
        return headers

    def _url(self, path: str) -> httpx.URL:
        return self.base_url.join(path.lstrip("/"))

    # -- retry decisions -----------------------------------------------------------

    def _should_retry(self, response: httpx.Response) -> bool:
        """Is an error answer worth asking again? (module docstring: the rules)."""
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is not None and retry_after > constants.MAX_RETRY_AFTER:
            return False
        status = response.status_code
        if status == 409:
            code = problem_body(response).get("code")
            return retry_after is not None or code in constants.RETRYABLE_CONFLICT_CODES
        return status in constants.RETRYABLE_STATUS_CODES or status >= 500

    def _may_resend(self, error: httpx.TransportError, spec: RequestSpec) -> bool:
        """After a transport failure: may this request go out again?"""
        return spec.resendable or isinstance(error, _UNSENT)

    def _retry_delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Seconds to wait before retry number `attempt + 1` (attempt counts from 0)."""
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is not None and retry_after <= constants.MAX_RETRY_AFTER:
                return retry_after
        backoff = min(constants.INITIAL_RETRY_DELAY * 2**attempt, constants.MAX_RETRY_DELAY)
        return self._jitter(backoff)

    def _jitter(self, delay: float) -> float:
        """`delay` less up to a quarter, at random (tests pin this to be deterministic)."""
        return delay * (1 - 0.25 * random.random())  # noqa: S311 - spreading load, not a secret

    # -- reading answers -----------------------------------------------------------

    @staticmethod
    def _parse(response: httpx.Response, model: type[M]) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            raise APIResponseValidationError(
                f"{response.request.method} {response.request.url.path} answered a body that"
                f" is not a {model.__name__}: {error.error_count()} problem(s), first:"
                f" {error.errors()[0]['msg']}",
                response=response,
            ) from error

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as error:
            raise APIResponseValidationError(
                f"{response.request.method} {response.request.url.path} answered non-JSON",
                response=response,
            ) from error

    def _require_verifier_key(self, verifier_key: str | None) -> str:
        key = verifier_key or self.ledger_verifier_key
        if not key:
            raise AlotError(
                "verifying a checkpoint needs a pinned verifier key: pass verifier_key=, set"
                f" ledger_verifier_key= on the client or {constants.ENV_VERIFIER_KEY}. The key"
                " the server serves cannot vouch for the server's own checkpoints."
            )
        return key

    # -- pages ---------------------------------------------------------------------

    def _page_data(
        self, response: httpx.Response, model: type[M], items_key: str
    ) -> tuple[list[M], dict[str, Any]]:
        data = self._json(response)
        if not isinstance(data, dict) or not isinstance(data.get(items_key), list):
            raise APIResponseValidationError(
                f"{response.request.url.path} answered no {items_key!r} list", response=response
            )
        try:
            return [model.model_validate(item) for item in data[items_key]], data
        except ValidationError as error:
            raise APIResponseValidationError(
                f"{response.request.url.path} answered an item that is not a {model.__name__}:"
                f" {error.errors()[0]['msg']}",
                response=response,
            ) from error


Params = dict[str, Any]


def cursor_of(data: Mapping[str, Any]) -> str | None:
    cursor = data.get("next_cursor")
    return cursor if isinstance(cursor, str) and cursor else None


def next_by_cursor(data: Mapping[str, Any], params: Params) -> Params | None:
    cursor = cursor_of(data)
    return {**params, "cursor": cursor} if cursor else None


def drop_none(params: Mapping[str, Any]) -> Params:
    return {name: value for name, value in params.items() if value is not None}
