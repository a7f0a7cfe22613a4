"""/api/admin/cache: the cache's hit and miss counts per family (admins)."""

from __future__ import annotations

from typing import Literal, cast

from fastapi import APIRouter, Depends

from alot_platform.admin.endpoints import require_admin
from alot_platform.auth.dependencies import PlatformDep
from alot_platform.cache.schemas import CacheFamilyRead, CacheStatsRead
from alot_platform.openapi_helpers import problems

admin_router = APIRouter(
    prefix="/api/admin/cache",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=problems(401, 403),
)


@admin_router.get("", summary="Cache hits and misses per family, since the counts began")
def cache_stats(platform: PlatformDep) -> CacheStatsRead:
    cache = platform.cache
    return CacheStatsRead(
        backend=cast(Literal["memory", "redis"], cache.backend.name),
        enabled=cache.enabled,
        families=[CacheFamilyRead.of(stats) for stats in cache.stats()],
    )
