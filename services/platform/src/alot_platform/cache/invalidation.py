"""Write-through and invalidation by committed events (``platform.events``).

Called after each commit, in the committing thread, before the request that committed
answers: a buyer's next read finds the lot's live figures written through (read your
writes). One backend round trip per commit on the purchase path: the lot's live record
is merged, and when its state moved, the lot's and the lists' versions are bumped in
the same round trip (backends.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from alot_platform.cache import keys
from alot_platform.realtime.events import Event, EventType

if TYPE_CHECKING:
    from alot_platform.cache.service import Cache
    from alot_platform.context import PlatformContext

_LOT_EVENTS = frozenset(
    {
        EventType.LOT_UPDATE,
        EventType.LOT_FUNDED,
        EventType.DRAW_STARTED,
        EventType.DRAW_COMPLETED,
        EventType.LOT_EXPIRED,
        EventType.LOT_CHANGED,
    }
)

# What a live record holds (``lot_snapshot`` carries them all).
_LIVE_FIGURES = frozenset({"status", "tickets_sold", "cash_cents", "spent_credits"})


def install(platform: PlatformContext) -> None:
    cache = platform.cache
    platform.events.listen("cache", lambda events: apply(cache, events))


def apply(cache: Cache, events: Sequence[Event]) -> None:
    """Bring the cache in line with one commit's events."""
    if not cache.enabled:
        return
    bumps: list[str] = []
    for event in events:
        if event.type == EventType.CREDITS_CHANGED and event.user_id is not None:
            bumps.append(keys.credits_version(event.user_id))
        elif event.type == EventType.CATALOGUE_CHANGED:
            bumps.append(keys.ALL)
        elif event.type in _LOT_EVENTS and event.lot_id is not None:
            if event.data.keys() >= _LIVE_FIGURES:
                write_live(cache, event.lot_id, event.data, state_changed=True)
            elif "status" in event.data:  # figures the record cannot take: reload the lot
                bumps += [keys.lot_version(event.lot_id), keys.LISTS]
            if event.data.get("status") == "open" and event.data.get("tickets_sold") == 0:
                # The lot just opened (a purchase sells at least one ticket): the lists
                # may now show it, whatever a reader's fill put in its live record.
                bumps.append(keys.LISTS)
            if event.type in (EventType.DRAW_COMPLETED, EventType.LOT_CHANGED):
                # The draw stamps drawn_at; an admin's change (an extension) the static view.
                bumps.append(keys.lot_version(event.lot_id))
            if event.type == EventType.LOT_CHANGED:
                bumps.append(keys.LISTS)
    if bumps:
        cache.bump(sorted(set(bumps)))


def write_live(
    cache: Cache, lot_id: uuid.UUID, figures: Mapping[str, Any], *, state_changed: bool
) -> None:
    """Merge a lot's live figures (an event's ``lot_snapshot``, or a reader's fill from
    the database): the furthest-along state wins, then the most tickets sold.

    An event whose state is ahead of the record (or finds none) also bumps the lot's
    and the lists' versions; a reader's fill (``state_changed=False``) never does.
    """
    status = str(figures["status"])
    tickets = int(figures["tickets_sold"])
    live = {
        "status": status,
        "tickets_sold": tickets,
        "cash_cents": int(figures["cash_cents"]),
        "spent_credits": int(figures["spent_credits"]),
    }
    ttl = cache.history_ttl if status in keys.FINAL else cache.lot_ttl
    cache.merge_live(
        keys.lot_live(lot_id),
        keys.RANKS[status],
        tickets,
        json.dumps(live, separators=(",", ":")),
        ttl,
        [keys.lot_version(lot_id), keys.LISTS] if state_changed else [],
    )
