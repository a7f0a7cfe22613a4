"""GET /metrics on the real app: who may read it, and what real requests, tasks, purchases,
cache reads, WebSockets and database rows make of the figures.

The test process keeps one set of metrics for all its apps, so each test compares a
scrape after with a scrape before.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alot_platform.config import Settings
from alot_platform.db import Database, unit_of_work
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.observability.collector import DatabaseCollector
from alot_platform.observability.exposition import scrape_registry
from alot_platform.outbox import service as outbox
from alot_platform.outbox.models import OutboxItem, OutboxStatus
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ..conftest import BASE_URL, Api, FakeClock, LotDesk

TOKEN = "metrics-token-of-the-test-run"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

Figures = dict[tuple[str, frozenset[tuple[str, str]]], float]


def figures_of(text: str) -> Figures:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: TestClient) -> Figures:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return figures_of(response.text)


def value(figures: Figures, name: str, **labels: str) -> float:
    return figures.get((name, frozenset(labels.items())), 0.0)


def series(figures: Figures, name: str) -> list[dict[str, str]]:
    return [dict(labels) for found, labels in figures if found == name]


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(metrics_token=TOKEN)


# -- who may read it ---------------------------------------------------------------


def test_without_a_token_only_a_direct_loopback_client_reads_the_metrics(
    make_client: Callable[..., TestClient],
) -> None:
    app = make_client().app
    remote = TestClient(app, base_url=BASE_URL, client=("203.0.113.7", 40000))
    response = remote.get("/metrics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "alot_" not in response.text

    for address in ("127.0.0.1", "::1"):
        local = TestClient(app, base_url=BASE_URL, client=(address, 40000))
        response = local.get("/metrics")
        assert response.status_code == 200, address
        assert "alot_http_requests_total" in response.text

    # A reverse proxy on this host: the peer is loopback, the client is not.
    local = TestClient(app, base_url=BASE_URL, client=("127.0.0.1", 40000))
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        response = local.get("/metrics", headers={header: "203.0.113.7"})
        assert response.status_code == 404, header


def test_with_a_token_every_client_must_send_it(client: TestClient) -> None:
    local = TestClient(client.app, base_url=BASE_URL, client=("127.0.0.1", 40000))
    for caller in (client, local):
        missing = caller.get("/metrics")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.headers["content-type"] == "application/problem+json"
        wrong = caller.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status_code == 403
        assert "alot_" not in wrong.text
        basic = caller.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        assert basic.status_code == 401
        assert caller.get("/metrics", headers=AUTH).status_code == 200


def test_metrics_is_not_in_the_api_description(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_the_web_client_never_answers_for_the_metrics(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>ALOT!</title>")
    client = make_client(metrics_token=TOKEN, web_dir=dist)
    assert "<title>ALOT!</title>" in client.get("/lots/anything").text  # the client is there
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert "alot_http_requests_total" in response.text
    assert client.get("/metrics").status_code == 401


# -- HTTP --------------------------------------------------------------------------


_AN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_requests_are_counted_by_route_template_never_by_path(client: TestClient) -> None:
    before = scrape(client)
    for _ in range(2):
        assert client.get(f"/api/lots/{uuid.uuid4()}").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/healthz").status_code == 200
    after = scrape(client)

    lot = {"method": "GET", "route": "/api/lots/{lot_id}", "status": "404"}
    assert (
        value(after, "alot_http_requests_total", **lot)
        - value(before, "alot_http_requests_total", **lot)
        == 2
    )
    count = "alot_http_request_duration_seconds_count"
    assert value(after, count, **lot) - value(before, count, **lot) == 2
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert (
        value(after, "alot_http_requests_total", **unmatched)
        - value(before, "alot_http_requests_total", **unmatched)
        == 1
    )
    health = {"method": "GET", "route": "/healthz", "status": "200"}
    assert (
        value(after, "alot_http_requests_total", **health)
        - value(before, "alot_http_requests_total", **health)
        == 1
    )
    # No raw path, no id: whatever other requests this process served before (the
    # registry is the process's), every label is a template.
    routes = {labels["route"] for labels in series(after, "alot_http_requests_total")}
    raw = [route for route in routes if "/no/such" in route or _AN_ID.search(route)]
    assert not raw, raw


def test_a_refused_request_is_labelled_with_the_route_it_asked_for(client: TestClient) -> None:
    before = scrape(client)
    response = client.delete("/healthz")  # the route exists, the method does not
    assert response.status_code == 405
    after = scrape(client)
    labels = {"method": "DELETE", "route": "/healthz", "status": "405"}
    assert (
        value(after, "alot_http_requests_total", **labels)
        - value(before, "alot_http_requests_total", **labels)
        == 1
    )


def test_requests_in_flight_count_the_scrape_itself_and_nothing_left_over(
    client: TestClient,
) -> None:
    for _ in range(3):
        client.get("/healthz")
    assert value(scrape(client), "alot_http_requests_in_flight") == 1  # this scrape


# -- database, cache, ledger, WebSockets ---------------------------------------------


def test_database_pool_and_statements_are_measured(client: TestClient) -> None:
    settings: Settings = client.app.state.platform.settings  # type: ignore[attr-defined]
    before = scrape(client)
    assert client.get("/readyz").status_code == 200
    after = scrape(client)
    capacity = settings.db_pool_size + settings.db_max_overflow
    assert value(after, "alot_db_pool_size") >= capacity
    # The scrape's own database figures hold one connection while it runs, not after.
    assert value(after, "alot_db_pool_checked_out") == value(before, "alot_db_pool_checked_out")
    count = "alot_db_query_duration_seconds_count"
    assert value(after, count) > value(before, count)


def test_cache_hits_and_misses_are_counted(client: TestClient, clock: FakeClock) -> None:
    desk = LotDesk(client, Api(client), clock)
    lot_id = desk.open_lot()["id"]
    before = scrape(client)
    for _ in range(3):
        assert client.get(f"/api/lots/{lot_id}").status_code == 200
    after = scrape(client)

    def delta(result: str) -> float:
        labels = {"family": "lot", "result": result}
        return value(after, "alot_cache_requests_total", **labels) - value(
            before, "alot_cache_requests_total", **labels
        )

    assert delta("miss") >= 1
    assert delta("hit") >= 1
    assert delta("hit") + delta("miss") >= 3


def test_a_purchase_is_a_ledger_append(client: TestClient, clock: FakeClock) -> None:
    desk = LotDesk(client, Api(client), clock)
    lot_id = desk.open_lot()["id"]
    player = desk.player(lot_id)
    before = scrape(client)
    assert desk.buy(player, lot_id).status_code == 201
    after = scrape(client)
    for name in ("alot_ledger_append_duration_seconds", "alot_ledger_append_batch_size"):
        assert value(after, f"{name}_count") > value(before, f"{name}_count"), name
    assert value(after, "alot_ledger_append_batch_size_sum") > value(
        before, "alot_ledger_append_batch_size_sum"
    )


def test_websocket_connections_are_counted_while_open_and_not_as_requests(
    client: TestClient,
) -> None:
    before = scrape(client)
    with client.websocket_connect("/api/ws") as ws:
        assert ws.receive_json()["type"] == "welcome"
        during = scrape(client)
    after = scrape(client)
    connections = "alot_ws_connections"
    assert value(during, connections) == value(before, connections) + 1
    assert value(after, connections) == value(before, connections)
    routes = {labels["route"] for labels in series(after, "alot_http_requests_total")}
    assert "/api/ws" not in routes


# -- outbox tasks --------------------------------------------------------------------


def test_task_runs_are_counted_by_handler_and_outcome(
    make_client: Callable[..., TestClient], clock: FakeClock
) -> None:
    client = make_client(metrics_token=TOKEN, task_max_attempts=2)
    platform = client.app.state.platform  # type: ignore[attr-defined]
    before = scrape(client)
    Api(client).register()  # its verification email runs inline: done
    with contextmanager(unit_of_work)(platform.database) as session:
        outbox.enqueue_task(  # a draw of a lot that does not exist: fails every time
            session,
            task="draw",
            key=f"draw:{uuid.uuid4()}",
            payload={"lot_id": str(uuid.uuid4())},
            now=clock(),
        )
    clock.advance(hours=2)  # past its backoff
    assert outbox.run_due(platform).failed == 1  # the second attempt: dead
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("alot_tasks_total", handler="email", outcome="done") == 1
    assert delta("alot_tasks_total", handler="draw", outcome="failed") == 1
    assert delta("alot_tasks_total", handler="draw", outcome="dead") == 1
    assert delta("alot_task_failures_total", handler="draw") == 2
    assert delta("alot_task_failures_total", handler="email") == 0
    assert delta("alot_task_duration_seconds_count", handler="draw") == 2
    assert delta("alot_task_duration_seconds_count", handler="email") == 1
    assert value(after, "alot_outbox_dead") == 1


# -- figures read from the database ---------------------------------------------------


def test_database_figures_follow_the_rows(client: TestClient, clock: FakeClock) -> None:
    settings: Settings = client.app.state.platform.settings  # type: ignore[attr-defined]
    database: Database = client.app.state.platform.database  # type: ignore[attr-defined]
    desk = LotDesk(client, Api(client), clock)
    funded_id, drawing_id, _open_id = (uuid.UUID(desk.open_lot()["id"]) for _ in range(3))
    with contextmanager(unit_of_work)(database) as session:
        # A lot funded now, another drawing since now; a third stays open.
        funded = session.get(Lot, funded_id)
        drawing = session.get(Lot, drawing_id)
        assert funded is not None
        assert drawing is not None
        funded.status, funded.funded_at = LotStatus.FUNDED.value, clock()
        drawing.status, drawing.drawing_at = LotStatus.DRAWING.value, clock()
        # Two tasks due since now, one due tomorrow, one dead; none run (no relay told).
        for n, (status, due) in enumerate(
            [
                (OutboxStatus.PENDING, clock() - timedelta(minutes=5)),
                (OutboxStatus.PENDING, clock()),
                (OutboxStatus.PENDING, clock() + timedelta(days=1)),
                (OutboxStatus.DEAD, clock()),
            ]
        ):
            session.add(
                OutboxItem(
                    id=uuid.uuid4(),
                    key=f"metrics-test:{n}",
                    task="draw",
                    payload={},
                    status=status.value,
                    attempts=0,
                    created_at=clock(),
                    next_attempt_at=due,
                )
            )

    fresh = scrape(client)
    assert value(fresh, "alot_lots", status="funded") == 1
    assert value(fresh, "alot_lots", status="drawing") == 1
    assert value(fresh, "alot_lots", status="open") == 1
    assert value(fresh, "alot_lots", status="settled") == 0
    assert value(fresh, "alot_lots_stuck", status="funded") == 0
    assert value(fresh, "alot_lots_stuck", status="drawing") == 0
    assert value(fresh, "alot_outbox_pending", kind="task") == 2
    assert value(fresh, "alot_outbox_pending", kind="email") == 0
    assert value(fresh, "alot_outbox_lag_seconds") == 5 * 60
    assert value(fresh, "alot_outbox_dead") == 1

    clock.advance(minutes=settings.stuck_lot_minutes + 1)
    later = scrape(client)
    assert value(later, "alot_lots_stuck", status="funded") == 1
    assert value(later, "alot_lots_stuck", status="drawing") == 1
    assert value(later, "alot_outbox_lag_seconds") == (5 + settings.stuck_lot_minutes + 1) * 60


def test_the_stuck_threshold_is_a_setting(
    make_client: Callable[..., TestClient], clock: FakeClock
) -> None:
    client = make_client(metrics_token=TOKEN, stuck_lot_minutes=5)
    database: Database = client.app.state.platform.database  # type: ignore[attr-defined]
    lot_id = uuid.UUID(LotDesk(client, Api(client), clock).open_lot()["id"])
    with contextmanager(unit_of_work)(database) as session:
        lot = session.get(Lot, lot_id)
        assert lot is not None
        lot.status, lot.funded_at = LotStatus.FUNDED.value, clock()
    clock.advance(minutes=4)
    assert value(scrape(client), "alot_lots_stuck", status="funded") == 0
    clock.advance(minutes=2)
    assert value(scrape(client), "alot_lots_stuck", status="funded") == 1


def test_a_checkpoint_has_an_age(client: TestClient, clock: FakeClock) -> None:
    from alot_platform.scheduler import ledger_checkpointer

    platform = client.app.state.platform  # type: ignore[attr-defined]
    assert "alot_ledger_checkpoint_age_seconds" not in {name for name, _ in scrape(client)}
    desk = LotDesk(client, Api(client), clock)
    lot_id = desk.open_lot()["id"]
    assert desk.buy(desk.player(lot_id), lot_id).status_code == 201  # something to sign
    # Unsigned transactions are as stale as their first one: the alert can see a ledger
    # that was never signed.
    clock.now = datetime.now(UTC) + timedelta(hours=2)  # the ledger stamps real time
    assert value(scrape(client), "alot_ledger_checkpoint_age_seconds") >= 7000
    ledger_checkpointer(platform).checkpoint(platform.database.engine)
    assert value(scrape(client), "alot_ledger_checkpoint_age_seconds") < 7300


def test_a_database_error_leaves_its_figures_out_and_is_counted(
    make_settings: Callable[..., Settings], clock: FakeClock, tmp_path: Any
) -> None:
    settings = make_settings()
    unreachable = Database(f"sqlite:///{tmp_path / 'no-such-folder' / 'alot.db'}")
    try:
        registry = scrape_registry(DatabaseCollector(unreachable, clock, settings))
        before = figures_of(generate_latest(registry).decode())
        after = figures_of(generate_latest(registry).decode())
    finally:
        unreachable.dispose()
    names = {name for name, _ in after}
    assert "alot_lots" not in names
    assert "alot_outbox_pending" not in names
    assert "alot_http_requests_total" in names  # the rest of the scrape is there
    errors = "alot_metrics_collector_errors_total"
    assert value(after, errors) == value(before, errors) + 1
