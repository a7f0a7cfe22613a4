"""Fixtures for the lot engine tests: an admin, and short-hands to build lots over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alot_ledger import Ledger
from alot_platform.entries.holders import entry_holder
from alot_platform.entries.models import LotEntry, LotEntryPurchase
from alot_platform.lots.models import LotStatus
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.state import transition
from alot_platform.realtime.events import Event, EventType, emit, lot_snapshot
from alot_platform.users.models import User
from fastapi import FastAPI


@pytest.fixture
def lots(make_lot_desk: Any) -> Any:
    """Catalogue and lot helpers; every call goes through the real API as an admin."""
    return make_lot_desk()


@pytest.fixture
def ledger_lines(app: FastAPI) -> Any:
    """Every ledger transaction so far, as export line objects."""

    def read() -> list[dict[str, Any]]:
        with app.state.platform.database.sessions() as session:
            return Ledger(session).transactions(limit=10_000)

    return read


@pytest.fixture
def walk_states(services: Any) -> Any:
    """Move a lot through the state machine (the lot engine's own `transition`), as the
    expiry tick, funding and the draw would; for tests of what each state shows."""

    def walk(lot_id: str, *states: str) -> None:
        with services.session() as session:
            lot = LotRepository(session).get_for_update(uuid.UUID(lot_id))
            assert lot is not None
            for state in states:
                transition(lot, LotStatus(state), services.platform.clock())

    return walk


@pytest.fixture
def add_entries(services: Any) -> Any:
    """Record paid entries on a lot as rows (tickets allocated in order, totals updated),
    standing in for the purchase flow so discovery can be tested on its own."""

    def add(lot_id: str, *entries: tuple[str, int, int]) -> None:
        now = services.platform.clock()
        with services.session() as session:
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
                        holder=entry_holder(
                            lot, session.get_one(User, uuid.UUID(user_id)).holder_secret
                        ),
                        created_at=now,
                    )
                )
                lot.tickets_sold += tickets
                lot.cash_cents += cents
            # As a purchase batch does: the caches hear of the new figures.
            emit(session, Event(EventType.LOT_UPDATE, now, lot_id=lot.id, data=lot_snapshot(lot)))

    return add
