"""Dead letters: a task that fails on every attempt ends dead, is listed for admins
(`GET /api/admin/tasks/failed`, `alot tasks failed`) and retried by them (`POST
/api/admin/tasks/{id}/retry`, `alot tasks retry`).

The poison task is the platform's own: a draw for a lot that does not exist, enqueued
as funding would and run by the inline runner (tests run tasks in the committing
thread), then by the sweep (`run_due`, `run_tick`) as the clock passes each backoff.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from alot_platform.cli import main
from alot_platform.context import PlatformContext
from alot_platform.outbox.models import EMAIL, OutboxItem, OutboxStatus
from alot_platform.outbox.service import enqueue_task, run_due
from alot_platform.scheduler import run_tick
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import select

from .conftest import Account, Api, FakeClock, Services

MAX_ATTEMPTS = 3


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """The app with few attempts per task, so that a poison task dies quickly."""
    return make_client(task_max_attempts=MAX_ATTEMPTS)


def _poison(services: Services, now: datetime) -> uuid.UUID:
    """A draw for a lot that does not exist: its handler fails every time. Run once
    (and failed) when this returns: the inline runner runs it after the commit."""
    lot_id = uuid.uuid4()
    with services.session() as session:
        item = enqueue_task(
            session, task="draw", key=f"draw:{lot_id}", payload={"lot_id": str(lot_id)}, now=now
        )
        return item.id


def _row(services: Services, item_id: uuid.UUID) -> OutboxItem:
    with services.session() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        session.expunge(item)
        return item


def _dead_task(services: Services, clock: FakeClock) -> uuid.UUID:
    """A poison task, run until it is dead (each backoff waited out)."""
    item_id = _poison(services, clock.now)
    while (row := _row(services, item_id)).status == OutboxStatus.PENDING.value:
        clock.now = row.next_attempt_at
        run_due(services.platform)
    assert row.status == OutboxStatus.DEAD.value
    return item_id


def _failed(client: TestClient, account: Account) -> list[dict[str, Any]]:
    response = client.get("/api/admin/tasks/failed", headers=account.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_poison_task_backs_off_then_dies_and_is_listed_for_admins(
    client: TestClient, api: Api, services: Services, platform: PlatformContext, clock: FakeClock
) -> None:
    admin = api.admin()
    started = clock.now
    item_id = _poison(services, started)

    first = _row(services, item_id)
    assert (first.status, first.attempts) == ("pending", 1)
    assert str(first.last_error).startswith("LookupError: no lot")
    assert first.next_attempt_at == started + timedelta(minutes=1)

    # Not due before its backoff ends: neither the sweep nor the tick runs it.
    clock.advance(seconds=59)
    assert run_due(platform).failed == 0
    assert run_tick(platform).tasks_failed == 0
    assert _row(services, item_id).attempts == 1

    clock.advance(seconds=1)  # the second attempt, then twice as long a wait
    assert run_tick(platform).tasks_failed == 1
    second = _row(services, item_id)
    assert (second.status, second.attempts) == ("pending", 2)
    assert second.next_attempt_at == clock.now + timedelta(minutes=2)
    assert _failed(client, admin) == []

    clock.advance(minutes=2)  # the last attempt: dead, when it died
    assert run_due(platform).failed == 1
    dead = _row(services, item_id)
    assert (dead.status, dead.attempts) == ("dead", MAX_ATTEMPTS)
    assert dead.next_attempt_at == clock.now
    clock.advance(hours=2)
    assert run_tick(platform).tasks_failed == 0  # a dead task waits for an admin
    assert _row(services, item_id).attempts == MAX_ATTEMPTS

    admin.access_token = api.login(admin.email)["access_token"]  # two hours later
    [listed] = _failed(client, admin)
    assert listed["id"] == str(item_id)
    assert listed["task"] == "draw"
    assert listed["status"] == "dead"
    assert listed["key"] == f"draw:{dead.payload['lot_id']}"  # type: ignore[index]
    assert listed["payload"] == dead.payload
    assert listed["attempts"] == MAX_ATTEMPTS
    assert listed["last_error"].startswith("LookupError: no lot")
    assert datetime.fromisoformat(listed["next_attempt_at"]) == dead.next_attempt_at
    assert datetime.fromisoformat(listed["created_at"]) == started
    overview = client.get("/api/admin/overview", headers=admin.headers).json()
    assert overview["failed_tasks"] == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/admin/tasks/failed"), ("POST", "/api/admin/tasks/{id}/retry")],
)
def test_dead_tasks_are_for_admins_only(
    client: TestClient,
    api: Api,
    services: Services,
    clock: FakeClock,
    method: str,
    path: str,
) -> None:
    item_id = _dead_task(services, clock)
    player = api.account()
    url = path.format(id=item_id)

    anonymous = client.request(method, url)
    refused = client.request(method, url, headers=player.headers)

    assert anonymous.status_code == 401
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "missing_role"
    assert _row(services, item_id).status == "dead"  # nothing retried


def test_retry_gives_a_new_round_of_attempts_and_runs_it(
    client: TestClient, api: Api, services: Services, clock: FakeClock
) -> None:
    item_id = _dead_task(services, clock)
    clock.advance(hours=1)
    admin = api.admin()

    response = client.post(f"/api/admin/tasks/{item_id}/retry", headers=admin.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["status"], body["attempts"]) == (str(item_id), "pending", 0)
    # Run at once after the commit; a poison task fails again, from its first attempt.
    row = _row(services, item_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == clock.now + timedelta(minutes=1)
    assert str(row.last_error).startswith("LookupError")
    assert _failed(client, admin) == []

    # A task that is not dead has nothing to retry; an unknown one is not found.
    again = client.post(f"/api/admin/tasks/{item_id}/retry", headers=admin.headers)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "task_not_dead"
    unknown = client.post(f"/api/admin/tasks/{uuid.uuid4()}/retry", headers=admin.headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["code"] == "task_not_found"
    garbage = client.post("/api/admin/tasks/not-a-task/retry", headers=admin.headers)
    assert garbage.status_code == 422
    assert _row(services, item_id).attempts == 1  # none of them ran it

    # It dies again after a full round, and is listed again.
    while (row := _row(services, item_id)).status == "pending":
        clock.now = row.next_attempt_at
        run_due(services.platform)
    assert (row.status, row.attempts) == ("dead", MAX_ATTEMPTS)
    assert [task["id"] for task in _failed(client, admin)] == [str(item_id)]


def _dead_email(services: Services, user_id: str, now: datetime) -> uuid.UUID:
    """An email that died while the mail server was down (set-up data: the dev mailbox
    never fails)."""
    item_id = uuid.uuid4()
    with services.session() as session:
        session.add(
            OutboxItem(
                id=item_id,
                key=f"test-dead-email:{item_id}",
                task=EMAIL,
                user_id=uuid.UUID(user_id),
                subject="Your draw result",
                body="You won.",
                status=OutboxStatus.DEAD.value,
                attempts=MAX_ATTEMPTS,
                last_error="SMTPServerDisconnected: Connection unexpectedly closed",
                created_at=now - timedelta(hours=1),
                next_attempt_at=now,
            )
        )
    return item_id


def test_a_task_that_succeeds_on_retry_is_done(
    client: TestClient, api: Api, services: Services, clock: FakeClock
) -> None:
    admin = api.admin()
    player = api.account()
    item_id = _dead_email(services, player.id, clock.now)
    [listed] = _failed(client, admin)
    assert (listed["task"], listed["subject"], listed["payload"]) == (
        "email",
        "Your draw result",
        None,
    )
    assert listed["user_id"] == player.id
    assert "body" not in listed  # an email's body may be personal: not shown

    response = client.post(f"/api/admin/tasks/{item_id}/retry", headers=admin.headers)

    assert response.status_code == 200, response.text
    row = _row(services, item_id)
    assert (row.status, row.attempts, row.last_error) == ("done", 1, None)
    assert row.done_at == clock.now
    assert [m["subject"] for m in api.mailbox(player.email)].count("Your draw result") == 1
    assert _failed(client, admin) == []
    assert client.get("/api/admin/overview", headers=admin.headers).json()["failed_tasks"] == 0


def test_the_failed_list_pages_latest_death_first(
    client: TestClient, api: Api, services: Services, clock: FakeClock
) -> None:
    admin = api.admin()
    player = api.account()
    ids = []
    for _ in range(3):
        ids.append(_dead_email(services, player.id, clock.now))
        clock.advance(minutes=1)

    first = client.get("/api/admin/tasks/failed?limit=2", headers=admin.headers).json()
    cursor = first["next_cursor"]
    rest = client.get(
        "/api/admin/tasks/failed", params={"limit": 2, "cursor": cursor}, headers=admin.headers
    ).json()

    assert [t["id"] for t in first["items"] + rest["items"]] == [str(i) for i in reversed(ids)]
    assert rest["next_cursor"] is None


# -- alot tasks -------------------------------------------------------------------------


@pytest.fixture
def alot(client: TestClient, make_settings: Callable[..., Any]) -> Callable[..., Result]:
    """`alot` on this test's (migrated) database and var dir, through CliRunner."""
    settings = make_settings()
    env = {
        "ALOT_ENV": "development",
        "ALOT_DATABASE_URL": settings.database_url,
        "ALOT_VAR_DIR": str(settings.var_dir),
        "ALOT_TASK_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    }
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, ["tasks", *args], env=env)

    return run


def test_alot_tasks_failed_lists_the_dead_tasks(
    alot: Callable[..., Result], services: Services, clock: FakeClock
) -> None:
    assert alot("failed").output == "OK: 0 dead task(s)\n"
    poison = _dead_task(services, clock)

    listed = alot("failed")
    as_json = alot("failed", "--json")

    assert listed.exit_code == 0, listed.output
    [line, summary] = listed.output.splitlines()
    assert line.startswith(f"{poison}  draw:")
    assert f"attempts {MAX_ATTEMPTS}  LookupError: no lot" in line
    assert summary == "OK: 1 dead task(s)"
    assert as_json.exit_code == 0, as_json.output
    [task] = [json.loads(x) for x in as_json.stdout.splitlines()]
    assert (task["id"], task["status"], task["attempts"]) == (str(poison), "dead", MAX_ATTEMPTS)


def test_alot_tasks_retry_by_id_runs_it_and_says_it_failed_again(
    alot: Callable[..., Result], services: Services, clock: FakeClock
) -> None:
    poison = _dead_task(services, clock)

    result = alot("retry", str(poison))

    assert result.exit_code == 1, result.output
    assert "FAIL: 1 of 1 task(s) failed again" in result.output
    assert f"{poison}: LookupError: no lot" in result.output
    row = _row(services, poison)
    assert (row.status, row.attempts) == ("pending", 1)  # a new round, backing off
    assert alot("failed").output == "OK: 0 dead task(s)\n"


def test_alot_tasks_retry_all_runs_every_dead_task(
    alot: Callable[..., Result], api: Api, services: Services, clock: FakeClock
) -> None:
    player = api.account()
    emails = [_dead_email(services, player.id, clock.now) for _ in range(2)]

    result = alot("retry", "--all")

    assert result.exit_code == 0, result.output
    assert result.output == "OK: 2 task(s) retried and done\n"
    # Sent by the command's own mailer (the dev mailbox of its process, here).
    assert {_row(services, item_id).status for item_id in emails} == {"done"}
    assert alot("retry", "--all").output == "OK: 0 task(s) retried and done\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "name the tasks to retry (their ids), or pass --all"),
        (("--all", "{id}"), "name the tasks to retry (their ids), or pass --all"),
        (("{unknown}",), "no outbox task"),
        (("{pending}",), "not dead: nothing to retry"),
        (("not-a-uuid",), "is not a valid UUID"),
    ],
)
def test_alot_tasks_retry_bad_input_exits_2_and_changes_nothing(
    alot: Callable[..., Result],
    services: Services,
    clock: FakeClock,
    args: tuple[str, ...],
    message: str,
) -> None:
    dead = _dead_task(services, clock)
    pending = _poison(services, clock.now)
    values = {"id": dead, "unknown": uuid.uuid4(), "pending": pending}

    # A task named after a dead one: refusing it retries neither.
    first = [str(dead)] if {"{unknown}", "{pending}"} & set(args) else []
    result = alot("retry", *first, *(arg.format(**values) for arg in args))

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert _row(services, dead).status == "dead"
    with services.session() as session:
        statuses = session.scalars(select(OutboxItem.status).order_by(OutboxItem.created_at))
        assert sorted(statuses) == ["dead", "pending"]
