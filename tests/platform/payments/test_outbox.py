"""The late-refund email goes through the outbox: written in the refund's transaction,
sent after the commit, kept pending while the mail server is down and sent once by the
tick when it is back. The SMTP server is faked at the network boundary: a port nobody
listens on, then a minimal SMTP server on 127.0.0.1 that the real SmtpMailer talks to."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from alot_platform.mail import SmtpMailer
from alot_platform.scheduler import run_tick


@dataclass
class FakeSmtp:
    port: int = 0
    received: list[Message] = field(default_factory=list)


@contextmanager
def running_fake_smtp() -> Iterator[FakeSmtp]:
    """Just enough SMTP (EHLO, MAIL, RCPT, DATA, QUIT) to take messages."""
    fake = FakeSmtp()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(f"{line}\r\n".encode())

        def handle(self) -> None:
            self.reply("220 fake-smtp ready")
            while line := self.rfile.readline():
                verb = line.decode().strip().split(" ", 1)[0].upper()
                if verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    data = b""
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    fake.received.append(message_from_bytes(data))
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("250 ok")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _closed_port() -> int:
    """A port of 127.0.0.1 nobody listens on: the mail server is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _smtp(till: Any, port: int) -> SmtpMailer:
    settings = till.platform.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    )
    return SmtpMailer(settings)


def _late_payment(till: Any) -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
    """Ada pays for a lot Bob funded meanwhile; her events are not delivered yet."""
    lot = till.open_lot(funding_target_cents=500)
    ada, bob = till.player(lot["id"]), till.player(lot["id"])
    late = till.buy(ada, lot["id"], 1)
    events = till.fake.pay(late["payment"]["payment_id"])
    till.deliver(till.fake.pay(till.buy(bob, lot["id"], 1)["payment"]["payment_id"])[1])
    run_tick(till.platform)  # the lot's settlement emails (its winner's) are sent first
    return ada, late, events


def test_the_email_is_kept_while_smtp_is_down_and_sent_once_when_it_is_back(till: Any) -> None:
    ada, late, events = _late_payment(till)
    till.platform.mailer = _smtp(till, _closed_port())

    till.deliver(events[1])

    assert till.purchase(late["id"])["status"] == "refunded"
    [email] = till.rows("outbox", key=f"late-refund:{late['id']}")
    assert (email["status"], email["attempts"]) == ("pending", 1)
    assert "MailNotSent" in email["last_error"]
    assert "fully funded by other players" in email["body"]
    # Not due again before its back-off: the tick leaves it.
    report = run_tick(till.platform)
    assert (report.tasks_done, report.tasks_failed) == (0, 0)

    with running_fake_smtp() as smtp:
        till.platform.mailer = _smtp(till, smtp.port)
        till.clock.advance(minutes=2)
        first = run_tick(till.platform)
        till.clock.advance(hours=2)
        second = run_tick(till.platform)

    assert (first.tasks_done, second.tasks_done) == (1, 0)
    [message] = smtp.received
    assert message["To"] == ada.email
    assert message["Subject"] == "Your ALOT! payment was refunded"
    assert "fully funded by other players" in message.get_payload()
    [email] = till.rows("outbox", key=f"late-refund:{late['id']}")
    assert (email["status"], email["attempts"], email["last_error"]) == ("done", 2, None)


def test_the_email_is_written_with_the_refund_or_not_at_all(till: Any) -> None:
    ada, late, events = _late_payment(till)
    till.fake.fail("/v1/refunds", "500", times=3)

    till.deliver(events[1])  # the refund's unit of work fails: no refund, no email

    assert till.purchase(late["id"])["status"] == "pending"
    assert till.rows("outbox", key=f"late-refund:{late['id']}") == []

    till.clock.advance(minutes=5)
    report = run_tick(till.platform)

    # The event is applied once (by the tick's retry, or its outbox task: whichever comes
    # first; the other finds it applied), and its email is sent at once.
    assert report.payment_events_applied + report.tasks_done >= 1
    [email] = till.rows("outbox", key=f"late-refund:{late['id']}")
    assert email["status"] == "done"
    assert len([m for m in till.mails_to(ada.email) if "refunded" in m["subject"]]) == 1
