"""Writing work into the outbox in the caller's transaction, and running it after.

``enqueue`` (an email) and ``enqueue_task`` (a task for a handler) add a row to the
caller's unit of work: it exists exactly when the change it follows was committed, and
the relay (alot_platform.outbox.relay) is told of it after the commit. ``run`` does one
row: it claims the row for a lease (committed), then runs it outside any transaction of
its own (a handler opens its own units of work; an email is handed to the mailer with no
row locked), then marks it ``done``. A failure leaves it ``pending`` with the error and a
later ``next_attempt_at`` (backing off to an hour); after ALOT_TASK_MAX_ATTEMPTS failures
it is ``dead``: listed for admins (``GET /api/admin/tasks/failed``), and run again only
when one retries it. A handler that raises ``Later`` is not failing: it waits for its
time (a drand round not published yet). A runner that dies after the work but before
marking it runs it once more when the lease ends: every handler is idempotent (keyed by
what it is about, under row locks), so at-least-once delivery has exactly-once effects;
an email is never lost, and at worst repeated once.

An email to an ``address`` (see ``OutboxItem``) is resolved to its account when it is
claimed: no account (or a message with nothing left to say) drops it and forgets the
address. An email with a ``kind`` is written when claimed (alot_platform.auth.emails),
its one-time token committed with the claim; a retry writes it again with a new token.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.audit.service import acting_user, record_action
from alot_platform.auth import emails as account_emails
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.errors import AlotError
from alot_platform.mail import OutgoingEmail
from alot_platform.observability import tracing
from alot_platform.observability.domain_log import runs_task
from alot_platform.observability.metrics import record_task
from alot_platform.observability.sentry import report_task_failure
from alot_platform.outbox.models import EMAIL, OutboxItem, OutboxStatus
from alot_platform.outbox.repository import OutboxRepository
from alot_platform.pagination import decode_cursor, encode_cursor, page_of
from alot_platform.users.models import User

_log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
_BATCH = 200

RunOutcome = Literal["done", "not_due", "failed", "dead", "dropped", "later"]


class Later(Exception):
    """Raised by a handler whose work cannot be done yet: run it again at ``at``."""

    def __init__(self, at: datetime, reason: str) -> None:
        super().__init__(reason)
        self.at = at


class TaskNotFound(AlotError):
    status_code = 404
    code = "task_not_found"
    title = "Task not found"


class TaskNotDead(AlotError):
    status_code = 409
    code = "task_not_dead"
    title = "Task not failed"


def enqueue(
    session: Session,
    *,
    key: str,
    user_id: uuid.UUID | None = None,
    address: str | None = None,
    kind: str | None = None,
    subject: str = "",
    body: str = "",
    now: datetime,
) -> OutboxItem:
    """Add an email to the caller's unit of work; one message per ``key``.

    To ``user_id``, or to the account of ``address`` if there is one when it is sent.
    With a ``kind`` (an account email) the subject and body are written when sending.
    """
    if (user_id is None) == (address is None):
        raise ValueError("an outbox message goes to a user id or to an address")
    if kind is not None and kind not in account_emails.KINDS:
        raise ValueError(f"no account email of kind {kind!r}")
    return _add(
        session,
        OutboxItem(
            id=uuid.uuid4(),
            key=key,
            task=EMAIL,
            user_id=user_id,
            address=address,
            kind=kind,
            subject=subject,
            body=body,
        ),
        now,
        now,
    )


def enqueue_task(
    session: Session,
    *,
    task: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
    run_at: datetime | None = None,
) -> OutboxItem:
    """Add a task for the handler named ``task`` to the caller's unit of work; one per
    ``key``. Not run before ``run_at`` (default: as soon as the transaction commits)."""
    from alot_platform.outbox.handlers import HANDLERS  # the handlers import the domains

    if task == EMAIL or task not in HANDLERS:
        raise ValueError(f"no outbox task {task!r}")
    item = OutboxItem(id=uuid.uuid4(), key=key, task=task, payload=payload)
    return _add(session, item, now, run_at or now)


def _add(session: Session, item: OutboxItem, now: datetime, due: datetime) -> OutboxItem:
    existing = session.scalars(select(OutboxItem).where(OutboxItem.key == item.key)).one_or_none()
    if existing is not None:
        return existing
    item.status = OutboxStatus.PENDING.value
    item.attempts = 0
    item.created_at = now
    item.next_attempt_at = due
    item.traceparent = tracing.current_traceparent()
    session.add(item)
    session.flush()
    # Told to the relay once the transaction commits (alot_platform.outbox.relay).
    session.info.setdefault("outbox_new", []).append(item.id)
    return item


@runs_task  # the domain lines it writes carry the row's id
def run(platform: PlatformContext, item_id: uuid.UUID) -> RunOutcome:
    """Run one pending row if it is due (see the module docstring); when tracing, in a
    span of the trace that wrote it."""
    if tracing.active() is None:
        return _run(platform, item_id)
    with contextmanager(unit_of_work)(platform.database) as session:
        found = session.execute(
            select(OutboxItem.task, OutboxItem.traceparent).where(OutboxItem.id == item_id)
        ).one_or_none()
    if found is None:
        return _run(platform, item_id)
    with tracing.task_span(found.task, item_id, found.traceparent) as span:
        outcome = _run(platform, item_id)
        span.set_attribute("alot.task.outcome", outcome)
        return outcome


def _run(platform: PlatformContext, item_id: uuid.UUID) -> RunOutcome:
    settings = platform.settings
    now = platform.clock()
    with contextmanager(unit_of_work)(platform.database) as session:
        item = _claim(session, item_id, now, timedelta(seconds=settings.task_lease_seconds))
        if item is None:
            return "not_due"
        attempts, task, payload = item.attempts, item.task, dict(item.payload or {})
        message: OutgoingEmail | None = None
        if task == EMAIL:
            message = _email_of(session, platform, item)
            if message is None:
                return "dropped"
    started = time.perf_counter()
    try:
        if message is not None:
            platform.mailer.deliver(message)  # no transaction open, no row locked
        else:
            from alot_platform.outbox.handlers import HANDLERS

            handler = HANDLERS.get(task)
            if handler is None:
                raise LookupError(f"no handler for task {task!r}")
            handler(platform, payload)
    except Later as later:
        with contextmanager(unit_of_work)(platform.database) as session:
            row = _locked(session, item_id)
            if row is not None and row.status == OutboxStatus.PENDING.value:
                row.attempts -= 1  # waiting is not failing
                row.next_attempt_at = later.at
                row.last_error = f"waiting: {later}"[:2000]
        return "later"
    except Exception as error:
        seconds = time.perf_counter() - started
        gives_up = attempts >= settings.task_max_attempts
        log = _log.error if gives_up else _log.warning
        log("outbox: %s %s failed (attempt %d): %s", task, item_id, attempts, error)
        report_task_failure(error, task=task, final=gives_up)
        with contextmanager(unit_of_work)(platform.database) as session:
            row = _locked(session, item_id)
            if row is not None and row.status == OutboxStatus.PENDING.value:
                row.last_error = f"{type(error).__name__}: {error}"[:2000]
                if gives_up:  # the dead letter: when it died, for the admins' list
                    row.status = OutboxStatus.DEAD.value
                    row.next_attempt_at = platform.clock()
                else:
                    row.next_attempt_at = platform.clock() + _backoff(attempts)
        outcome: RunOutcome = "dead" if gives_up else "failed"
        record_task(task, outcome, seconds)
        return outcome
    seconds = time.perf_counter() - started
    with contextmanager(unit_of_work)(platform.database) as session:
        row = _locked(session, item_id)
        if row is not None and row.status == OutboxStatus.PENDING.value:
            row.status = OutboxStatus.DONE.value
            row.done_at = platform.clock()
            row.last_error = None
    record_task(task, "done", seconds)
    return "done"


@dataclass(frozen=True)
class SweepReport:
    done: int
    failed: int


def due(platform: PlatformContext, *, limit: int = _BATCH) -> list[uuid.UUID]:
    """Pending rows whose time has come (not claimed, or their lease ended), oldest first."""
    with contextmanager(unit_of_work)(platform.database) as session:
        return list(
            session.scalars(
                select(OutboxItem.id)
                .where(OutboxItem.status == OutboxStatus.PENDING.value)
                .where(OutboxItem.next_attempt_at <= platform.clock())
                .order_by(OutboxItem.next_attempt_at)
                .limit(limit)
            )
        )


def run_due(platform: PlatformContext) -> SweepReport:
    """Run every row that is due, in batches, until none is (the embedded sweep).

    A row that fails is due again only after its backoff, so the loop ends."""
    done = failed = 0
    seen: set[uuid.UUID] = set()
    while batch := [item_id for item_id in due(platform) if item_id not in seen]:
        for item_id in batch:
            seen.add(item_id)
            outcome = run(platform, item_id)
            done += outcome == "done"
            failed += outcome in ("failed", "dead")
    return SweepReport(done, failed)


def dead(
    session: Session, *, cursor: str | None, limit: int
) -> tuple[list[OutboxItem], str | None]:
    """A page of dead rows, the latest to die first, and the next page's cursor."""
    after = decode_cursor(cursor, "dead-tasks", datetime, uuid.UUID) if cursor else None
    rows = OutboxRepository(session).dead(after=after, limit=limit + 1)
    return page_of(
        rows, limit, lambda row: encode_cursor("dead-tasks", row.next_attempt_at, row.id)
    )


def retry(session: Session, item_id: uuid.UUID, now: datetime) -> OutboxItem:
    """Give a dead row a new round of attempts, from now (the relay is told on commit)."""
    item = _locked(session, item_id)
    if item is None:
        raise TaskNotFound(f"no outbox task {item_id}")
    if item.status != OutboxStatus.DEAD.value:
        raise TaskNotDead(f"task {item_id} is {item.status}, not dead: nothing to retry")
    item.status = OutboxStatus.PENDING.value
    item.attempts = 0
    item.next_attempt_at = now
    session.flush()
    record_action(
        session,
        actor_id=acting_user(session),
        action="task_retried",
        target_type="task",
        target_id=item.id,
        details={"task": item.task},
        now=now,
    )
    session.info.setdefault("outbox_new", []).append(item.id)
    return item


def _email_of(
    session: Session, platform: PlatformContext, item: OutboxItem
) -> OutgoingEmail | None:
    """The message to send for a claimed email, or None once it is dropped."""
    user = _recipient(session, item)
    if user is None:
        _drop(item, "the recipient no longer exists")
        return None
    subject, body = item.subject, item.body
    if item.kind is not None:
        written = account_emails.write(item.kind, session, platform, user)
        if written is None:
            _drop(item, "nothing to send any more")
            return None
        subject, body = written
    return OutgoingEmail(to=user.email, subject=subject, body=body)


def _claim(
    session: Session, item_id: uuid.UUID, now: datetime, lease: timedelta
) -> OutboxItem | None:
    """The row, if pending and due, leased to this runner (committed with the caller)."""
    item = _locked(session, item_id)
    if item is None or item.status != OutboxStatus.PENDING.value or item.next_attempt_at > now:
        return None
    item.attempts += 1
    item.next_attempt_at = now + lease
    return item


def _recipient(session: Session, item: OutboxItem) -> User | None:
    """The account an email goes to; an email to an address is bound to it now."""
    if item.user_id is not None:
        return session.get(User, item.user_id)
    user = session.scalars(select(User).where(User.email == item.address)).one_or_none()
    if user is not None:
        item.user_id = user.id
        item.address = None  # the users table holds it; no copy here
    return user


def _drop(item: OutboxItem, reason: str) -> None:
    item.status = OutboxStatus.DROPPED.value
    item.last_error = reason
    item.address = None  # an address with no account behind it is not kept


def _locked(session: Session, item_id: uuid.UUID) -> OutboxItem | None:
    return session.scalars(
        select(OutboxItem)
        .where(OutboxItem.id == item_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failure, at most an hour."""
    seconds = FIRST_RETRY.total_seconds() * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, LAST_RETRY.total_seconds()))
