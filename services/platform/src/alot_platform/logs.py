"""Structured JSON logs and the request context: an id on every request, response and line.

Each request gets an id (the caller's `X-Request-ID` if it is a sane token, else a new
one); it is echoed in the `X-Request-ID` response header, put in every log line written
while the request runs, and in every problem body. This outermost middleware also turns
an unhandled exception into the one generic 500 problem, so even a bug's response
carries the id that finds its traceback in the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alot_platform.errors import internal_error_response

request_id_var: ContextVar[str | None] = ContextVar("alot_request_id", default=None)
_log = logging.getLogger("alot_platform.access")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key != "request_id" and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marker type, so configuring twice replaces our handler instead of adding one."""


_TOKEN_IN_QUERY = re.compile(r"([?&](?:access_)?token=)[^&\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every query-string token replaced (``/api/ws?token=...``)."""
    return _TOKEN_IN_QUERY.sub(r"\1[redacted]", text)


class _RedactTokens(logging.Filter):
    """Keeps access tokens sent in a query string out of the logs: uvicorn logs each
    WebSocket handshake's path with its query string (``"WebSocket /api/ws?token=..."``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the handler reports it, as without us
            return True
        if "token=" in message.lower():
            record.msg, record.args = redact(message), None
        return True


def _stamp_request_id(
    factory: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = request_id_var.get()
        return record

    make_record._alot_stamps_request_id = True  # type: ignore[attr-defined]
    return make_record


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr; every record created during a request carries its id."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "_alot_stamps_request_id", False):
        logging.setLogRecordFactory(_stamp_request_id(factory))
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _JsonHandler):
            root.removeHandler(handler)
    handler = _JsonHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(_RedactTokens())
    root.addHandler(handler)
    root.setLevel(level.upper())


class RequestContextMiddleware:
    """Request id, access log line, and the last-resort 500 (see module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logging.getLogger("alot_platform").exception(
                "unhandled error", extra={"method": scope["method"], "path": scope["path"]}
            )
            if response_started:
                raise
            await internal_error_response(request_id)(scope, receive, send_with_id)
        finally:
            _log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None
