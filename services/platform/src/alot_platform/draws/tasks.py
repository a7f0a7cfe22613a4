"""Background work of the draw engine: draw a funded lot, then settle it chunk by chunk.

``run_draw_and_settle`` is the entry point: after the funding purchase commits, and by
every scheduler tick for lots still waiting (a draw whose drand round is not published
yet, a process that stopped between draw and settle, or in the middle of a
settlement). The draw is one unit of work; the settlement is one unit of work per chunk
of ALOT_SETTLEMENT_CHUNK_SIZE entries (``settle_next_chunk``), each committed before
the next starts, so a crash loses at most the chunk in flight and the next run resumes
after the last committed one. Safe to run any number of times, at once too: each step
locks the lot and does nothing unless the lot is in the state it moves from.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.draws.service import BeaconNotPublished, DrawService, SettlementStep
from alot_platform.lots.models import LotStatus
from alot_platform.lots.repository import LotRepository
from alot_platform.observability import business
from alot_platform.witnesses.service import witness_freeze

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrawOutcome:
    drawn: bool
    settled: bool
    status: str | None


def run_draw_and_settle(platform: PlatformContext, lot_id: uuid.UUID) -> DrawOutcome:
    """Draw the lot if it is funded, then settle it if it is drawn; report what happened."""
    drawn = False
    # Witnessed before the beacon is read: the cosignature's timestamp over the freeze
    # memo must come before its round (docs/spec/draw.md). Bounded, never blocks the draw.
    witness_freeze(platform, lot_id)
    try:
        with contextmanager(unit_of_work)(platform.database) as session:
            lot = LotRepository(session).get_for_update(lot_id)
            if lot is not None and lot.status == LotStatus.FUNDED.value:
                try:
                    DrawService(session, platform).draw(lot_id)
                    drawn = True
                except BeaconNotPublished as waiting:
                    _log.info("lot %s: %s", lot_id, waiting.detail)
    except Exception as error:
        business.draw_failed(lot_id, "draw", error)
        raise
    try:
        settled, status = settle_lot(platform, lot_id)
    except Exception as error:
        business.draw_failed(lot_id, "settle", error)
        raise
    if drawn or settled:
        _log.info("lot %s: drawn=%s settled=%s, now %s", lot_id, drawn, settled, status)
    return DrawOutcome(drawn=drawn, settled=settled, status=status)


def settle_lot(platform: PlatformContext, lot_id: uuid.UUID) -> tuple[bool, str | None]:
    """Settle every remaining chunk of a drawn lot, each in its own unit of work.

    Returns whether this call settled the lot (ran its last chunk) and the lot's status
    (None for no such lot). A lot that is not drawing is left alone.
    """
    while True:
        with contextmanager(unit_of_work)(platform.database) as session:
            lot = LotRepository(session).get_for_update(lot_id)
            if lot is None or lot.status != LotStatus.DRAWING.value:
                return False, None if lot is None else lot.status
            step = DrawService(session, platform).settle_chunk(lot_id)
        if step.settled:
            return True, LotStatus.SETTLED.value
        _log.debug("lot %s: settled through ticket %s", lot_id, step.through_ticket)


def settle_next_chunk(platform: PlatformContext, lot_id: uuid.UUID) -> SettlementStep:
    """One settlement chunk of a drawn lot in its own unit of work (committed on return)."""
    with contextmanager(unit_of_work)(platform.database) as session:
        return DrawService(session, platform).settle_chunk(lot_id)
