"""The record of a lot's draw: its frozen inputs, the computation and the public proof."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime


class LotteryDraw(Base):
    __tablename__ = "lottery_draws"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), unique=True)
    algorithm: Mapped[str] = mapped_column(String(16))

    # Frozen at funding (written to the ledger in the funding transaction).
    total_tickets: Mapped[int] = mapped_column(Integer)
    escrow_cents: Mapped[int] = mapped_column(BigInteger)
    server_seed_commitment: Mapped[str] = mapped_column(String(64))
    draw_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    draw_inputs_hash: Mapped[str | None] = mapped_column(String(64))
    inputs_ledger_seq: Mapped[int | None] = mapped_column(BigInteger)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # The server seed is revealed at funding, in the freeze memo (no withholding: the
    # beacon round is still in the future, so it tells nobody the winner); until then it
    # exists only sealed on the lot. Draws frozen before that was so get it when drawn.
    server_seed: Mapped[str | None] = mapped_column(String(64))

    # Filled when drawn.
    winning_ticket: Mapped[int | None] = mapped_column(Integer)
    winner_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    proof: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_ledger_seq: Mapped[int | None] = mapped_column(BigInteger)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Settlement runs in chunks of entries in ticket order, each its own transaction;
    # this is how far the committed chunks reached (the last ticket of the last entry
    # settled), written in the chunk's own transaction, so a crash resumes after it.
    settled_through_ticket: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
