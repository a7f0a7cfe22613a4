"""A player's responsible-play settings: spend limits (with raises waiting 24 hours),
a time-out or self-exclusion, and the reality-check interval. No row: none of them.

The row is also the player's lock on the purchase path: a batch buying for a player
who has a row locks it (after the lot's and the ledger head's locks), so purchases of
one player in different lots are checked against their limits one after the other.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alot_platform.db import Base, UTCDateTime
from alot_platform.lots.models import sql_in


class ExclusionKind(StrEnum):
    TIME_OUT = "time_out"
    SELF_EXCLUSION = "self_exclusion"


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class PlaySettings(Base):
    __tablename__ = "play_settings"
    __table_args__ = (
        CheckConstraint(
            f"excluded_kind IS NULL OR excluded_kind IN ({sql_in(ExclusionKind)})",
            name="excluded_kind",
        ),
        CheckConstraint(
            "(daily_limit_cents IS NULL OR daily_limit_cents > 0)"
            " AND (weekly_limit_cents IS NULL OR weekly_limit_cents > 0)"
            " AND (monthly_limit_cents IS NULL OR monthly_limit_cents > 0)",
            name="limits_positive",
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # The limits in force (None: no limit), each with a raise (or removal) waiting:
    # ``pending_*_at`` set means the limit becomes ``pending_*_cents`` (None: no limit)
    # at that time.
    daily_limit_cents: Mapped[int | None] = mapped_column(BigInteger)
    weekly_limit_cents: Mapped[int | None] = mapped_column(BigInteger)
    monthly_limit_cents: Mapped[int | None] = mapped_column(BigInteger)
    pending_daily_cents: Mapped[int | None] = mapped_column(BigInteger)
    pending_daily_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_weekly_cents: Mapped[int | None] = mapped_column(BigInteger)
    pending_weekly_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_monthly_cents: Mapped[int | None] = mapped_column(BigInteger)
    pending_monthly_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    excluded_kind: Mapped[str | None] = mapped_column(String(20))
    excluded_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excluded_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    reality_check_minutes: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
