"""The SDK's exceptions: branch on the class, or on `code` for the platform's exact reason.

    AlotError                           anything this SDK raises on purpose
     +-- APIError                       a request to the platform did not give a result
          +-- APIStatusError            the platform answered 4xx/5xx (status_code, code,
          |    |                        problem_type, detail, request_id, response)
          |    +-- BadRequestError               400
          |    +-- AuthenticationError           401
          |    +-- PaymentRequiredError          402  the payment provider refused
          |    +-- PermissionDeniedError         403
          |    +-- NotFoundError                 404
          |    +-- ConflictError                 409  the platform's state refuses it
          |    +-- UnprocessableEntityError      422  invalid input (`errors` names fields)
          |    +-- RateLimitError                429  (`retry_after` in seconds, if sent)
          |    +-- InternalServerError           5xx
          +-- APIConnectionError        no answer: connection refused, reset, dropped
          |    +-- APITimeoutError      no answer in time
          +-- APIResponseValidationError  an answer this SDK cannot read
     +-- SplitViewError                 the ledger showed a checkpoint that forks from one
     |                                  it showed before (also an alot_verify
     |                                  VerificationError): `remembered`, `shown`
     +-- CheckpointMemoryError          a checkpoint memory cannot be used (unreadable
                                        file, a pinned key other than the remembered one)

`code` is the platform's stable machine-readable reason (`lot_state_conflict`,
`insufficient_credits`, `trivia_cooldown`, ...); `problem_type` is the same as a URN
(`urn:alot:problem:<code>`). Quote `request_id` when reporting a problem: it finds the
server's log line.

Verification is separate on purpose: `lots.verify_draw` and `ledger.verify_inclusion`
raise `alot_verify.errors.VerificationError` subclasses when a proof does not check out
(a finding about the operator, not a failed request) and `alot_verify.errors.InputError`
when a document is malformed. `SplitViewError` is both: the SDK's own, and a
`VerificationError`, so `except VerificationError` catches every finding about the
operator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
from alot_verify.errors import VerificationError

if TYPE_CHECKING:
    from alot_sdk.checkpoints import CheckpointRecord

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AlotError",
    "AuthenticationError",
    "BadRequestError",
    "CheckpointMemoryError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "SplitViewError",
    "UnprocessableEntityError",
]


class AlotError(Exception):
    """Base of every exception the SDK raises on purpose."""


class APIError(AlotError):
    """A request to the platform did not give a usable result."""

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """No answer: the connection was refused, reset or dropped before a response."""

    def __init__(self, message: str = "connection error", *, request: httpx.Request) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """No answer within the timeout."""

    def __init__(self, *, request: httpx.Request) -> None:
        super().__init__("request timed out", request=request)


class APIResponseValidationError(APIError):
    """The platform answered, but not in a shape this SDK version understands."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code


class APIStatusError(APIError):
    """The platform answered with an error status and a problem+json body.

    Attributes: `status_code`; `code` (stable reason, e.g. ``lot_state_conflict``);
    `problem_type` (``urn:alot:problem:<code>``); `title` and `detail` (for people);
    `request_id` (for support); `errors` (offending fields of a 422); `body` (the whole
    parsed problem, including any extra members); `response`.
    """

    def __init__(self, response: httpx.Response, body: dict[str, Any]) -> None:
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.code: str | None = _text(body.get("code"))
        self.problem_type: str | None = _text(body.get("type"))
        self.title: str | None = _text(body.get("title"))
        self.detail: str | None = _text(body.get("detail"))
        self.request_id: str | None = _text(body.get("request_id")) or response.headers.get(
            "x-request-id"
        )
        errors = body.get("errors")
        self.errors: list[dict[str, Any]] = errors if isinstance(errors, list) else []
        reason = self.detail or self.title or response.reason_phrase
        message = f"{self.status_code} {self.code or 'error'}: {reason}"
        if self.request_id:
            message += f" (request id {self.request_id})"
        super().__init__(message, request=response.request)


class BadRequestError(APIStatusError):
    """400: the request is malformed (e.g. a missing Idempotency-Key)."""


class AuthenticationError(APIStatusError):
    """401: no valid credentials (log in again if a refresh did not help)."""


class PaymentRequiredError(APIStatusError):
    """402: the payment provider refused the charge; nothing was bought."""


class PermissionDeniedError(APIStatusError):
    """403: authenticated, but not allowed (unverified email, missing role)."""


class NotFoundError(APIStatusError):
    """404: no such resource (or not visible to this caller)."""


class ConflictError(APIStatusError):
    """409: the platform's current state refuses the request (see `code`)."""


class UnprocessableEntityError(APIStatusError):
    """422: invalid input; `errors` lists the offending fields when the body had them."""


class RateLimitError(APIStatusError):
    """429: too many requests, or a cooldown (`retry_after`: seconds, when sent)."""

    def __init__(self, response: httpx.Response, body: dict[str, Any]) -> None:
        super().__init__(response, body)
        self.retry_after: float | None = parse_retry_after(response.headers.get("retry-after"))


class InternalServerError(APIStatusError):
    """5xx: a bug or an outage on the platform's side; quote `request_id`."""


class SplitViewError(AlotError, VerificationError):
    """The ledger showed two checkpoints that cannot both be true: the same size with
    another root, or a size whose consistency with the remembered one was not proved.

    Proof that the operator showed different ledgers to different people (or at
    different times), if both checkpoints are signed by its key: keep both notes.
    `remembered` is the checkpoint the memory held, `shown` the one just served
    (each a `CheckpointRecord`: origin, size, root_hash, note); `reason` says what
    failed.
    """

    def __init__(self, remembered: CheckpointRecord, shown: CheckpointRecord, reason: str) -> None:
        self.remembered = remembered
        self.shown = shown
        self.reason = reason
        super().__init__(
            f"SPLIT VIEW of ledger {shown.origin}: remembered checkpoint size"
            f" {remembered.size} root {remembered.root_hash}, shown size {shown.size}"
            f" root {shown.root_hash}: {reason}"
        )


class CheckpointMemoryError(AlotError):
    """A checkpoint memory cannot be used as asked: its file is unreadable or not a
    memory, or the verifier key pinned for a ledger is not the one it remembers."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(response: httpx.Response) -> APIStatusError:
    """The exception for an error response (its body must have been read)."""
    body = problem_body(response)
    if response.status_code >= 500:
        return InternalServerError(response, body)
    return _BY_STATUS.get(response.status_code, APIStatusError)(response, body)


def problem_body(response: httpx.Response) -> dict[str, Any]:
    """The problem+json body as a dict; {} when the body is not a JSON object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None if unusable."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0) if seconds == seconds else None  # NaN is unusable


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
