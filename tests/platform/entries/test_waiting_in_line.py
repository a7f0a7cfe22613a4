"""A purchase waiting in its lot's line holds no request slot: others get in meanwhile.

Requests in flight are capped at the pool's capacity (``RequestSlotsMiddleware``), but a
purchase through the line holds no session while it waits, so it gives its slot back:
on a hot lot every buyer waits in the next batch instead of a third of them waiting at
the door. Here the pool (hence the cap) is one connection, and the lot's row is locked
elsewhere, so purchases wait in line for as long as the test needs.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alot_platform.entries.service import purchases_waiting
from fastapi.testclient import TestClient


def _wait_until(condition: Callable[[], bool]) -> None:
    """Synchronisation only (never a timing assertion): poll until ``condition`` holds."""
    for _ in range(2000):
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError("the condition never held")


def _waiting_for_a_lock(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(db_pool_size=1, db_max_overflow=0)


def test_purchases_waiting_in_line_leave_their_slot_to_other_requests(
    shop: Any, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("holds the lot's row lock from another connection (PostgreSQL)")
    lot = shop.open_lot()
    buyers = [shop.player(lot["id"]) for _ in range(2)]
    answers: list[int] = []
    locker = sa.create_engine(shop.platform.database.engine.url, poolclass=sa.pool.NullPool)
    with locker.connect() as connection:
        connection.execute(
            sa.text("SELECT id FROM lots WHERE id = :id FOR UPDATE"), {"id": uuid.UUID(lot["id"])}
        )
        threads = [
            threading.Thread(target=lambda b=b: answers.append(shop.buy(b, lot["id"]).status_code))
            for b in buyers
        ]
        # Both purchases in flight, one after the other: the first's batch waits for
        # the lock, the second waits in line for that batch. The one slot is free.
        lot_id = uuid.UUID(lot["id"])
        threads[0].start()
        _wait_until(lambda: _waiting_for_a_lock(locker) == 1)
        threads[1].start()
        _wait_until(lambda: purchases_waiting(shop.platform, lot_id) == 1)
        other: list[int] = []
        probe = threading.Thread(
            target=lambda: other.append(shop.client.get("/healthz").status_code)
        )
        probe.start()
        probe.join(timeout=10)
        answered_meanwhile, bought_meanwhile = list(other), list(answers)
        connection.rollback()  # the purchases go on (and a probe stuck behind them)
    probe.join(timeout=30)
    assert answered_meanwhile == [200]
    assert bought_meanwhile == []
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [201, 201]
    locker.dispose()
