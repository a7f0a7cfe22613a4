"""Domain events: what a committed change tells live clients and the caches.

A service that changes something a client shows calls ``emit(session, event)`` in its
unit of work. The event waits in ``session.info`` and is dispatched to the platform's
listeners (``platform.events``: cache write-through and invalidation, then the live hub)
only once that transaction has committed and its connection is back in the pool; a
rollback drops it. This is the outbox relay's mechanism (alot_platform.outbox.relay),
without a row: events are a push of state the database already holds, so one lost to a
crash between commit and dispatch costs a client a refetch (it sees a ``seq`` gap, or
reconnects and resumes), never a wrong balance.

Dispatch runs in the committing thread, before the request that committed answers: a
buyer's next read after a 201 finds the cache written through (read-your-writes).

Lot events carry the lot's id and go to everyone allowed to see the lot. Personal
events carry a ``user_id`` and go only to that user's connections. Internal events
(``internal=True``) reach the server's listeners and never a client.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, object_session

if TYPE_CHECKING:
    from alot_platform.context import PlatformContext
    from alot_platform.lots.models import Lot

_log = logging.getLogger(__name__)


class EventType(StrEnum):
    # Lot events (the seed's five): to everyone who may see the lot.
    LOT_UPDATE = "lot_update"
    """Funding progress, or a status change without an event of its own."""
    LOT_FUNDED = "lot_funded"
    DRAW_STARTED = "draw_started"
    DRAW_COMPLETED = "draw_completed"
    LOT_EXPIRED = "lot_expired"
    # Personal events: to one user.
    PURCHASE_CONFIRMED = "purchase_confirmed"
    """A purchase paid through Stripe Checkout was confirmed by its webhook."""
    CREDITS_AWARDED = "credits_awarded"
    WON = "won"
    REFUND_AVAILABLE = "refund_available"
    REFUND_DONE = "refund_done"
    PRIZE = "prize"
    """A won prize was claimed, shipped, delivered, disputed or resolved, or one of its
    deadlines is near or passed (docs/platform/fulfillment.md); never the address."""
    # Internal: to the server's listeners only.
    CREDITS_CHANGED = "credits_changed"
    """A user's credit balance changed (a cache of it is stale)."""
    LOT_CHANGED = "lot_changed"
    """An admin changed what a lot shows without a state change (an edit, an extension);
    ``data`` is the lot's snapshot."""
    CATALOGUE_CHANGED = "catalogue_changed"
    """A product class changed: every lot view built from it is stale."""


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    at: datetime
    lot_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    """Set for a personal event: only this user's connections receive it."""
    data: Mapping[str, Any] = field(default_factory=dict)
    internal: bool = False

    @property
    def personal(self) -> bool:
        return self.user_id is not None and not self.internal


Listener = Callable[[Sequence[Event]], None]


class EventBus:
    """The platform's listeners, called in order with each commit's events."""

    def __init__(self) -> None:
        self._listeners: list[tuple[str, Listener]] = []
        self._lock = threading.Lock()

    def listen(self, name: str, listener: Listener) -> None:
        """Add ``listener`` (replacing one of the same name)."""
        with self._lock:
            self._listeners = [(n, f) for n, f in self._listeners if n != name]
            self._listeners.append((name, listener))

    def dispatch(self, events: Sequence[Event]) -> None:
        """Hand committed events to every listener; a listener's failure is logged and
        never reaches the committer (its change is in already)."""
        for name, listener in self._listeners:
            try:
                listener(events)
            except Exception:
                _log.exception("event listener %s failed on %d events", name, len(events))


def emit(session: Session, *events: Event) -> None:
    """Dispatch ``events`` once ``session``'s transaction commits (never if it rolls back)."""
    session.info.setdefault("events_new", []).extend(events)


def emit_for(lot: Lot, *events: Event) -> None:
    """``emit`` in the unit of work ``lot`` is loaded in (the state machine has no session)."""
    session = object_session(lot)
    if session is None:  # a lot not in a session changes nothing that commits
        return
    emit(session, *events)


def lot_snapshot(lot: Lot) -> dict[str, Any]:
    """What every lot event's ``data`` holds: the lot's state and funding as committed.

    ``tickets_sold`` only grows while a lot sells: a client (or cache) that gets two
    updates out of order keeps the larger.
    """
    funded = lot.funded_cents
    return {
        "status": lot.status,
        "tickets_sold": lot.tickets_sold,
        "funded_cents": funded,
        "cash_cents": lot.cash_cents,
        "spent_credits": lot.credits_spent,
        "funding_target_cents": lot.funding_target_cents,
        "progress_basis_points": funded * 10_000 // lot.funding_target_cents,
        "deadline": lot.deadline.isoformat().replace("+00:00", "Z"),
    }


def install(platform: PlatformContext) -> None:
    """Dispatch each of ``platform``'s sessions' committed events to ``platform.events``."""

    @sa_event.listens_for(platform.database.sessions, "after_commit")
    def _committed(session: Session) -> None:
        events = session.info.pop("events_new", None)
        if events:
            session.info.setdefault("events_committed", []).extend(events)

    @sa_event.listens_for(platform.database.sessions, "after_transaction_end")
    def _ended(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None:
            return
        events = session.info.pop("events_committed", None)
        if events:
            platform.events.dispatch(events)

    @sa_event.listens_for(platform.database.sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop("events_new", None)
