"""The lot state machine: the only place a lot's status changes.

    created -> open                      (opened: server seed committed in the ledger)
    open -> funded | expired             (target reached | deadline passed unfunded)
    expired -> refunding -> closed       (refunds start at once; every purchase refunded)
    funded -> drawing -> settled         (winner drawn | prizes and credits settled)

Nothing else. Each transition stamps its timestamp; any other request is refused with
a 409 naming the current state. A deadline moves later while the lot is open (an
admin's extension, lots/service.py), never after it: an expired lot does not reopen.

The deadline rule: from its deadline on, a lot takes no part in anything an open lot
does (tickets, trivia answers, an extension), whatever its stored status says: the
expiry tick may not have run yet (``require_selling``).
"""

from __future__ import annotations

from datetime import datetime

from alot_platform.errors import Conflict
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.observability import business
from alot_platform.realtime.events import Event, EventType, emit_for, lot_snapshot

_ALLOWED: dict[LotStatus, frozenset[LotStatus]] = {
    LotStatus.CREATED: frozenset({LotStatus.OPEN}),
    LotStatus.OPEN: frozenset({LotStatus.FUNDED, LotStatus.EXPIRED}),
    LotStatus.EXPIRED: frozenset({LotStatus.REFUNDING}),
    LotStatus.REFUNDING: frozenset({LotStatus.CLOSED}),
    LotStatus.FUNDED: frozenset({LotStatus.DRAWING}),
    LotStatus.DRAWING: frozenset({LotStatus.SETTLED}),
    LotStatus.SETTLED: frozenset(),
    LotStatus.CLOSED: frozenset(),
}

_STAMPS: dict[LotStatus, str] = {
    LotStatus.OPEN: "opened_at",
    LotStatus.FUNDED: "funded_at",
    LotStatus.DRAWING: "drawing_at",
    LotStatus.SETTLED: "settled_at",
    LotStatus.EXPIRED: "expired_at",
    LotStatus.REFUNDING: "refunding_at",
    LotStatus.CLOSED: "closed_at",
}

# The live event each transition sends (a status without its own event is a lot_update).
_EVENTS: dict[LotStatus, EventType] = {
    LotStatus.FUNDED: EventType.LOT_FUNDED,
    LotStatus.DRAWING: EventType.DRAW_STARTED,
    LotStatus.EXPIRED: EventType.LOT_EXPIRED,
}


class LotDeadlinePassed(Conflict):
    """The lot's deadline has passed, even if the expiry tick has not run yet."""

    code = "lot_deadline_passed"
    title = "The lot's deadline has passed"


class LotStateConflict(Conflict):
    """The lot is not in a state that allows this; the body names the current state."""

    code = "lot_state_conflict"
    title = "Lot is not in a state that allows this"

    def __init__(self, lot: Lot, wanted: str) -> None:
        super().__init__(
            f"lot {lot.id} is {lot.status}; cannot {wanted}",
            lot_id=str(lot.id),
            state=lot.status,
        )


def can_transition(lot: Lot, to: LotStatus) -> bool:
    return to in _ALLOWED[LotStatus(lot.status)]


def transition(
    lot: Lot, to: LotStatus, now: datetime, *, action: str | None = None, announce: bool = True
) -> None:
    """Move ``lot`` to ``to`` and stamp the time, or raise LotStateConflict (409).

    The caller holds the lot's row lock (``SELECT ... FOR UPDATE``) so that two requests
    cannot both see the old state.
    """
    if not can_transition(lot, to):
        raise LotStateConflict(lot, action or f"move to {to.value}")
    lot.status = to.value
    setattr(lot, _STAMPS[to], now)
    business.lot_moved(lot, to, now)  # counted and logged once committed
    if announce:  # a caller that announces itself (a purchase batch) passes False
        kind = _EVENTS.get(to, EventType.LOT_UPDATE)
        emit_for(lot, Event(kind, now, lot_id=lot.id, data=lot_snapshot(lot)))
    lot.updated_at = now


def require_selling(lot: Lot, now: datetime, *, action: str) -> None:
    """Refuse (409) unless ``lot`` is open and ``now`` is before its deadline.

    A lot past its deadline is refused at once (``lot_deadline_passed``), before the
    tick has moved it to expired.
    """
    if lot.status != LotStatus.OPEN.value:
        raise LotStateConflict(lot, action)
    if now >= lot.deadline:
        raise LotDeadlinePassed(
            f"lot {lot.id}'s deadline {lot.deadline.isoformat()} has passed; cannot {action}",
            lot_id=str(lot.id),
            deadline=lot.deadline.isoformat(),
        )
