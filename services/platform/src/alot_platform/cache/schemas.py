"""What GET /api/admin/cache returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from alot_platform.cache.service import FamilyStats


class CacheFamilyRead(BaseModel):
    family: str = Field(
        description="lot (L1 views), lot_list (L1 list pages), leaderboard and balance (L2),"
        " draw (L3 settled draws)",
        examples=["lot"],
    )
    hits: int
    misses: int
    hit_rate: float | None = Field(description="hits / (hits + misses); null before any read")

    @classmethod
    def of(cls, stats: FamilyStats) -> CacheFamilyRead:
        return cls(
            family=stats.family, hits=stats.hits, misses=stats.misses, hit_rate=stats.hit_rate
        )


class CacheStatsRead(BaseModel):
    backend: Literal["memory", "redis"] = Field(
        description="redis: shared by every process (counts are every process's together);"
        " memory: this process's own"
    )
    enabled: bool = Field(description="ALOT_CACHE_ENABLED")
    families: list[CacheFamilyRead]
