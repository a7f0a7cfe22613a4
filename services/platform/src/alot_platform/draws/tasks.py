"""Background work of the draw engine: draw and settle a funded lot, each its own unit of work.

Run after the funding purchase commits (FastAPI background task) and by every scheduler
tick for lots still waiting (a draw whose drand round is not published yet, a process
that stopped between draw and settle). Safe to run any number of times, at once too:
each step locks the lot and does nothing unless the lot is in the state it moves from.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work
from alot_platform.draws.service import BeaconNotPublished, DrawService
from alot_platform.lots.models import LotStatus
from alot_platform.lots.repository import LotRepository

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrawOutcome:
    drawn: bool
    settled: bool
    status: str | None


def run_draw_and_settle(platform: PlatformContext, lot_id: uuid.UUID) -> DrawOutcome:
    """Draw the lot if it is funded, then settle it if it is drawn; report what happened."""
    drawn = settled = False
    with contextmanager(unit_of_work)(platform.database) as session:
        lot = LotRepository(session).get_for_update(lot_id)
        if lot is not None and lot.status == LotStatus.FUNDED.value:
            try:
                DrawService(session, platform).draw(lot_id)
                drawn = True
            except BeaconNotPublished as waiting:
                _log.info("lot %s: %s", lot_id, waiting.detail)
    with contextmanager(unit_of_work)(platform.database) as session:
        lot = LotRepository(session).get_for_update(lot_id)
        if lot is not None and lot.status == LotStatus.DRAWING.value:
            DrawService(session, platform).settle(lot_id)
            settled = True
        status = None if lot is None else lot.status
    if drawn or settled:
        _log.info("lot %s: drawn=%s settled=%s, now %s", lot_id, drawn, settled, status)
    return DrawOutcome(drawn=drawn, settled=settled, status=status)
