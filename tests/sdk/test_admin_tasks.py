"""`admin.failed_tasks()` and `admin.retry_task()`, sync and async, over the real app.

The dead tasks are the platform's own: a draw for a lot that does not exist, enqueued as
funding would and run by the inline runner with one attempt allowed, so it dies at once
(the platform's code doing set-up: no endpoint makes a task). A task that succeeds on
retry is an email that died while the mail server was down, inserted as it would be
left (the dev mailbox never fails).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from alot_platform.db import unit_of_work
from alot_platform.outbox.models import EMAIL, OutboxItem, OutboxStatus
from alot_platform.outbox.service import enqueue_task
from alot_sdk import ConflictError, NotFoundError, PermissionDeniedError
from alot_sdk.models import AdminOverview, Task
from fastapi import FastAPI


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    """One attempt per task: a task that fails is dead at once."""
    return make_app(task_max_attempts=1)


def _poison(app: FastAPI, clock: Any) -> str:
    """A draw for a lot that does not exist, run (and dead) when this returns."""
    platform = app.state.platform
    lot_id = str(uuid.uuid4())
    with contextmanager(unit_of_work)(platform.database) as session:
        item = enqueue_task(
            session, task="draw", key=f"draw:{lot_id}", payload={"lot_id": lot_id}, now=clock.now
        )
        item_id = item.id
    with contextmanager(unit_of_work)(platform.database) as session:
        assert session.get(OutboxItem, item_id).status == "dead"  # type: ignore[union-attr]
    return str(item_id)


def _dead_email(app: FastAPI, clock: Any, user_id: str) -> str:
    item_id = uuid.uuid4()
    with contextmanager(unit_of_work)(app.state.platform.database) as session:
        session.add(
            OutboxItem(
                id=item_id,
                key=f"test-dead-email:{item_id}",
                task=EMAIL,
                user_id=uuid.UUID(user_id),
                subject="Your draw result",
                body="You won.",
                status=OutboxStatus.DEAD.value,
                attempts=10,
                last_error="SMTPServerDisconnected: Connection unexpectedly closed",
                created_at=clock.now - timedelta(hours=1),
                next_attempt_at=clock.now,
            )
        )
    return str(item_id)


def test_failed_tasks_are_listed_and_retried(
    app: FastAPI, admin: Any, make_player: Callable[..., Any], clock: Any
) -> None:
    desk = admin.client.admin
    assert desk.failed_tasks().items == []
    poisons = []
    for _ in range(3):
        poisons.append(_poison(app, clock))
        clock.advance(minutes=1)

    first = desk.failed_tasks(limit=2)
    assert [t.id for t in first.items] == poisons[:0:-1]  # the latest to die first
    assert first.next_cursor is not None
    assert [t.id for t in first] == poisons[::-1]  # iterating walks every page
    task = first.items[0]
    assert isinstance(task, Task)
    assert (task.task, task.status, task.attempts) == ("draw", "dead", 1)
    assert task.key == f"draw:{task.payload['lot_id']}"  # type: ignore[index]
    assert task.last_error is not None
    assert task.last_error.startswith("LookupError: no lot")
    assert task.next_attempt_at == clock.now - timedelta(minutes=1)
    assert (task.user_id, task.subject) == (None, None)
    overview = desk.overview()
    assert isinstance(overview, AdminOverview)
    assert overview.failed_tasks == 3

    # A retry is a new round of attempts, run at once: this one fails, and with one
    # attempt allowed it is dead again, died now.
    retried = desk.retry_task(poisons[0])
    assert (retried.id, retried.status, retried.attempts) == (poisons[0], "pending", 0)
    again = next(t for t in desk.failed_tasks() if t.id == poisons[0])
    assert (again.status, again.attempts, again.next_attempt_at) == ("dead", 1, clock.now)

    # One that succeeds on retry is done: it leaves the list and is not dead to retry.
    email = _dead_email(app, clock, admin.id)
    listed = next(t for t in desk.failed_tasks() if t.id == email)
    assert (listed.task, listed.subject, listed.payload) == ("email", "Your draw result", None)
    assert listed.user_id == admin.id
    assert desk.retry_task(email).status == "pending"
    assert email not in [t.id for t in desk.failed_tasks()]
    assert any(m.subject == "Your draw result" for m in admin.client.dev.mailbox(to=admin.email))
    with pytest.raises(ConflictError) as conflict:
        desk.retry_task(email)
    assert conflict.value.code == "task_not_dead"
    with pytest.raises(NotFoundError) as missing:
        desk.retry_task(str(uuid.uuid4()))
    assert missing.value.code == "task_not_found"

    player = make_player().client.admin
    with pytest.raises(PermissionDeniedError):
        player.failed_tasks()
    with pytest.raises(PermissionDeniedError):
        player.retry_task(poisons[1])
    assert desk.overview().failed_tasks == 3


@pytest.mark.anyio
async def test_async_failed_tasks_and_retry(
    app: FastAPI, admin: Any, make_async_client: Callable[..., Any], clock: Any
) -> None:
    poisons = []
    for _ in range(3):
        poisons.append(_poison(app, clock))
        clock.advance(seconds=1)
    client = make_async_client(api_token=admin.client.access_token)

    page = await client.admin.failed_tasks(limit=2)
    walked = [task.id async for task in page]
    retried = await client.admin.retry_task(poisons[1])
    with pytest.raises(NotFoundError):
        await client.admin.retry_task(str(uuid.uuid4()))

    assert walked == poisons[::-1]
    assert (retried.id, retried.status, retried.attempts) == (poisons[1], "pending", 0)
    assert (await client.admin.overview()).failed_tasks == 3
