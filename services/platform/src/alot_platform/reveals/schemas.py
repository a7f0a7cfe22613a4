"""What GET /api/users/me/reveals returns."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from alot_platform.fulfillment.schemas import Fulfillment
from alot_platform.pagination import Page


class RevealRead(Fulfillment):
    """A reveal, with its prize's fulfillment when it won (never the address: the
    winner reads it from GET /api/reveals/{id}/tracking)."""

    id: uuid.UUID
    lot_id: uuid.UUID
    lot_title: str
    lot_status: str
    status: str = Field(
        description="pending until drawn, then won or lost; refunded; a won prize goes on"
        " to claimed, shipped, delivered (or disputed)"
    )
    prize_name: str = Field(description="the lot's product (what a winner receives)")
    prize_retail_value_cents: int
    tickets: int = Field(description="tickets the player bought in the lot")
    awarded_credits: int = Field(description="credits the player's entries earned at settlement")
    refunded_cents: int = Field(description="cash refunded to the player in this lot")
    refunded_credits: int = Field(
        description="credits the player got back in this lot: credits spent, returned 1:1,"
        " and cash purchases converted at 1.5x"
    )
    revealed_at: datetime | None
    created_at: datetime


class RevealPage(Page[RevealRead]):
    """The caller's reveals, newest first."""
