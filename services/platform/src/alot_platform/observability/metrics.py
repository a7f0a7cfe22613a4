"""The technical metrics, and the small functions the rest of the platform records them with.

Each is a prometheus_client object on the default registry, created when this module
is imported. With ``PROMETHEUS_MULTIPROC_DIR`` set *before* that import (``alot serve``
and ``alot worker`` see to it: alot_platform.observability.exposition) every process
writes its values to its own files there and a scrape sums them; otherwise they live in
this process's memory (``alot run``, tests).

Adding a metric elsewhere: create it at module level like these. A gauge must say how
processes combine (``multiprocess_mode``): "livesum" for a quantity each live process
holds (connections, requests in flight), "mostrecent" for a figure the last writer
decides (a reconciliation's result), "max" for a high-water mark. Label values must come
from a small fixed set (never an id, a path or a user's input).
"""

from __future__ import annotations

import time
from typing import Any

from alot_ledger.appender import observe_appends
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Engine, event

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "alot_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "alot_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method, route and status",
    ["method", "route", "status"],
)
HTTP_REQUESTS_IN_FLIGHT = Gauge(
    "alot_http_requests_in_flight",
    "HTTP requests being answered now (WebSockets not included)",
    multiprocess_mode="livesum",
)

DB_POOL_CHECKED_OUT = Gauge(
    "alot_db_pool_checked_out",
    "Database connections lent out of the pool now",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "alot_db_pool_size",
    "Connections the database pools may hold (pool size + overflow, summed over processes)",
    multiprocess_mode="livesum",
)
DB_QUERY_DURATION = Histogram(
    "alot_db_query_duration_seconds",
    "Time a database statement takes (sent through SQLAlchemy)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

CACHE_REQUESTS = Counter(
    "alot_cache_requests_total",
    "Cache lookups of public reads, by family and result (hit or miss)",
    ["family", "result"],
)

WS_CONNECTIONS = Gauge(
    "alot_ws_connections",
    "WebSocket connections open now (GET /api/ws)",
    multiprocess_mode="livesum",
)

TASKS = Counter(
    "alot_tasks_total",
    "Outbox task runs, by handler and outcome (done, failed: will retry, dead: gave up)",
    ["handler", "outcome"],
)
TASK_DURATION = Histogram(
    "alot_task_duration_seconds",
    "Time an outbox task's handler ran (emails: handler 'email')",
    ["handler"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
TASK_FAILURES = Counter(
    "alot_task_failures_total",
    "Outbox task runs that raised (failed or dead)",
    ["handler"],
)

LEDGER_APPEND_DURATION = Histogram(
    "alot_ledger_append_duration_seconds",
    "Time from asking for the ledger's chain-head lock to sending an append's writes",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
LEDGER_APPEND_BATCH_SIZE = Histogram(
    "alot_ledger_append_batch_size",
    "Transactions written by one ledger append (a hot lot's purchases share one)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)

COLLECTOR_ERRORS = Counter(
    "alot_metrics_collector_errors_total",
    "Scrapes whose database figures could not be read (they are left out; see the log)",
)

TASK_OUTCOMES = ("done", "failed", "dead")


def record_task(handler: str, outcome: str, seconds: float) -> None:
    """One run of an outbox task that ended ``done``, ``failed`` or ``dead``."""
    TASKS.labels(handler, outcome).inc()
    TASK_DURATION.labels(handler).observe(seconds)
    if outcome != "done":
        TASK_FAILURES.labels(handler).inc()


def count_cache(family: str, *, hit: bool, n: int = 1) -> None:
    CACHE_REQUESTS.labels(family, "hit" if hit else "miss").inc(n)


def instrument_engine(engine: Engine, capacity: int) -> None:
    """Count ``engine``'s pool use and time its statements (call once per engine)."""
    DB_POOL_SIZE.inc(capacity)
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", _checked_in)
    event.listen(engine, "before_cursor_execute", _statement_starts)
    event.listen(engine, "after_cursor_execute", _statement_ends)


def forget_engine(capacity: int) -> None:
    """``instrument_engine``'s engine was disposed: its pool is gone."""
    DB_POOL_SIZE.dec(capacity)


def _checked_out(*_: Any) -> None:
    DB_POOL_CHECKED_OUT.inc()


def _checked_in(*_: Any) -> None:
    DB_POOL_CHECKED_OUT.dec()


_STARTED = "_alot_statement_started"


def _statement_starts(
    _conn: Any, _cursor: Any, _statement: Any, _params: Any, context: Any, _many: bool
) -> None:
    # On the execution context: one per statement, gone with it if the statement fails.
    if context is not None:
        setattr(context, _STARTED, time.perf_counter())


def _statement_ends(
    _conn: Any, _cursor: Any, _statement: Any, _params: Any, context: Any, _many: bool
) -> None:
    started = getattr(context, _STARTED, None)
    if started is not None:
        DB_QUERY_DURATION.observe(time.perf_counter() - started)


def _ledger_appended(transactions: int, seconds: float) -> None:
    LEDGER_APPEND_DURATION.observe(seconds)
    LEDGER_APPEND_BATCH_SIZE.observe(transactions)


# Every append the platform makes, whichever domain makes it (alot_ledger.appender).
observe_appends(_ledger_appended)
