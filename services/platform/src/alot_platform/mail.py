"""Outgoing email: SMTP in production, a dev mailbox (log + GET /api/dev/mailbox) otherwise.

Messages are sent after the request's unit of work has committed (FastAPI background
tasks run after the response), so nobody gets a link to an account that was rolled back.
``send`` is best effort (a lost account email can be asked for again); ``deliver``
raises ``MailNotSent`` when the server did not take the message, for the outbox
(alot_platform/outbox), which keeps a message until it was delivered.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage as _MimeMessage
from typing import Protocol

from alot_platform.config import Settings

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    body: str
    sent_at: datetime | None = field(default=None, compare=False)


class MailNotSent(RuntimeError):
    """The mail server did not accept the message (unreachable, refused, timed out)."""


class Mailer(Protocol):
    def send(self, message: OutgoingEmail) -> None:
        """Send, or log why not: never raises for a delivery problem."""
        ...

    def deliver(self, message: OutgoingEmail) -> None:
        """Send, or raise ``MailNotSent``."""
        ...


class DevMailbox:
    """Keeps the last messages in memory and writes each one to the log."""

    def __init__(self, capacity: int = 500) -> None:
        self._messages: deque[OutgoingEmail] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def send(self, message: OutgoingEmail) -> None:
        with self._lock:
            self._messages.append(replace(message, sent_at=datetime.now(UTC)))
        _log.info(
            "dev mailbox: email not sent, kept here instead",
            extra={"to": message.to, "subject": message.subject, "body": message.body},
        )

    def deliver(self, message: OutgoingEmail) -> None:
        self.send(message)

    def messages(self, to: str | None = None) -> list[OutgoingEmail]:
        with self._lock:
            return [m for m in self._messages if to is None or m.to == to]


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self._settings = settings

    def send(self, message: OutgoingEmail) -> None:
        try:
            self.deliver(message)
        except MailNotSent:
            # The account change already committed; the user can ask for a new link.
            _log.exception("email could not be sent", extra={"subject": message.subject})

    def deliver(self, message: OutgoingEmail) -> None:
        s = self._settings
        mime = _MimeMessage()
        mime["From"] = s.mail_from
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime.set_content(message.body)
        assert s.smtp_host is not None
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username and s.smtp_password:
                    smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
                smtp.send_message(mime)
        except (OSError, smtplib.SMTPException) as error:
            raise MailNotSent(f"{type(error).__name__}: {error}") from error


def mailer_from_settings(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return DevMailbox()
