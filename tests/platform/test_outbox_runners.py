"""The outbox's relay: what a commit hands over, and the embedded runner of `make run`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import pytest
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.outbox.models import OutboxItem
from alot_platform.outbox.service import enqueue
from fastapi.testclient import TestClient
from sqlalchemy import select

from .conftest import Api, FakeClock, LotDesk


def _rows(platform: PlatformContext) -> list[OutboxItem]:
    with contextmanager(unit_of_work)(platform.database) as session:
        return list(session.scalars(select(OutboxItem)))


def test_a_rolled_back_transaction_hands_nothing_over(platform: PlatformContext, api: Any) -> None:
    account = api.account()
    before = {row.key for row in _rows(platform)}
    sent_before = len(platform.mailer.messages(account.email))  # type: ignore[attr-defined]

    class Refused(Exception):
        pass

    def enqueue_then_fail() -> None:
        with contextmanager(unit_of_work)(platform.database) as session:
            enqueue(
                session,
                key="never-committed",
                user_id=uuid.UUID(account.id),
                subject="Should not leave",
                body="-",
                now=platform.clock(),
            )
            raise Refused

    with pytest.raises(Refused):
        enqueue_then_fail()
    # A later commit of the same session factory hands over only its own rows.
    with contextmanager(unit_of_work)(platform.database) as session:
        enqueue(
            session,
            key="committed",
            user_id=uuid.UUID(account.id),
            subject="Left once",
            body="-",
            now=platform.clock(),
        )
    assert {row.key for row in _rows(platform)} - before == {"committed"}
    subjects = [m.subject for m in platform.mailer.messages(account.email)][sent_before:]  # type: ignore[attr-defined]
    assert subjects == ["Left once"]


def test_the_embedded_runner_draws_a_funded_lot_on_its_own_thread(
    make_client: Callable[..., TestClient], clock: FakeClock
) -> None:
    """`make run`'s runner: the purchase that funds the lot answers at once, and the
    API process draws and settles it on the outbox's thread, with no broker."""
    client = make_client(task_runner="thread")
    desk = LotDesk(client, Api(client, mail_wait=10), clock)
    lot = desk.open_lot(draw_algorithm="alot-v1")
    ada, bob = desk.player(lot["id"]), desk.player(lot["id"])
    bundles = len(lot["entry_bundles"])
    funded = False
    for n in range(200):
        response = desk.buy(ada if n % 2 else bob, lot["id"], bundles - 1)
        assert response.status_code in (201, 409), response.text
        if response.status_code == 409 or response.json()["lot_status"] != "open":
            funded = True
            break
    assert funded
    deadline = time.monotonic() + 30
    while (stage := client.get(f"/api/lots/{lot['id']}/draw").json()["stage"]) != "settled":
        assert time.monotonic() < deadline, f"still {stage}"
        time.sleep(0.1)
    assert client.app.state.platform.relay.__class__.__name__ == "ThreadRelay"  # type: ignore[attr-defined]
