"""Fixtures for the entry tests: open lots, players who passed the trivia, a write census.

Lots are made through the real admin API and players answer the trivia over HTTP.
The concurrency tests also create players and buy through the services directly, one
unit of work per thread, as the endpoints do. `Census` counts every table a purchase
writes (and the ledger) so a refusal can be shown to have written nothing.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from alot_ledger import Ledger
from alot_platform.auth.models import AuthSession
from alot_platform.auth.tokens import Claims
from alot_platform.context import PlatformContext
from alot_platform.entries.service import EntryService, Order
from alot_platform.errors import AlotError
from alot_platform.lots.repository import LotRepository
from alot_platform.trivia.service import TriviaService
from alot_platform.users.service import UserService
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

TRIVIA_ANSWER = "Rolex"
WRITTEN_BY_PURCHASES = (
    "lot_entry_purchases",
    "lot_entries",
    "reveals",
    "credit_transactions",
    "user_universal_credits",
    "lottery_draws",
    "ledger_transactions",
)


class Shop:
    """Lots and players for entry tests, through the real API (and services where noted).

    Lots, players and purchases over HTTP are the shared `LotDesk`'s; what is added
    here is what only the entry tests need."""

    def __init__(self, desk: Any, services: Any) -> None:
        self.client: TestClient = desk.client
        self.clock = desk.clock
        self.admin = desk.admin
        self.platform: PlatformContext = services.platform
        self.session: Callable[[], AbstractContextManager[Session]] = services.session
        self.grant_credits = services.grant_credits
        self.create_lot = desk.create
        self.open_lot = desk.open_lot
        self.player = desk.player
        self.pass_trivia = desk.pass_trivia
        self.key = desk.key
        self.buy = desk.buy
        self.buy_with_credits = desk.buy_with_credits
        self._sessions: dict[uuid.UUID, uuid.UUID] = {}

    def quick_players(self, lot_id: str, count: int) -> list[uuid.UUID]:
        """``count`` verified players who answered the lot's trivia, made through the
        services (registering dozens over HTTP would only slow the test down)."""
        ids = []
        with self.session() as session:
            users = UserService(session, self.platform)
            lot = LotRepository(session).get(uuid.UUID(lot_id))
            assert lot is not None
            for _ in range(count):
                tag = uuid.uuid4().hex[:10]
                user = users.create(
                    email=f"buyer_{tag}@example.com",
                    username=f"buyer_{tag}",
                    hashed_password="not-a-login",
                    date_of_birth=None,
                    verified_email=True,
                )
                session.flush()
                result = TriviaService(session, self.platform).attempt(lot, user, TRIVIA_ANSWER)
                assert result.correct
                self._sign_in(session, user.id)
                ids.append(user.id)
        return ids

    def caller(self, user_id: Any) -> Claims:
        """What the access token of a login session of ``user_id`` says (a session is
        made for players who have none here yet)."""
        user_id = uuid.UUID(str(user_id))
        now = self.clock()
        if user_id not in self._sessions:
            with self.session() as session:
                self._sign_in(session, user_id)
        return Claims(
            subject=user_id,
            token_id=uuid.uuid4(),
            issued_at=now,
            expires_at=now + timedelta(minutes=15),
            session_id=self._sessions[user_id],
        )

    def _sign_in(self, session: Session, user_id: uuid.UUID) -> None:
        """A login session for ``user_id``, remembered for ``caller``."""
        signed_in = AuthSession(id=uuid.uuid4(), user_id=user_id, created_at=self.clock())
        session.add(signed_in)
        self._sessions[user_id] = signed_in.id

    def buy_at_once(self, calls: Sequence[tuple[Any, Any, Order, str]]) -> list[Any]:
        """Run each (user id, lot id, order, key) purchase in its own thread and unit of
        work, as the endpoint does, all released together. Returns, per call, the
        (purchase id, replayed, funded_now) it got or the error it raised."""
        platform = self.platform
        callers = [self.caller(user_id) for user_id, _, _, _ in calls]
        start = threading.Barrier(len(calls))
        results: list[Any] = [None] * len(calls)

        def buy(index: int, user_id: Any, lot_id: Any, order: Order, key: str) -> None:
            start.wait()
            try:
                with self.session() as session:
                    outcome = EntryService(session, platform).buy(
                        uuid.UUID(str(lot_id)), callers[index], order, key
                    )
                    results[index] = (outcome.purchase.id, outcome.replayed, outcome.funded_now)
            except AlotError as error:
                results[index] = error
            except BaseException as error:  # a bug: kept so the test shows it
                results[index] = error

        threads = [threading.Thread(target=buy, args=(i, *call)) for i, call in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def census(self) -> dict[str, int]:
        engine = self.platform.database.engine
        with engine.connect() as connection:
            return {
                table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in WRITTEN_BY_PURCHASES
            }

    def ledger_balance(self, account: str, asset: str) -> int:
        with self.session() as session:
            return Ledger(session).balance(account, asset).balance

    def lot_row(self, lot_id: str) -> dict[str, Any]:
        with self.session() as session:
            lot = LotRepository(session).get(uuid.UUID(lot_id))
            assert lot is not None
            return {
                "status": lot.status,
                "tickets_sold": lot.tickets_sold,
                "cash_cents": lot.cash_cents,
                "credits_spent": lot.credits_spent,
                "funding_target_cents": lot.funding_target_cents,
            }


@pytest.fixture
def shop(make_lot_desk: Any, services: Any) -> Shop:
    return Shop(make_lot_desk(), services)
