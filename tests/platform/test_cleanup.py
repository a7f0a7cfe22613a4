"""The cleanup job: ended sessions, expired tokens and spent payment events go, in
batches, until nothing due is left; the ledger, purchases and live logins stay."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from alot_platform.auth.models import AuthSession, OneTimeToken, RefreshToken
from alot_platform.cleanup.service import run_cleanup
from alot_platform.context import PlatformContext
from alot_platform.payments.models import PaymentEvent
from alot_platform.scheduler import run_tick
from fastapi.testclient import TestClient
from sqlalchemy import select


def _event(services: Any, outcome: str | None, processed_at: datetime | None) -> str:
    event_id = f"evt_{uuid.uuid4().hex}"
    with services.session() as session:
        session.add(
            PaymentEvent(
                id=event_id,
                provider="stripe",
                type="payment_intent.succeeded",
                payload={},
                provider_created_at=processed_at or services.platform.clock(),
                received_at=processed_at or services.platform.clock(),
                processed_at=processed_at,
                outcome=outcome,
                attempts=1,
            )
        )
    return event_id


def _ids(services: Any, column: Any) -> set[Any]:
    with services.session() as session:
        return set(session.scalars(select(column)))


def _refresh(client: TestClient, token: str) -> Any:
    return client.post("/api/auth/refresh", json={"refresh_token": token})


def test_cleanup_removes_only_what_no_longer_guards_anything(
    client: TestClient,
    api: Any,
    clock: Any,
    platform: PlatformContext,
    services: Any,
    count_rows: Callable[[str], int],
) -> None:
    retention = timedelta(days=platform.settings.cleanup_retention_days)
    start = clock.now
    # Ada registers (a verification token, used), logs in twice and logs one session out;
    # Bob asks for a password reset he never uses; Cy stays logged in and keeps refreshing.
    ada = api.account()
    second = api.login(ada.email)
    assert client.post("/api/auth/logout", headers=ada.headers).status_code == 204
    bob = api.account()
    assert client.post("/api/auth/password-reset/request", json={"email": bob.email}).is_success
    cy = api.account()
    old_events = {
        outcome: _event(services, outcome, start)
        for outcome in ("allocated", "already_done", "checkout_expired", "noted")
    }
    kept_events = {
        "unmatched": _event(services, "unmatched", start),
        "disputed": _event(services, "disputed", start),
        "late_refund": _event(services, "late_refund", start),
        "late_refund_due": _event(services, "late_refund_due", start),
        "unprocessed": _event(services, None, None),
    }
    sessions_before = _ids(services, AuthSession.id)
    assert len(sessions_before) == 4  # ada x2, bob, cy
    one_time_tokens = count_rows("one_time_tokens")
    assert one_time_tokens == 4  # three verifications and a reset
    ledger, purchases, users = (
        count_rows("ledger_transactions"),
        count_rows("lot_entry_purchases"),
        count_rows("users"),
    )

    # Nothing is due yet: the logout is recent, every token and event too.
    assert run_cleanup(platform).total == 0

    # Cy refreshes just before their refresh token would expire, and again every time,
    # so their login outlives everything else; the rest ages past the retention.
    cy_refresh = cy.refresh_token
    elapsed = timedelta()
    step = platform.refresh_ttl - timedelta(hours=1)
    while elapsed < retention + platform.refresh_ttl + timedelta(days=1):
        clock.advance(seconds=step.total_seconds())
        elapsed += step
        refreshed = _refresh(client, cy_refresh)
        assert refreshed.status_code == 200, refreshed.text
        cy_refresh = refreshed.json()["refresh_token"]
    recent = _event(services, "allocated", clock.now - timedelta(days=1))

    report = run_tick(platform)
    assert report.failures == []
    # Ada's two logins and Bob's ended long ago (one logged out, two expired): gone with
    # their refresh tokens; Cy's goes on.
    assert _ids(services, AuthSession.id) == sessions_before - {
        s for s in sessions_before if s != _session_of(platform, cy_refresh)
    }
    assert len(_ids(services, AuthSession.id)) == 1
    assert _refresh(client, second["refresh_token"]).status_code == 401
    assert client.get("/api/users/me", headers=ada.headers).status_code == 401
    # Of Cy's refresh tokens, only those that expired more than the retention ago went.
    cutoff = clock.now - retention
    with services.session() as session:
        tokens = session.scalars(select(RefreshToken)).all()
        assert tokens
        assert all(t.expires_at >= cutoff for t in tokens)
        assert all(t.session_id == _session_of(platform, cy_refresh) for t in tokens)
        assert session.scalars(select(OneTimeToken)).all() == []
    refreshed = _refresh(client, cy_refresh)
    assert refreshed.status_code == 200, refreshed.text
    me = client.get(
        "/api/users/me",
        headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
    )
    assert me.status_code == 200
    # Spent payment events older than the retention go; the others stay.
    assert _ids(services, PaymentEvent.id) == {*kept_events.values(), recent}
    # Never the ledger, purchases or users.
    assert count_rows("ledger_transactions") == ledger
    assert count_rows("lot_entry_purchases") == purchases
    assert count_rows("users") == users
    # 3 sessions, Cy's first refresh token, every one-time token, 4 events.
    assert report.cleaned == 3 + 1 + one_time_tokens + len(old_events)
    assert run_cleanup(platform).total == 0


def test_cleanup_drains_a_backlog_in_batches_and_two_runs_at_once_do_no_harm(
    api: Any, clock: Any, platform: PlatformContext, services: Any
) -> None:
    old = clock.now
    events = {_event(services, "allocated", old) for _ in range(7)}
    owner = uuid.UUID(api.account().id)
    with services.session() as session:
        for number in range(6):
            session.add(
                OneTimeToken(
                    id=uuid.uuid4(),
                    user_id=owner,
                    purpose="password_reset",
                    issued_at=old,
                    expires_at=old + timedelta(hours=number),
                )
            )
    tokens = len(_ids(services, OneTimeToken.id))
    assert tokens == 7  # and the account's own verification token
    clock.advance(days=platform.settings.cleanup_retention_days + 3)

    reports: list[Any] = []
    barrier = threading.Barrier(2)

    def clean() -> None:
        barrier.wait()
        reports.append(run_cleanup(platform, batch_size=2))

    threads = [threading.Thread(target=clean) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reports) == 2
    # Every row due went, in batches of 2, each counted once across the two runs.
    assert sum(r.removed["payment events"] for r in reports) == len(events)
    assert sum(r.removed["one-time tokens"] for r in reports) == tokens
    assert _ids(services, PaymentEvent.id) == set()
    assert _ids(services, OneTimeToken.id) == set()


def _session_of(platform: PlatformContext, refresh_token: str) -> uuid.UUID:
    session_id = platform.tokens.decode(refresh_token, "refresh").session_id
    assert session_id is not None
    return session_id
