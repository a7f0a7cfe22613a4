"""Response bodies of the images API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class RenditionRead(BaseModel):
    url: str = Field(description="absolute URL; its content never changes")
    width: int
    height: int
    content_type: str = Field(examples=["image/webp"])
    bytes: int


class ImageRenditions(BaseModel):
    card: RenditionRead = Field(description="480 px wide (or the original's width if smaller)")
    page: RenditionRead = Field(description="1600 px wide (or the original's width if smaller)")


class ImageRead(BaseModel):
    id: uuid.UUID
    width: int = Field(description="the original's width, upright")
    height: int = Field(description="the original's height, upright")
    content_type: str = Field(description="the original's type", examples=["image/jpeg"])
    renditions: ImageRenditions
    created_at: datetime


def rendition_read(entry: dict[str, Any], url: str) -> RenditionRead:
    return RenditionRead(
        url=url,
        width=entry["width"],
        height=entry["height"],
        content_type=entry["content_type"],
        bytes=entry["bytes"],
    )
