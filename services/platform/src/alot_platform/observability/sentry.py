"""Error reports to Sentry, with nothing personal in them.

``init_sentry`` starts the SDK when ALOT_SENTRY_DSN is set (the API processes, ``alot
worker`` and ``alot beat``); unset, nothing is sent and nothing is started. What leaves
is decided here, not by Sentry's defaults: ``send_default_pii`` is off, frames carry no
local variables, request bodies are never read, and every event, transaction and
breadcrumb goes through ``scrub`` before it is queued:

- the user, cookies, the request's body and environment (the client's address) are
  dropped; of the headers only a few harmless ones are kept (no Authorization, Cookie,
  CSRF token, forwarded-for or user agent); every query-string value is redacted;
- any field whose name says it is personal or secret (email, username, name, address,
  phone, ip, password, token, secret, ...) is replaced, wherever it is;
- every string (exception messages, log lines, URLs) loses email addresses, JWTs,
  bearer tokens, ``token=`` values, Stripe keys, IP addresses, credentials in URLs and
  the parameters SQLAlchemy prints with a failed statement.

Names and usernames cannot be recognised in free text: they stay out because the places
that hold them (bodies, locals, statement parameters, the user) are never sent.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Mapping
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import sentry_sdk
from sentry_sdk.integrations.logging import ignore_logger
from sentry_sdk.scrubber import EventScrubber

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

    from alot_platform.config import Settings

_log = logging.getLogger(__name__)

FILTERED = "[Filtered]"

_KEPT_HEADERS = frozenset(
    {"accept", "content-length", "content-type", "host", "x-request-id", "idempotency-key"}
)
"""Request headers a report keeps: nothing that names, authenticates or locates a person."""

_PERSONAL_WORDS = frozenset(
    {"name", "user", "login", "city", "street", "zip", "ip", "ips", "phone", "mobile", "dob"}
    | {"auth", "session", "body", "card", "line1", "line2", "country", "region"}
)
"""Words that, as a whole part of a field's name (``user_id``, ``shipping-city``), mark
its value as personal or secret."""
_PERSONAL_STEMS = (
    "email", "username", "fullname", "firstname", "lastname", "address", "postal",
    "postcode", "birth", "forwarded", "realip", "remoteaddr", "cookie", "authorization",
    "csrf", "xsrf", "token", "password", "passwd", "secret", "apikey", "privatekey",
    "credential", "signature", "dsn", "iban",
)  # fmt: skip
"""Stems that, anywhere in a field's name (``refresh_token``, ``X-CSRF-Token``), do."""

_STRUCTURAL_SECTIONS = frozenset({"contexts", "sdk", "modules", "debug_meta"})
"""Sentry's own sections (runtime, OS, trace ids): their keys are not ours to judge, but
their strings are still scrubbed."""

_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
_URL_CREDENTIALS = re.compile(r"([a-z][a-z0-9+.-]*://)[^/\s@:]+(:[^/\s@]*)?@", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_JWT = re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]*")
_BEARER = re.compile(r"\b(bearer|basic)\s+[^\s,;\"']+", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"([?&;](?:[\w.-]*token|code|key|secret|signature|sig|password|email)=)[^&#\s\"']*",
    re.IGNORECASE,
)
_STRIPE_SECRET = re.compile(r"\b(?:sk|rk)_(?:live|test)_\w+|\bwhsec_\w+")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}(?![\w:])")


def init_sentry(settings: Settings, service: str) -> bool:
    """Start reporting errors to Sentry if ALOT_SENTRY_DSN is set; True if it did."""
    if settings.sentry_dsn is None or not settings.sentry_dsn.get_secret_value().strip():
        return False
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value().strip(),
        environment=settings.sentry_environment or settings.env,
        release=f"alot-platform@{version('alot-platform')}",
        traces_sample_rate=settings.sentry_traces_sample_rate,
        # send_default_pii stays unset, i.e. off (sentry-sdk 2.x deprecates passing it in
        # favour of data_collection, which would turn Sentry's own scrubber off).
        event_scrubber=EventScrubber(send_default_pii=False, recursive=True),
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub,
        before_send_transaction=scrub,
        before_breadcrumb=scrub_breadcrumb,
    )
    sentry_sdk.get_global_scope().set_tag("service", service)
    # A failed task is reported with its exception (report_task_failure); the log line
    # saying so would only report it a second time.
    ignore_logger("alot_platform.outbox.service")
    _log.info("sentry: reporting errors as %s", service)
    return True


def report_task_failure(error: BaseException, *, task: str, final: bool) -> None:
    """Report a background task's failure (a no-op without Sentry): an error when it
    goes dead, a warning while it will be tried again."""
    if not sentry_sdk.get_client().is_active():
        return
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("task", task)
        scope.set_level("error" if final else "warning")
        sentry_sdk.capture_exception(error)


def scrub(event: Event, _hint: Hint | None = None) -> Event:
    """``event`` with nothing personal or secret left in it (see the module docstring)."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = _scrub_request(request)
    for exception in (event.get("exception") or {}).get("values") or []:
        _drop_frame_variables(exception.get("stacktrace"))
    for thread in (event.get("threads") or {}).get("values") or []:
        _drop_frame_variables(thread.get("stacktrace"))
    for section in list(event):
        value = event[section]  # type: ignore[literal-required]
        if section in _STRUCTURAL_SECTIONS:
            event[section] = _scrub_strings(value)  # type: ignore[literal-required]
        else:
            event[section] = _scrub_value(value)  # type: ignore[literal-required]
    return event


def scrub_breadcrumb(crumb: dict[str, Any], _hint: Hint | None = None) -> dict[str, Any]:
    """A breadcrumb (a log line, a query, an HTTP call) scrubbed like an event."""
    scrubbed: dict[str, Any] = _scrub_value(crumb)
    return scrubbed


def scrub_text(text: str) -> str:
    """``text`` without email addresses, tokens, keys, IP addresses or SQL parameters."""
    text = _SQL_PARAMETERS.sub("[parameters: " + FILTERED + "]", text)
    text = _URL_CREDENTIALS.sub(r"\1" + FILTERED + "@", text)
    text = _EMAIL.sub("[email]", text)
    text = _JWT.sub("[jwt]", text)
    text = _BEARER.sub(r"\1 " + FILTERED, text)
    text = _QUERY_SECRET.sub(r"\1" + FILTERED, text)
    text = _STRIPE_SECRET.sub(FILTERED, text)
    text = _IPV4.sub(_ip_or_same, text)
    return _IPV6_CANDIDATE.sub(_ip_or_same, text)


def _ip_or_same(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)  # a time, a version: not an address
    return "[ip]"


def _scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if "method" in request:
        kept["method"] = request["method"]
    if isinstance(request.get("url"), str):
        kept["url"] = request["url"].split("?", 1)[0]
    query = request.get("query_string")
    if isinstance(query, str) and query:
        kept["query_string"] = "&".join(
            f"{pair.split('=', 1)[0]}={FILTERED}" for pair in query.split("&") if pair
        )
    headers = request.get("headers")
    if isinstance(headers, Mapping):
        kept["headers"] = {
            name: value for name, value in headers.items() if name.lower() in _KEPT_HEADERS
        }
    return kept  # no cookies, data (the body) or env (the client's address)


def _is_personal(field: str) -> bool:
    parts = [part for part in re.split(r"[^a-z0-9]+", field.lower()) if part]
    joined = "".join(parts)
    return any(part in _PERSONAL_WORDS for part in parts) or any(
        stem in joined for stem in _PERSONAL_STEMS
    )


def _drop_frame_variables(stacktrace: Any) -> None:
    for frame in (stacktrace or {}).get("frames") or []:
        frame.pop("vars", None)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            key: FILTERED
            if isinstance(key, str) and _is_personal(key) and value[key] is not None
            else _scrub_value(value[key])
            for key in value
        }
    if isinstance(value, list | tuple):
        return [_scrub_value(item) for item in value]
    return value


def _scrub_strings(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {key: _scrub_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_strings(item) for item in value]
    return value
