"""Writing an email into the outbox in the caller's transaction, and delivering it after.

``enqueue`` adds the message to the caller's unit of work: it exists exactly when the
change it reports was committed. ``deliver`` sends one message: it claims the row for a
lease (committed), resolves the recipient's address, hands the message to the mailer
outside any transaction, then marks it ``sent``. A mailer failure leaves it ``pending``
with the error and a later ``next_attempt_at`` (backing off to an hour); ``deliver_due``
(the scheduler's tick) sends whatever is due. A process that dies after the server took
the message but before marking it may send it once more when the lease ends: an email
is never lost, and at worst repeated once.

A message to an ``address`` (see ``OutboxEmail``) is resolved to its account when it is
claimed: no account (or a message with nothing left to say) drops it and forgets the
address. A message with a ``kind`` is written when claimed (alot_platform.auth.emails),
its one-time token committed with the claim; a retry writes it again with a new token.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from alot_platform.auth import emails as account_emails
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.mail import OutgoingEmail
from alot_platform.outbox.models import OutboxEmail, OutboxStatus
from alot_platform.users.models import User

_log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
"""How long a sender owns a message it claimed (well above the SMTP timeout)."""
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
_BATCH = 100

DeliveryOutcome = Literal["sent", "not_due", "failed", "dropped"]


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
) -> OutboxEmail:
    """Add a message to the caller's unit of work; one message per ``key``.

    To ``user_id``, or to the account of ``address`` if there is one when it is sent.
    With a ``kind`` (an account email) the subject and body are written when sending.
    """
    if (user_id is None) == (address is None):
        raise ValueError("an outbox message goes to a user id or to an address")
    if kind is not None and kind not in account_emails.KINDS:
        raise ValueError(f"no account email of kind {kind!r}")
    existing = session.scalars(select(OutboxEmail).where(OutboxEmail.key == key)).one_or_none()
    if existing is not None:
        return existing
    email = OutboxEmail(
        id=uuid.uuid4(),
        key=key,
        user_id=user_id,
        address=address,
        kind=kind,
        subject=subject,
        body=body,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(email)
    session.flush()
    return email


def deliver(platform: PlatformContext, email_id: uuid.UUID) -> DeliveryOutcome:
    """Send one pending message if it is due (see the module docstring)."""
    now = platform.clock()
    with contextmanager(unit_of_work)(platform.database) as session:
        email = _claim(session, email_id, now)
        if email is None:
            return "not_due"
        user = _recipient(session, email)
        if user is None:
            _drop(email, "the recipient no longer exists")
            return "dropped"
        subject, body = email.subject, email.body
        if email.kind is not None:
            written = account_emails.write(email.kind, session, platform, user)
            if written is None:
                _drop(email, "nothing to send any more")
                return "dropped"
            subject, body = written
        message = OutgoingEmail(to=user.email, subject=subject, body=body)
        attempts = email.attempts
    try:
        platform.mailer.deliver(message)  # no transaction open, no row locked
    except Exception as error:
        _log.warning("outbox: email %s not sent (attempt %d): %s", email_id, attempts, error)
        with contextmanager(unit_of_work)(platform.database) as session:
            row = _locked(session, email_id)
            if row is not None and row.status == OutboxStatus.PENDING.value:
                row.last_error = f"{type(error).__name__}: {error}"[:2000]
                row.next_attempt_at = platform.clock() + _backoff(attempts)
        return "failed"
    with contextmanager(unit_of_work)(platform.database) as session:
        row = _locked(session, email_id)
        if row is not None and row.status == OutboxStatus.PENDING.value:
            row.status = OutboxStatus.SENT.value
            row.sent_at = platform.clock()
            row.last_error = None
    return "sent"


@dataclass(frozen=True)
class OutboxReport:
    sent: int
    failed: int


def deliver_due(platform: PlatformContext) -> OutboxReport:
    """Send every pending message whose time has come (the scheduler's tick)."""
    with contextmanager(unit_of_work)(platform.database) as session:
        due = list(
            session.scalars(
                select(OutboxEmail.id)
                .where(OutboxEmail.status == OutboxStatus.PENDING.value)
                .where(OutboxEmail.next_attempt_at <= platform.clock())
                .order_by(OutboxEmail.next_attempt_at)
                .limit(_BATCH)
            )
        )
    sent = failed = 0
    for email_id in due:
        outcome = deliver(platform, email_id)
        sent += outcome == "sent"
        failed += outcome == "failed"
    return OutboxReport(sent, failed)


def _claim(session: Session, email_id: uuid.UUID, now: datetime) -> OutboxEmail | None:
    """The message, if pending and due, leased to this sender (committed with the caller)."""
    email = _locked(session, email_id)
    if email is None or email.status != OutboxStatus.PENDING.value or email.next_attempt_at > now:
        return None
    email.attempts += 1
    email.next_attempt_at = now + LEASE
    return email


def _recipient(session: Session, email: OutboxEmail) -> User | None:
    """The account the message goes to; a message to an address is bound to it now."""
    if email.user_id is not None:
        return session.get(User, email.user_id)
    user = session.scalars(select(User).where(User.email == email.address)).one_or_none()
    if user is not None:
        email.user_id = user.id
        email.address = None  # the users table holds it; no copy here
    return user


def _drop(email: OutboxEmail, reason: str) -> None:
    email.status = OutboxStatus.DROPPED.value
    email.last_error = reason
    email.address = None  # an address with no account behind it is not kept


def _locked(session: Session, email_id: uuid.UUID) -> OutboxEmail | None:
    return session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failure, at most an hour."""
    seconds = FIRST_RETRY.total_seconds() * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, LAST_RETRY.total_seconds()))
