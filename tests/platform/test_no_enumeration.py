"""Registration and password reset tell nobody whether an email has an account.

The answers must not depend on the email's existence whatever else is wrong with the
request, and the slow work (minting a one-time token, sending the email) happens off
the request path, through the email outbox, for a known and an unknown address alike.
"""

from __future__ import annotations

import itertools
import socket
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from alot_platform.auth.service import AuthService
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.mail import DevMailbox
from alot_platform.outbox.service import run_due
from fastapi.testclient import TestClient
from sqlalchemy import text

PASSWORD = "correct-horse-battery"
_PUBLIC_URL = "https://alot.example"


def _answer(response: Any) -> tuple[int, dict[str, Any]]:
    """What a caller learns: the status and the body, without the per-request id."""
    body = dict(response.json())
    body.pop("request_id", None)
    return response.status_code, body


def _outbox(platform: PlatformContext) -> list[dict[str, Any]]:
    with platform.database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT key, user_id, address, kind, status, body, last_error FROM outbox")
        )
        return [dict(row._mapping) for row in rows]


@pytest.mark.parametrize(
    ("weak_password", "underage", "username_taken", "bad_username"),
    list(itertools.product([False, True], repeat=4)),
)
def test_a_taken_email_answers_like_a_fresh_one_whatever_else_is_wrong(
    client: TestClient,
    api: Any,
    count_rows: Callable[[str], int],
    weak_password: bool,
    underage: bool,
    username_taken: bool,
    bad_username: bool,
) -> None:
    api.register("owner@example.com", username="owner")
    api.register("other@example.com", username="taken")

    def register(email: str) -> tuple[int, dict[str, Any]]:
        username = "taken" if username_taken else f"new{uuid.uuid4().hex[:12]}"
        body = {
            "email": email,
            "username": "x!" if bad_username else username,
            "password": "password123" if weak_password else PASSWORD,
            "date_of_birth": "2015-06-01" if underage else "1990-05-17",
        }
        return _answer(client.post("/api/auth/register", json=body))

    users_before = count_rows("users")
    taken = register("OWNER@example.com")
    fresh = register(f"fresh-{uuid.uuid4().hex[:8]}@example.com")
    assert taken == fresh
    everything_right = not (weak_password or underage or username_taken or bad_username)
    assert taken[0] == (202 if everything_right else fresh[0])
    assert count_rows("users") == users_before + everything_right  # only the fresh one


def test_registration_checks_everything_before_the_email(client: TestClient, api: Any) -> None:
    """The order that makes the rule above hold: a taken username is a 409 for a taken
    email too, so a 409 says nothing about the email."""
    api.register("owner@example.com", username="owner")
    body = {"username": "owner", "password": PASSWORD, "date_of_birth": "1990-05-17"}
    taken = client.post("/api/auth/register", json={**body, "email": "owner@example.com"})
    fresh = client.post("/api/auth/register", json={**body, "email": "fresh@example.com"})
    assert _answer(taken) == _answer(fresh)
    assert taken.json()["code"] == "username_taken"


def test_a_registration_spends_its_username_whether_or_not_the_email_was_taken(
    client: TestClient, api: Any, count_rows: Callable[[str], int]
) -> None:
    """Else a second registration with the same username would tell the cases apart."""
    api.register("owner@example.com", username="owner")
    body = {"password": PASSWORD, "date_of_birth": "1990-05-17"}

    def probe(email: str, username: str) -> tuple[tuple[int, Any], tuple[int, Any]]:
        first = client.post(
            "/api/auth/register", json={**body, "email": email, "username": username}
        )
        second = client.post(
            "/api/auth/register",
            json={**body, "email": f"{username}-again@example.com", "username": username},
        )
        return _answer(first), _answer(second)

    taken = probe("owner@example.com", "probeone")
    fresh = probe("fresh@example.com", "probetwo")
    assert repr(taken).replace("probeone", "NAME") == repr(fresh).replace("probetwo", "NAME")
    assert taken[1][1]["code"] == "username_taken"
    assert count_rows("reserved_usernames") == 1  # probeone; probetwo is an account's


def test_both_registration_emails_go_through_the_outbox(
    client: TestClient, api: Any, platform: PlatformContext
) -> None:
    api.register("owner@example.com", username="owner")
    api.register("owner@example.com", username="someoneelse")
    rows = {row["key"].split(":")[0]: row for row in _outbox(platform)}
    assert sorted(rows) == ["already-registered", "email-verification"]
    assert {row["status"] for row in rows.values()} == {"done"}
    # The verification body is written when sent: no token rests in the outbox.
    assert rows["email-verification"]["body"] == ""
    subjects = [message["subject"] for message in api.mailbox("owner@example.com")]
    assert subjects == ["Confirm your email for ALOT!", "Someone tried to register with your email"]


def test_reset_requests_write_the_same_outbox_row_and_mint_nothing_inline(
    client: TestClient, api: Any, platform: PlatformContext, count_rows: Callable[[str], int]
) -> None:
    account = api.account()
    tokens_before = count_rows("one_time_tokens")
    mailbox = platform.mailer
    assert isinstance(mailbox, DevMailbox)
    sent_before = len(mailbox.messages())
    # The request path, as the endpoint runs it before its response and commit.
    with contextmanager(unit_of_work)(platform.database) as session:
        AuthService(session, platform).request_password_reset(account.email.upper())
        AuthService(session, platform).request_password_reset("nobody@example.com")
        assert len(mailbox.messages()) == sent_before  # nothing sent inline
        tokens = session.scalar(text("SELECT count(*) FROM one_time_tokens"))
        assert tokens == tokens_before  # no token minted inline
        written = session.execute(text("SELECT key, user_id, address, kind, status FROM outbox"))
        resets = {row.address: row for row in written if row.kind == "password_reset"}
        assert sorted(resets) == sorted([account.email, "nobody@example.com"])
        assert {(row.user_id, row.status) for row in resets.values()} == {(None, "pending")}
    known_key, unknown_key = resets[account.email].key, resets["nobody@example.com"].key

    # Once committed, the sender resolves each address: the known one gets a link, the
    # unknown one is dropped and its address forgotten.
    after = {row["key"]: row for row in _outbox(platform)}
    known, unknown = after[known_key], after[unknown_key]
    assert (known["address"], known["status"]) == (None, "done")
    assert (unknown["address"], unknown["status"], unknown["user_id"]) == (None, "dropped", None)
    assert uuid.UUID(str(known["user_id"])) == uuid.UUID(account.id)
    assert count_rows("one_time_tokens") == tokens_before + 1
    assert api.token_from_mail(account.email, "Reset")


def test_a_reset_answers_before_the_mail_server_is_asked(
    make_client: Callable[..., TestClient], api: Any, clock: Any
) -> None:
    """With the mail server down, known and unknown addresses answer alike; the known
    one's email waits in the outbox and goes out once the server is back."""
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(smtp_host="127.0.0.1", smtp_port=closed_port, smtp_starttls=False)
    platform: PlatformContext = client.app.state.platform  # type: ignore[attr-defined]
    with contextmanager(unit_of_work)(platform.database) as session:
        AuthService(session, platform).users.create(
            email="known@example.com",
            username="known",
            hashed_password=platform.hasher.hash(PASSWORD),
            date_of_birth=None,
        )
    known = client.post("/api/auth/password-reset/request", json={"email": "known@example.com"})
    unknown = client.post("/api/auth/password-reset/request", json={"email": "nobody@example.com"})
    assert _answer(known) == _answer(unknown)
    assert known.status_code == 202
    rows = {row["status"]: row for row in _outbox(platform)}
    assert sorted(rows) == ["dropped", "pending"]
    assert "ConnectionRefusedError" in rows["pending"]["last_error"]

    platform.mailer = DevMailbox()  # the mail server is back
    clock.advance(minutes=1)
    assert run_due(platform).done == 1
    sent = platform.mailer.messages("known@example.com")
    assert [message.subject for message in sent] == ["Reset your ALOT! password"]


def test_emails_carry_a_link_to_the_page_that_uses_them(
    make_client: Callable[..., TestClient], api: Any
) -> None:
    client = make_client(public_url=_PUBLIC_URL)
    api = type(api)(client)  # the conftest's helper, on this client
    email, _ = api.register()
    (verification,) = api.mailbox(email)
    token = _token_of_link(verification["body"], f"{_PUBLIC_URL}/verify")
    assert client.post("/api/auth/verify-email", json={"token": token}).status_code == 204

    client.post("/api/auth/password-reset/request", json={"email": email})
    reset = api.mailbox(email)[-1]
    token = _token_of_link(reset["body"], f"{_PUBLIC_URL}/reset-password")
    assert f"token:\n{token}\n" in reset["body"]  # and the bare token, for API clients
    confirmed = client.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "new_password": "a-brand-new-passphrase"},
    )
    assert confirmed.status_code == 204, confirmed.text


def _token_of_link(body: str, page: str) -> str:
    links = [word for word in body.split() if word.startswith(f"{page}?")]
    assert len(links) == 1, body
    (token,) = parse_qs(urlsplit(links[0]).query)["token"]
    return token
