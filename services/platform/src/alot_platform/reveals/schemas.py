"""What GET /api/users/me/reveals returns."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from alot_platform.pagination import Page


class RevealRead(BaseModel):
    id: uuid.UUID
    lot_id: uuid.UUID
    lot_title: str
    lot_status: str
    status: str = Field(description="pending until drawn, then won or lost; refunded")
    revealed_at: datetime | None
    created_at: datetime


class RevealPage(Page[RevealRead]):
    """The caller's reveals, newest first."""
