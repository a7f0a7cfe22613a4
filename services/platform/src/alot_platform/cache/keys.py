"""Cache keys (under ``<ALOT_REDIS_PREFIX>cache:`` in Redis) and lot state ranks."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from alot_platform.lots.models import LotStatus

ALL = "v:all"
"""Version of everything built from the catalogue (a product class edit bumps it)."""
LISTS = "v:lists"
"""Version of the list pages' ordered ids (a lot entering or leaving a state bumps it)."""

# How far along its life a lot is: a live record never goes back to a lower rank, and a
# higher one means the lot's state changed (its static view and the lists are stale).
# funded and expired (and what follows each) never happen to the same lot.
RANKS: dict[str, int] = {
    LotStatus.CREATED: 0,
    LotStatus.OPEN: 1,
    LotStatus.FUNDED: 2,
    LotStatus.EXPIRED: 2,
    LotStatus.DRAWING: 3,
    LotStatus.REFUNDING: 3,
    LotStatus.SETTLED: 4,
    LotStatus.CLOSED: 4,
}
FINAL = frozenset({LotStatus.SETTLED.value, LotStatus.CLOSED.value})


def lot_version(lot_id: uuid.UUID | str) -> str:
    return f"v:lot:{lot_id}"


def lot_static(lot_id: uuid.UUID | str) -> str:
    return f"lot:{lot_id}"


def lot_live(lot_id: uuid.UUID | str) -> str:
    return f"live:{lot_id}"


def lot_list(query: dict[str, Any]) -> str:
    return "list:" + _digest(query)


def leaderboard(lot_id: uuid.UUID | str, cursor: str | None, limit: int) -> str:
    return f"board:{lot_id}:" + _digest({"cursor": cursor, "limit": limit})


def draw(lot_id: uuid.UUID | str) -> str:
    return f"draw:{lot_id}"


def credits_version(user_id: uuid.UUID | str) -> str:
    return f"v:credits:{user_id}"


def credits(user_id: uuid.UUID | str) -> str:
    return f"credits:{user_id}"


def _digest(query: dict[str, Any]) -> str:
    text = json.dumps(query, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
