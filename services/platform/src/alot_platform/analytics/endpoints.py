"""GET /api/admin/analytics: the business figures over a range of UTC days (admins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from alot_platform.analytics.schemas import Analytics
from alot_platform.analytics.service import AnalyticsService, resolve_range
from alot_platform.auth.dependencies import PlatformDep, SessionDep, require_roles
from alot_platform.openapi_helpers import problems
from alot_platform.users.models import Role

admin_router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_roles(Role.ADMIN))],
    responses=problems(401, 403),
)


@admin_router.get(
    "/analytics",
    responses=problems(422),
    summary="Business figures over [from, to): lots per day, conversion, time to funding,"
    " credits, revenue per lot, GMV, refunds, fees and host payouts",
)
def read_analytics(
    session: SessionDep,
    platform: PlatformDep,
    start: Annotated[
        dt.date | None,
        Query(alias="from", description="first UTC day counted (default: to minus 30 days)"),
    ] = None,
    end: Annotated[
        dt.date | None,
        Query(
            alias="to",
            description="the UTC day after the last one counted, exclusive (default: tomorrow)",
        ),
    ] = None,
) -> Analytics:
    first, after = resolve_range(start, end, platform.clock().astimezone(dt.UTC).date())
    return AnalyticsService(session).compute(first, after)
