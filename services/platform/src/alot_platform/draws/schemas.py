"""What GET /api/lots/{id}/draw and the admin draw triggers return."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from alot_platform.draws.models import LotteryDraw
from alot_platform.lots.models import Lot, LotStatus

DrawStage = Literal["committed", "frozen", "drawn", "settled"]


class DrawRead(BaseModel):
    """A lot's draw as far as it has gone; ``proof`` is what ``alot-verify draw`` checks."""

    lot_id: uuid.UUID
    lot_status: str
    stage: DrawStage = Field(
        description="committed: seed commitment published; frozen: funded, inputs frozen in"
        " the ledger; drawn: winner drawn, proof published; settled: prizes and credits paid"
    )
    algorithm: str
    server_seed_commitment: str | None
    commitment_ledger_seq: int | None
    draw_inputs: dict[str, Any] | None = Field(description="frozen at funding")
    draw_inputs_hash: str | None
    inputs_ledger_seq: int | None
    server_seed: str | None = Field(
        description="revealed at funding with the frozen inputs (in the draw_inputs memo),"
        " before the beacon round exists; null until the lot is funded"
    )
    frozen_at: datetime | None
    total_tickets: int | None
    escrow_cents: int | None
    winning_ticket: int | None
    winner_user_id: uuid.UUID | None
    winner_holder: str | None = Field(
        description="the winning holder's pseudonym on a lot with pseudonymous holders (as"
        " the proof names the winner); null on a lot naming holders by user id, or undrawn"
    )
    drawn_at: datetime | None
    result_ledger_seq: int | None
    proof: dict[str, Any] | None = Field(
        description="the full draw proof, exactly as `alot-verify draw` accepts it"
        " (also served alone at /api/lots/{id}/draw/proof)"
    )


def draw_read(lot: Lot, draw: LotteryDraw | None) -> DrawRead:
    stage: DrawStage = "committed"
    if draw is not None:
        stage = "frozen" if draw.proof is None else "drawn"
        if lot.status == LotStatus.SETTLED.value:
            stage = "settled"
    return DrawRead(
        lot_id=lot.id,
        lot_status=lot.status,
        stage=stage,
        algorithm=lot.draw_algorithm,
        server_seed_commitment=lot.server_seed_commitment,
        commitment_ledger_seq=lot.commitment_ledger_seq,
        draw_inputs=draw.draw_inputs if draw else None,
        draw_inputs_hash=draw.draw_inputs_hash if draw else None,
        inputs_ledger_seq=draw.inputs_ledger_seq if draw else None,
        server_seed=draw.server_seed if draw else None,
        frozen_at=draw.frozen_at if draw else None,
        total_tickets=draw.total_tickets if draw else None,
        escrow_cents=draw.escrow_cents if draw else None,
        winning_ticket=draw.winning_ticket if draw else None,
        winner_user_id=draw.winner_user_id if draw else None,
        winner_holder=_winner_holder(draw),
        drawn_at=draw.drawn_at if draw else None,
        result_ledger_seq=draw.result_ledger_seq if draw else None,
        proof=draw.proof if draw else None,
    )


def _winner_holder(draw: LotteryDraw | None) -> str | None:
    # The proof is the record of who won under which name: a named proof has none.
    if draw is None or draw.proof is None:
        return None
    holder = draw.proof.get("winner_holder")
    return holder if isinstance(holder, str) else None
