"""Requests and answers of /api/users/me/play and the admins' view of it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictInt

from alot_platform.play.models import ExclusionKind, Period
from alot_platform.types import MAX_CENTS

LimitCents = Annotated[int, Strict(), Field(gt=0, le=MAX_CENTS, description="US cents")]


class SpendLimits(BaseModel):
    """Cash spend limits in force, in US cents; null: no limit."""

    daily_cents: int | None = Field(description="per UTC day")
    weekly_cents: int | None = Field(description="per ISO week, from Monday 00:00 UTC")
    monthly_cents: int | None = Field(description="per calendar month, UTC")


class LimitsUpdate(BaseModel):
    """The limits wanted, each null for none. Lower ones apply at once, higher ones (or
    a removal) 24 hours later; asking again for a change already waiting keeps its time."""

    model_config = ConfigDict(extra="forbid")

    daily_cents: LimitCents | None
    weekly_cents: LimitCents | None
    monthly_cents: LimitCents | None


class PendingLimit(BaseModel):
    period: Period
    limit_cents: int | None = Field(description="the limit then; null: no limit")
    applies_at: datetime


class PeriodSpend(BaseModel):
    period: Period
    limit_cents: int | None
    spent_cents: int = Field(description="cash spent on tickets in this period")
    remaining_cents: int | None = Field(description="null: no limit")
    started_at: datetime
    resets_at: datetime


class Exclusion(BaseModel):
    kind: ExclusionKind
    started_at: datetime
    ends_at: datetime = Field(description="no purchases until then; it cannot end earlier")


class PlayStatus(BaseModel):
    """A player's responsible-play settings and where they stand."""

    limits: SpendLimits
    pending: list[PendingLimit] = Field(description="raised or removed limits waiting 24 hours")
    periods: list[PeriodSpend]
    exclusion: Exclusion | None = Field(description="a time-out or self-exclusion in force")
    reality_check_minutes: int | None = Field(
        description="the web client reminds of time and money spent this often; null: off"
    )


class TimeOutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours: StrictInt = Field(ge=24, le=6 * 7 * 24, description="24 hours to 6 weeks")
    confirm: Literal[True] = Field(description="it cannot be ended early: say so")


class SelfExclusionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: StrictInt = Field(ge=6, le=60, description="6 months to 5 years")
    confirm: Literal[True] = Field(description="it cannot be ended early: say so")


class RealityCheckUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: StrictInt | None = Field(ge=15, le=240, description="15 to 240; null turns it off")
