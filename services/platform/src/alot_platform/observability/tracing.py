"""Traces with OpenTelemetry, from a request to the background tasks it caused.

Tracing is on when ALOT_OTEL_EXPORTER_OTLP_ENDPOINT (or the standard
OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) names a collector:
one TracerProvider per process (``service.name`` alot-platform for the API, alot-worker
for Celery workers), spans batched to it over OTLP/HTTP. Off, nothing is built: no
provider, no exporter thread, and the hooks below return at once.

- Requests: a server span per HTTP request, named by its route template
  (``POST /api/lots/{lot_id}/entries/purchase``); the WebSocket and the health probes are
  not traced (the WebSocket's URL carries its access token).
- Database: a client span per statement (SQLAlchemy), inside whatever span is current.
- Tasks: an outbox row remembers the W3C ``traceparent`` of the span that wrote it
  (``current_traceparent``, column ``outbox.traceparent``); whichever runner runs it
  (a thread, inline, a Celery worker, the sweep, hours later) opens its span
  ``outbox.run <task>`` as a child of that one (``task_span``), so a purchase and the
  draw and settlement it triggered are one trace.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider

    from alot_platform.config import Settings
    from alot_platform.db import Database

_log = logging.getLogger(__name__)

API_SERVICE = "alot-platform"
WORKER_SERVICE = "alot-worker"

_UNTRACED_URLS = "/api/ws,/healthz,/readyz,/metrics"
"""Not traced: the WebSocket (its URL holds a token; it lives for hours) and probes."""
_STANDARD_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_propagator = TraceContextTextMapPropagator()


class Tracing:
    """This process's tracer provider and the instrumentation hung on it."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("alot_platform", version("alot-platform"))
        self.database_instrumented = False

    def shutdown(self) -> None:
        """Send what is batched, stop the exporter, take the instrumentation off."""
        if self.database_instrumented:
            from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

            EngineTracer.remove_all_event_listeners()  # type: ignore[no-untyped-call]
        self.provider.shutdown()


_active: Tracing | None = None


def active() -> Tracing | None:
    """The process's tracing, or None when it is off."""
    return _active


def start_tracing(settings: Settings, service: str) -> Tracing | None:
    """Start tracing this process as ``service`` if a collector is configured (once per
    process: a second call returns the tracing already started)."""
    global _active
    if _active is not None:
        return _active
    endpoint = settings.otel_exporter_otlp_endpoint
    if endpoint is None and not any(os.environ.get(name) for name in _STANDARD_ENDPOINTS):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create(
            {
                SERVICE_NAME: service,
                SERVICE_VERSION: version("alot-platform"),
                "deployment.environment.name": settings.env,
            }
        )
    )
    exporter = (
        OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
        if endpoint is not None
        else OTLPSpanExporter()  # the standard OTEL_EXPORTER_OTLP_* variables
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _active = Tracing(provider)
    _log.info("tracing: %s exports spans over OTLP/HTTP", service)
    return _active


def stop_tracing() -> None:
    """Flush and stop this process's tracing (at shutdown; tests between runs)."""
    global _active
    tracing, _active = _active, None
    if tracing is not None:
        tracing.shutdown()


def instrument_app(app: FastAPI, database: Database, settings: Settings) -> None:
    """Trace the API's requests and their statements, if tracing is configured."""
    tracing = start_tracing(settings, API_SERVICE)
    if tracing is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        server_request_hook=_without_query_values,
        tracer_provider=tracing.provider,
        excluded_urls=_UNTRACED_URLS,
        exclude_spans=["receive", "send"],
    )
    instrument_database(database)


def _without_query_values(span: trace.Span, scope: dict[str, Any]) -> None:
    """A request span's URL keeps its query's names, not their values (an address to
    look up, a token): traces are not a store of personal data."""
    query = scope.get("query_string") or b""
    if not query or not span.is_recording():
        return
    names = [pair.split(b"=", 1)[0].decode("latin-1") for pair in query.split(b"&") if pair]
    redacted = "&".join(f"{name}=[Filtered]" for name in names)
    path = scope.get("root_path", "") + scope.get("path", "")
    host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
    span.set_attribute("http.url", f"{scope.get('scheme', 'http')}://{host}{path}?{redacted}")
    span.set_attribute("url.query", redacted)


def instrument_database(database: Database) -> None:
    """Trace the statements run on ``database``'s engine."""
    tracing = _active
    if tracing is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpUpDownCounter

    # The engine's tracer itself, not SQLAlchemyInstrumentor: the instrumentor also wraps
    # create_engine and create_async_engine process-wide (which imports greenlet, not a
    # dependency) and refuses SQLAlchemy 2.1 by its declared range, though the engine
    # events it hooks are the same in 2.1. Pool usage is Prometheus's (no OTel metrics).
    EngineTracer(  # type: ignore[no-untyped-call]
        tracing.tracer, database.engine, NoOpUpDownCounter("db.client.connections.usage")
    )
    tracing.database_instrumented = True


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, to store with work done later (None
    when nothing is being traced)."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def task_span(task: str, item_id: uuid.UUID, traceparent: str | None) -> Iterator[trace.Span]:
    """The span of one run of outbox row ``item_id``: a child of the span that wrote the
    row (``traceparent``); one written untraced is a child of the current span, if any."""
    tracing = _active
    if tracing is None:
        yield trace.INVALID_SPAN
        return
    parent = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    with tracing.tracer.start_as_current_span(
        f"outbox.run {task}",
        context=parent,
        kind=trace.SpanKind.CONSUMER,
        attributes={"alot.task": task, "alot.outbox.id": str(item_id)},
    ) as span:
        yield span


@contextmanager
def job_span(name: str) -> Iterator[trace.Span]:
    """The span of a periodic job (the tick, the outbox sweep): its statements hang from
    it instead of being traces of their own."""
    tracing = _active
    if tracing is None:
        yield trace.INVALID_SPAN
        return
    with tracing.tracer.start_as_current_span(name, kind=trace.SpanKind.INTERNAL) as span:
        yield span
