"""Traces from a request to the task it enqueued, exported over real OTLP/HTTP.

A local HTTP server stands in for the collector: it decodes what the real exporter
sends (ExportTraceServiceRequest, protobuf). The purchase that funds a lot writes the
draw task; the task runs later on the outbox's own thread (no context carried over in
memory), so the only way its span can join the purchase's trace is the traceparent
stored with the row.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from alot_platform.config import Settings
from alot_platform.observability import tracing
from alot_platform.outbox.models import OutboxItem
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.platform.conftest import Api, FakeClock, LotDesk
from tests.platform.draws.conftest import DRAW_LOT_DEFAULTS

_SOLO_WORKER = ["--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]
_PURCHASE = "POST /api/lots/{lot_id}/entries/purchase"
_SERVER, _CLIENT, _CONSUMER = 2, 3, 5  # opentelemetry.proto Span.SpanKind


@dataclass(frozen=True)
class _Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]


class _Collector:
    """A stand-in for an OTLP/HTTP collector: keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[_Span] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                assert self.path == "/v1/traces"
                collector.spans.extend(_decode(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _decode(body: bytes) -> Iterator[_Span]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    for resource_spans in request.resource_spans:
        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield _Span(
                    service=resource["service.name"],
                    name=span.name,
                    kind=span.kind,
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(),
                    attributes={a.key: a.value.string_value for a in span.attributes},
                )


@pytest.fixture
def clock() -> FakeClock:
    # A Celery worker keeps real time: so do the apps here.
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def collector() -> Iterator[_Collector]:
    receiver = _Collector()
    yield receiver
    tracing.stop_tracing()  # before the collector goes: nothing left to send to it
    receiver.close()


@pytest.fixture(autouse=True)
def _no_tracing_left_behind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    yield
    tracing.stop_tracing()  # the provider is per process: never carried into another test


def _fund_a_lot(desk: LotDesk) -> str:
    """Three purchases of $4.50 against a $10 target: the third funds the lot (and
    writes its draw task). Returns the lot's id."""
    lot = desk.open_lot()
    player = desk.player(lot["id"])
    for _ in range(3):
        response = desk.buy(player, lot["id"], 1)
        assert response.status_code == 201, response.text
    return str(lot["id"])


def _wait_until_settled(client: TestClient, lot_id: str) -> None:
    """The draw runs on the outbox's thread after the purchase answered."""
    deadline = time.monotonic() + 60
    while client.get(f"/api/lots/{lot_id}/draw").json().get("lot_status") != "settled":
        assert time.monotonic() < deadline, "the draw task never settled the lot"
        time.sleep(0.05)


def _draw_row(client: TestClient, lot_id: str) -> OutboxItem:
    engine = client.app.state.platform.database.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        return session.scalars(select(OutboxItem).where(OutboxItem.key == f"draw:{lot_id}")).one()


def _exporter_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("OtelBatch")]


def test_a_purchase_and_the_draw_it_enqueued_are_one_trace(
    make_client: Callable[..., TestClient], clock: FakeClock, collector: _Collector
) -> None:
    client = make_client(otel_exporter_otlp_endpoint=collector.url, task_runner="thread")
    assert _exporter_threads()  # configured: the exporter runs
    # Emails, too, are sent on the outbox's thread, just after the answer.
    desk = LotDesk(client, Api(client, mail_wait=30), clock, **DRAW_LOT_DEFAULTS)
    lot_id = _fund_a_lot(desk)
    _wait_until_settled(client, lot_id)
    # The lot is settled inside the task; its span ends a moment later, once the row is
    # marked done. Stopping tracing before that drops the span ("Shutdown called,
    # ignoring Span"), so wait until it has been exported.
    deadline = time.monotonic() + 60
    while not [s for s in collector.spans if s.name == "outbox.run draw"]:
        assert time.monotonic() < deadline, "the task's span never arrived"
        active = tracing.active()
        assert active is not None
        active.provider.force_flush()
        time.sleep(0.05)
    row = _draw_row(client, lot_id)
    tracing.stop_tracing()  # sends every span still batched

    [draw] = [s for s in collector.spans if s.name == "outbox.run draw"]
    assert draw.kind == _CONSUMER
    assert draw.service == "alot-platform"
    assert draw.attributes["alot.task"] == "draw"
    assert draw.attributes["alot.outbox.id"] == str(row.id)
    assert draw.attributes["alot.task.outcome"] == "done"
    # Its parent is the purchase request that funded the lot, in the same trace.
    [funding] = [s for s in collector.spans if s.span_id == draw.parent_span_id]
    assert funding.name == _PURCHASE
    assert funding.kind == _SERVER
    assert funding.trace_id == draw.trace_id
    assert row.traceparent is not None
    assert row.traceparent.startswith(f"00-{draw.trace_id}-{funding.span_id}-")
    # Query strings keep their names, not their values (the mailbox's is an address).
    mailbox = [s for s in collector.spans if s.name == "GET /api/dev/mailbox"]
    assert mailbox
    assert all(s.attributes["http.url"].endswith("/api/dev/mailbox?to=[Filtered]") for s in mailbox)
    # The other purchases are traces of their own; no task hangs from them.
    purchases = [s for s in collector.spans if s.name == _PURCHASE]
    assert len(purchases) == 3
    assert len({s.trace_id for s in purchases}) == 3
    # The task's statements are its children (SQLAlchemy), as the request's are its.
    assert any(s.kind == _CLIENT and s.parent_span_id == draw.span_id for s in collector.spans)
    assert any(
        s.kind == _CLIENT and s.trace_id == funding.trace_id and s.parent_span_id == funding.span_id
        for s in collector.spans
    )


def test_nothing_is_traced_without_a_collector(
    client: TestClient, make_lot_desk: Callable[..., LotDesk], collector: _Collector
) -> None:
    lot_id = _fund_a_lot(make_lot_desk(**DRAW_LOT_DEFAULTS))
    _wait_until_settled(client, lot_id)
    assert tracing.active() is None
    assert _exporter_threads() == []
    assert _draw_row(client, lot_id).traceparent is None
    assert collector.spans == []


def test_the_standard_variable_turns_tracing_on(
    make_client: Callable[..., TestClient],
    collector: _Collector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    client = make_client()
    assert client.get("/api/lots").status_code == 200
    tracing.stop_tracing()
    assert any(s.name == "GET /api/lots" and s.kind == _SERVER for s in collector.spans)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_celery_worker_runs_the_task_in_the_request_trace(
    db_url: str,
    redis_url: str,
    client: TestClient,
    make_client: Callable[..., TestClient],
    make_lot_desk: Callable[..., LotDesk],
    collector: _Collector,
    tmp_path: Path,
) -> None:
    """Production's runner: the API publishes the row's id to Redis; `alot worker`, an
    other process, runs it and exports its span as alot-worker, in the request's trace."""
    prefix = os.environ["ALOT_TEST_REDIS_PREFIX"] + "celery:"  # removed after the test
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALOT_", "OTEL_"))}
    env.update(
        ALOT_ENV="development",
        ALOT_VAR_DIR=str(tmp_path / "var"),  # the apps' keys
        ALOT_DATABASE_URL=db_url,
        ALOT_REDIS_URL=redis_url,
        ALOT_REDIS_PREFIX=prefix,
        ALOT_TASK_RUNNER="celery",
        ALOT_OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
        OTEL_BSP_SCHEDULE_DELAY="100",  # export within a moment: the worker is killed after
    )
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "alot"), "worker", *_SOLO_WORKER],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # Set up on the untraced app (its tasks run inline); fund through the traced one.
        desk = make_lot_desk(**DRAW_LOT_DEFAULTS)
        lot = desk.open_lot()
        player = desk.player(lot["id"])
        for _ in range(2):
            assert desk.buy(player, lot["id"], 1).status_code == 201
        traced = make_client(
            otel_exporter_otlp_endpoint=collector.url,
            task_runner="celery",
            redis_url=redis_url,
            redis_prefix=prefix,
        )
        desk.client = traced
        assert desk.buy(player, lot["id"], 1).status_code == 201  # funds the lot
        _wait_until_settled(traced, lot["id"])
        deadline = time.monotonic() + 60
        while not [s for s in collector.spans if s.name == "outbox.run draw"]:
            assert worker.poll() is None, "the worker ended"
            assert time.monotonic() < deadline, "the worker's span never arrived"
            time.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    tracing.stop_tracing()

    [draw] = [s for s in collector.spans if s.name == "outbox.run draw"]
    assert draw.service == "alot-worker"
    [funding] = [s for s in collector.spans if s.span_id == draw.parent_span_id]
    assert (funding.name, funding.service) == (_PURCHASE, "alot-platform")
    assert funding.trace_id == draw.trace_id
    worker_statements = [
        s for s in collector.spans if s.service == "alot-worker" and s.kind == _CLIENT
    ]
    assert any(s.parent_span_id == draw.span_id for s in worker_statements)


def test_an_endpoint_that_is_not_a_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="must be an http"):
        Settings(otel_exporter_otlp_endpoint="otel-collector:4318")
