"""Fixtures for the lot engine tests: an admin, and short-hands to build lots over HTTP."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from alot_ledger import Ledger
from alot_platform.db import unit_of_work
from alot_platform.entries.models import LotEntry, LotEntryPurchase
from alot_platform.lots.models import LotStatus
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.state import transition
from fastapi import FastAPI
from fastapi.testclient import TestClient

TRIVIA_QUESTION = "Which Swiss maker's logo is a crown?"
TRIVIA_ANSWER = "Rolex"


class Lots:
    """Catalogue and lot helpers; every call goes through the real API as an admin."""

    def __init__(self, client: TestClient, api: Any, clock: Any) -> None:
        self.client = client
        self.api = api
        self.clock = clock
        self.admin = api.admin()
        self._serial = 0

    def login_again(self, account: Any = None) -> None:
        """New tokens after the clock moved past the access token's lifetime."""
        account = account or self.admin
        account.access_token = self.api.login(account.email, account.password)["access_token"]

    def product_class(self, **overrides: Any) -> dict[str, Any]:
        self._serial += 1
        body: dict[str, Any] = {
            "name": f"Submariner {self._serial}",
            "brand": "Rolex",
            "category": "watch",
            "tier": "GRAIL",
            "retail_value_cents": 1_250_000,
            "description": "Ref. 126610LN",
            "specifications": {"case_mm": 41, "movement": "3235"},
            "images": ["https://img.example.com/sub.jpg"],
            **overrides,
        }
        response = self.client.post(
            "/api/admin/product-classes", json=body, headers=self.admin.headers
        )
        assert response.status_code == 201, response.text
        product: dict[str, Any] = response.json()
        return product

    def lot_body(self, **overrides: Any) -> dict[str, Any]:
        product_class_id = overrides.pop("product_class_id", None) or self.product_class()["id"]
        return {
            "product_class_id": product_class_id,
            "title": "A watch for the ages",
            "funding_target_cents": 10_000,
            "deadline": (self.clock.now + timedelta(days=7)).isoformat(),
            "entry_bundles": [
                {"price_cents": 200, "tickets": 1},
                {"price_cents": 500, "tickets": 3},
            ],
            "trivia_question": TRIVIA_QUESTION,
            "trivia_answer": TRIVIA_ANSWER,
            **overrides,
        }

    def create(self, **overrides: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/lots", json=self.lot_body(**overrides), headers=self.admin.headers
        )
        assert response.status_code == 201, response.text
        lot: dict[str, Any] = response.json()
        return lot

    def open(self, lot_id: str) -> dict[str, Any]:
        response = self.client.post(f"/api/admin/lots/{lot_id}/open", headers=self.admin.headers)
        assert response.status_code == 200, response.text
        lot: dict[str, Any] = response.json()
        return lot

    def open_lot(self, **overrides: Any) -> dict[str, Any]:
        return self.open(self.create(**overrides)["id"])

    def answer(self, account: Any, lot_id: str, answer: str) -> Any:
        return self.client.post(
            f"/api/lots/{lot_id}/trivia/attempt", json={"answer": answer}, headers=account.headers
        )


@pytest.fixture
def lots(client: TestClient, api: Any, clock: Any) -> Lots:
    return Lots(client, api, clock)


@pytest.fixture
def ledger_lines(app: FastAPI) -> Any:
    """Every ledger transaction so far, as export line objects."""

    def read() -> list[dict[str, Any]]:
        with app.state.platform.database.sessions() as session:
            return Ledger(session).transactions(limit=10_000)

    return read


@pytest.fixture
def walk_states(app: FastAPI) -> Any:
    """Move a lot through the state machine (the lot engine's own `transition`), as the
    expiry tick, funding and the draw would; for tests of what each state shows."""

    def walk(lot_id: str, *states: str) -> None:
        platform = app.state.platform
        with contextmanager(unit_of_work)(platform.database) as session:
            lot = LotRepository(session).get_for_update(uuid.UUID(lot_id))
            assert lot is not None
            for state in states:
                transition(lot, LotStatus(state), platform.clock())

    return walk


@pytest.fixture
def add_entries(app: FastAPI) -> Any:
    """Record paid entries on a lot as rows (tickets allocated in order, totals updated),
    standing in for the purchase flow so discovery can be tested on its own."""

    def add(lot_id: str, *entries: tuple[str, int, int]) -> None:
        platform = app.state.platform
        now = platform.clock()
        with contextmanager(unit_of_work)(platform.database) as session:
            lot = LotRepository(session).get_for_update(uuid.UUID(lot_id))
            assert lot is not None
            for user_id, tickets, cents in entries:
                purchase = LotEntryPurchase(
                    id=uuid.uuid4(),
                    lot_id=lot.id,
                    user_id=uuid.UUID(user_id),
                    method="cash",
                    tickets=tickets,
                    amount_cents=cents,
                    status="succeeded",
                    idempotency_key=uuid.uuid4().hex,
                    request_hash="0" * 64,
                    created_at=now,
                )
                session.add(purchase)
                session.flush()
                start = lot.tickets_sold + 1
                session.add(
                    LotEntry(
                        lot_id=lot.id,
                        user_id=uuid.UUID(user_id),
                        purchase_id=purchase.id,
                        tickets_start=start,
                        tickets_end=start + tickets - 1,
                        ticket_count=tickets,
                        amount_paid_cents=cents,
                        created_at=now,
                    )
                )
                lot.tickets_sold += tickets
                lot.cash_cents += cents

    return add
