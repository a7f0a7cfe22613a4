"""Errors: one base class, one renderer, RFC 9457 `application/problem+json` everywhere.

Every expected failure is an `AlotError` subclass with an HTTP status and a stable
`code`; clients branch on `code` (also carried in `type` as `urn:alot:problem:<code>`),
never on the human-readable `title`/`detail`. Request validation failures are problems
too (code `validation_error`) listing the offending fields. A 500 is always a bug.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from alot_platform.types import MULTILINE_TEXT_PATTERN, PLAIN_TEXT_PATTERN

PROBLEM_CONTENT_TYPE = "application/problem+json"
_log = logging.getLogger(__name__)


class AlotError(Exception):
    """Base of every expected platform error. Subclass it per domain failure."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"
    # A failure whose side effects must persist (e.g. revoking a token family when a
    # stolen refresh token is replayed) sets this, and the unit of work commits.
    keeps_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.title
        self.headers = dict(headers or {})
        self.extra = extra
        super().__init__(self.detail)


class NotFound(AlotError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class Conflict(AlotError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class NotAuthenticated(AlotError):
    status_code = 401
    code = "not_authenticated"
    title = "Authentication required"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class Forbidden(AlotError):
    status_code = 403
    code = "forbidden"
    title = "Forbidden"


class RateLimited(AlotError):
    status_code = 429
    code = "rate_limited"
    title = "Too many requests"


class InvalidInput(AlotError):
    """Input that is well-formed but breaks a rule (e.g. a common password): 422."""

    status_code = 422
    code = "invalid_input"
    title = "Invalid input"


# -- compliance (terms, identity, country rules; see alot_platform/compliance) -------------


class TermsNotAccepted(Forbidden):
    """The player has not accepted the current terms and privacy notice (extra:
    ``terms_version``, ``privacy_version``: the versions to accept)."""

    code = "terms_not_accepted"
    title = "Accept the current terms to continue"


class IdentityRequired(Forbidden):
    code = "identity_required"
    title = "Identity check required"


class CountryNotAllowed(Forbidden):
    """A country outside ALOT_ALLOWED_COUNTRIES (extra: ``country``)."""

    code = "country_not_allowed"
    title = "Not available in this country"


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="where in the request, e.g. ['body', 'email']")
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response body."""

    type: str = Field(description="urn:alot:problem:<code>")
    title: str
    status: int
    detail: str
    code: str = Field(description="stable machine-readable error code")
    request_id: str | None = None
    errors: list[FieldProblem] | None = Field(
        default=None, description="offending fields, for validation errors"
    )


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[FieldProblem] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:alot:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors]
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_CONTENT_TYPE
    )


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _alot_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AlotError)
    return problem_response(
        error.status_code,
        error.code,
        error.title,
        error.detail,
        request_id=_request_id(request),
        headers=error.headers,
        extra=error.extra,
    )


def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    fields = [
        FieldProblem(
            loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            message=_TEXT_RULES.get(str((e.get("ctx") or {}).get("pattern")))
            or str(e.get("msg", "invalid")),
            type=str(e.get("type", "value_error")),
        )
        for e in error.errors()
    ]
    names = ", ".join(".".join(str(p) for p in f.loc[1:]) or str(f.loc[0]) for f in fields[:5])
    return problem_response(
        422,
        "validation_error",
        "Invalid request",
        f"the request has invalid fields: {names}" if names else "the request is invalid",
        request_id=_request_id(request),
        errors=fields,
    )


# The free-text patterns (alot_platform.types), said in words rather than as a regex.
_TEXT_RULES = {
    PLAIN_TEXT_PATTERN: "must not contain control characters or bidirectional overrides",
    MULTILINE_TEXT_PATTERN: "must not contain control characters (other than line feeds and"
    " tabs) or bidirectional overrides",
}

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    431: "request_header_fields_too_large",
}


def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, f"http_{error.status_code}")
    title = code.replace("_", " ").capitalize()
    detail = error.detail if isinstance(error.detail, str) else title
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(
        error.status_code,
        code,
        title,
        detail,
        request_id=_request_id(request),
        headers=headers,
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method of the request's path. (Starlette's 405 names only those of the first
    route matching the path, while each method of a path is a route of its own.)"""
    methods: set[str] = set()
    scope = {**request.scope, "method": ""}
    for route in iter_route_contexts(request.app.router.routes):
        if route.methods and route.matches(scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods)


def _database_error(request: Request, error: Exception) -> JSONResponse:
    """A connection the database dropped (restarted, failed over, or the connection was
    terminated) is not a bug: 503, retry. The unit of work rolled back, so a retry with
    the same Idempotency-Key makes the purchase at most once. Other database errors stay
    500s (raised on to the server's error handling, which logs and reports them)."""
    assert isinstance(error, DBAPIError)
    if not error.connection_invalidated:
        raise error
    _log.warning("the database connection was lost: %s", type(error.orig).__name__)
    return problem_response(
        503,
        "database_unavailable",
        "Service unavailable",
        "the database connection was lost; retry the request (with the same"
        " Idempotency-Key where it has one)",
        request_id=_request_id(request),
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AlotError, _alot_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def internal_error_response(request_id: str | None) -> JSONResponse:
    """The one response for a bug: no detail leaks, the request id finds the log line."""
    return problem_response(
        500,
        "internal_error",
        "Internal server error",
        "an unexpected error occurred; quote the request id when reporting it",
        request_id=request_id,
    )
