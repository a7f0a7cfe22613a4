"""Responsible play: the rules of spend limits, time-outs, self-exclusion and reality checks.

Spend limits are on cash spent (the amounts of a player's cash purchases that got
tickets) in UTC calendar periods: the day, the ISO week (from Monday 00:00 UTC) and the
calendar month. A refund gives no room back. Lowering a limit (or setting one where
there was none) takes effect at once; raising or removing one takes effect 24 hours
later: the new value waits on the row with its time and is in force once that time has
passed (read lazily: every reader applies a due change; a write stores it). A newer
request replaces a waiting one; lowering cancels it.

A time-out (24 hours to 6 weeks) or a self-exclusion (6 months to 5 years) stops every
purchase until it ends; it cannot be ended early or shortened, only replaced by one
that ends later. Nobody can lift it: there is no endpoint for it, admins included.

The purchase path checks both under its locks (entries.service, payments.service):
`PlayGuard` reads, once per batch, the buyers' settings rows locked and the cash they
spent in each current period, and checks each purchase against what the purchases
before it in the batch left.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from alot_platform.audit.service import acting_user, record_action
from alot_platform.context import PlatformContext
from alot_platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from alot_platform.money import format_cents
from alot_platform.play.models import ExclusionKind, Period, PlaySettings
from alot_platform.play.repository import PlayRepository
from alot_platform.play.schemas import (
    Exclusion,
    LimitsUpdate,
    PendingLimit,
    PeriodSpend,
    PlayStatus,
    SpendLimits,
)
from alot_platform.users.models import User

RAISE_DELAY = timedelta(hours=24)
TIME_OUT_HOURS = (24, 6 * 7 * 24)
SELF_EXCLUSION_MONTHS = (6, 5 * 12)
REALITY_CHECK_MINUTES = (15, 240)


class PlayExcluded(Forbidden):
    code = "play_excluded"
    title = "You are taking a break from play"


class SpendLimitExceeded(Conflict):
    code = "spend_limit_exceeded"
    title = "This purchase would pass your spend limit"


class ExclusionNotShortened(Conflict):
    code = "exclusion_not_shortened"
    title = "A time-out or self-exclusion cannot be shortened"


class PlayerNotFound(NotFound):
    code = "user_not_found"
    title = "No such account"


# -- periods and the values in force ------------------------------------------------------


def period_bounds(now: datetime) -> dict[Period, tuple[datetime, datetime]]:
    """Each period's start and the time it resets (its next start), UTC."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = day - timedelta(days=day.weekday())
    month = day.replace(day=1)
    next_month = add_months(month, 1)
    return {
        Period.DAILY: (day, day + timedelta(days=1)),
        Period.WEEKLY: (week, week + timedelta(days=7)),
        Period.MONTHLY: (month, next_month),
    }


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months later (the 31st becomes a shorter month's last)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


_COLUMNS = {
    Period.DAILY: ("daily_limit_cents", "pending_daily_cents", "pending_daily_at"),
    Period.WEEKLY: ("weekly_limit_cents", "pending_weekly_cents", "pending_weekly_at"),
    Period.MONTHLY: ("monthly_limit_cents", "pending_monthly_cents", "pending_monthly_at"),
}


def limits_in_force(row: PlaySettings | None, now: datetime) -> dict[Period, int | None]:
    """The limit of each period at ``now``: a waiting change whose time has come is in force."""
    limits: dict[Period, int | None] = dict.fromkeys(Period)
    if row is None:
        return limits
    for period, (current, pending, at) in _COLUMNS.items():
        due = getattr(row, at)
        limits[period] = (
            getattr(row, pending) if due is not None and due <= now else getattr(row, current)
        )
    return limits


def _apply_due(row: PlaySettings, now: datetime) -> None:
    """Store the waiting changes whose time has come."""
    for current, pending, at in _COLUMNS.values():
        due = getattr(row, at)
        if due is not None and due <= now:
            setattr(row, current, getattr(row, pending))
            setattr(row, pending, None)
            setattr(row, at, None)


def exclusion_of(row: PlaySettings | None, now: datetime) -> Exclusion | None:
    if row is None or row.excluded_until is None or row.excluded_until <= now:
        return None
    assert row.excluded_kind is not None
    assert row.excluded_from is not None
    return Exclusion(
        kind=ExclusionKind(row.excluded_kind),
        started_at=row.excluded_from,
        ends_at=row.excluded_until,
    )


def _excluded_error(exclusion: Exclusion) -> PlayExcluded:
    what = "time-out" if exclusion.kind is ExclusionKind.TIME_OUT else "self-exclusion"
    return PlayExcluded(
        f"you are in a {what} until {exclusion.ends_at.isoformat()}; no purchases until then",
        kind=exclusion.kind.value,
        ends_at=exclusion.ends_at.isoformat(),
    )


def require_may_play(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    """Refuse (``PlayExcluded``) while ``user_id`` is in a time-out or self-exclusion."""
    exclusion = exclusion_of(PlayRepository(session).get(user_id), now)
    if exclusion is not None:
        raise _excluded_error(exclusion)


def is_excluded(session: Session, user_id: uuid.UUID, now: datetime) -> bool:
    return exclusion_of(PlayRepository(session).get(user_id), now) is not None


# -- the purchase path ----------------------------------------------------------------------


@dataclass
class _Buyer:
    exclusion: Exclusion | None
    limits: dict[Period, int | None]
    spent: dict[Period, int] = field(default_factory=dict)


class PlayGuard:
    """The buyers' exclusions, limits and cash spent, read once under the purchase
    path's locks; `check` each purchase, then `spend` the accepted ones, in order."""

    def __init__(self, buyers: dict[uuid.UUID, _Buyer], now: datetime) -> None:
        self._buyers = buyers
        self._now = now
        self._bounds = period_bounds(now)

    @classmethod
    def read(
        cls, session: Session, user_ids: Collection[uuid.UUID], now: datetime, *, lock: bool = True
    ) -> PlayGuard:
        """Lock the settings rows of ``user_ids`` that have one (after the lot's and the
        ledger head's locks: the caller holds those) and read what the checks need.
        Without a row a buyer has no limit and no exclusion: nothing more is read."""
        repository = PlayRepository(session)
        rows = repository.for_update(user_ids, lock=lock)
        buyers = {
            user_id: _Buyer(exclusion_of(row, now), limits_in_force(row, now))
            for user_id, row in rows.items()
        }
        limited = [u for u, b in buyers.items() if any(v is not None for v in b.limits.values())]
        if limited:
            bounds = period_bounds(now)
            spent = repository.cash_spent(limited, {p.value: bounds[p][0] for p in Period})
            for user_id in limited:
                mine = spent.get(user_id, {})
                buyers[user_id].spent = {p: mine.get(p.value, 0) for p in Period}
        return cls(buyers, now)

    def check(self, user_id: uuid.UUID, cash_cents: int) -> None:
        """Refuse a purchase of ``user_id`` paying ``cash_cents`` in cash (0: credits)
        while excluded, or if it would pass one of their limits."""
        buyer = self._buyers.get(user_id)
        if buyer is None:
            return
        if buyer.exclusion is not None:
            raise _excluded_error(buyer.exclusion)
        if not cash_cents:
            return
        for period in Period:
            limit = buyer.limits[period]
            if limit is None:
                continue
            spent = buyer.spent.get(period, 0)
            if spent + cash_cents > limit:
                remaining = max(limit - spent, 0)
                resets_at = self._bounds[period][1]
                raise SpendLimitExceeded(
                    f"this purchase of ${format_cents(cash_cents)} would pass your {period.value}"
                    f" spend limit of ${format_cents(limit)}: ${format_cents(remaining)} is left"
                    f" until it resets at {resets_at.isoformat()}",
                    period=period.value,
                    limit_cents=limit,
                    spent_cents=spent,
                    remaining_cents=remaining,
                    resets_at=resets_at.isoformat(),
                )

    def spend(self, user_id: uuid.UUID, cash_cents: int) -> None:
        """Count an accepted purchase against its buyer's periods."""
        buyer = self._buyers.get(user_id)
        if buyer is None or not cash_cents:
            return
        for period in Period:
            buyer.spent[period] = buyer.spent.get(period, 0) + cash_cents


def check_purchase(
    session: Session, user_id: uuid.UUID, cash_cents: int, now: datetime, *, lock: bool = True
) -> None:
    """`PlayGuard` for one purchase: a checkout's once paid, under the purchase path's
    locks; or (``lock=False``) before its session is created, a check that holds no
    lock while the payment provider is called, repeated once paid."""
    PlayGuard.read(session, [user_id], now, lock=lock).check(user_id, cash_cents)


# -- the player's settings -------------------------------------------------------------------


class PlayService:
    def __init__(self, session: Session, platform: PlatformContext) -> None:
        self._session = session
        self._platform = platform
        self._play = PlayRepository(session)

    def status(self, user_id: uuid.UUID) -> PlayStatus:
        now = self._platform.clock()
        return self._status(user_id, self._play.get(user_id), now)

    def status_of(self, user_id: uuid.UUID) -> PlayStatus:
        """For admins: any player's status (read only; nothing can be lifted). Reading
        it is an admin action on a player's account, so it goes in the audit log."""
        if self._session.get(User, user_id) is None:
            raise PlayerNotFound(f"no account {user_id}")
        status = self.status(user_id)
        record_action(
            self._session,
            actor_id=acting_user(self._session),
            action="limits_viewed",
            target_type="user",
            target_id=user_id,
            details={},
            now=self._platform.clock(),
        )
        return status

    def set_limits(self, user: User, wanted: LimitsUpdate) -> PlayStatus:
        now = self._platform.clock()
        row = self._row_for_update(user.id, now)
        _apply_due(row, now)
        for period, value in (
            (Period.DAILY, wanted.daily_cents),
            (Period.WEEKLY, wanted.weekly_cents),
            (Period.MONTHLY, wanted.monthly_cents),
        ):
            _set_limit(row, period, value, now)
        row.updated_at = now
        return self._status(user.id, row, now)

    def time_out(self, user: User, hours: int) -> PlayStatus:
        low, high = TIME_OUT_HOURS
        if not low <= hours <= high:
            raise InvalidInput(f"a time-out lasts {low} to {high} hours")
        now = self._platform.clock()
        return self._exclude(user, ExclusionKind.TIME_OUT, now + timedelta(hours=hours), now)

    def self_exclude(self, user: User, months: int) -> PlayStatus:
        low, high = SELF_EXCLUSION_MONTHS
        if not low <= months <= high:
            raise InvalidInput(f"a self-exclusion lasts {low} to {high} months")
        now = self._platform.clock()
        return self._exclude(user, ExclusionKind.SELF_EXCLUSION, add_months(now, months), now)

    def set_reality_check(self, user: User, minutes: int | None) -> PlayStatus:
        low, high = REALITY_CHECK_MINUTES
        if minutes is not None and not low <= minutes <= high:
            raise InvalidInput(f"a reality check comes every {low} to {high} minutes, or never")
        now = self._platform.clock()
        row = self._row_for_update(user.id, now)
        row.reality_check_minutes = minutes
        row.updated_at = now
        return self._status(user.id, row, now)

    def _exclude(
        self, user: User, kind: ExclusionKind, until: datetime, now: datetime
    ) -> PlayStatus:
        row = self._row_for_update(user.id, now)
        current = exclusion_of(row, now)
        if current is not None:
            if until <= current.ends_at:
                raise ExclusionNotShortened(
                    f"you are in a {current.kind.value.replace('_', '-')} until"
                    f" {current.ends_at.isoformat()}; it can only be replaced by one that"
                    " ends later",
                    kind=current.kind.value,
                    ends_at=current.ends_at.isoformat(),
                )
            if current.kind is ExclusionKind.SELF_EXCLUSION:
                kind = ExclusionKind.SELF_EXCLUSION  # extended, it stays what it was
        else:
            row.excluded_from = now
        row.excluded_kind = kind.value
        row.excluded_until = until
        row.updated_at = now
        return self._status(user.id, row, now)

    def _row_for_update(self, user_id: uuid.UUID, now: datetime) -> PlaySettings:
        row = self._play.for_update([user_id]).get(user_id)
        if row is None:
            row = PlaySettings(user_id=user_id, updated_at=now)
            self._play.add(row)
        return row

    def _status(self, user_id: uuid.UUID, row: PlaySettings | None, now: datetime) -> PlayStatus:
        limits = limits_in_force(row, now)
        bounds = period_bounds(now)
        spent = self._play.cash_spent([user_id], {p.value: bounds[p][0] for p in Period}).get(
            user_id, {}
        )
        pending = []
        if row is not None:
            for period, (_, value, at) in _COLUMNS.items():
                due = getattr(row, at)
                if due is not None and due > now:
                    pending.append(
                        PendingLimit(period=period, limit_cents=getattr(row, value), applies_at=due)
                    )
        periods = []
        for period in Period:
            used = spent.get(period.value, 0)
            limit = limits[period]
            periods.append(
                PeriodSpend(
                    period=period,
                    limit_cents=limit,
                    spent_cents=used,
                    remaining_cents=None if limit is None else max(limit - used, 0),
                    started_at=bounds[period][0],
                    resets_at=bounds[period][1],
                )
            )
        return PlayStatus(
            limits=SpendLimits(
                daily_cents=limits[Period.DAILY],
                weekly_cents=limits[Period.WEEKLY],
                monthly_cents=limits[Period.MONTHLY],
            ),
            pending=pending,
            periods=periods,
            exclusion=exclusion_of(row, now),
            reality_check_minutes=row.reality_check_minutes if row is not None else None,
        )


def _set_limit(row: PlaySettings, period: Period, value: int | None, now: datetime) -> None:
    """One period's limit as the player asked: lower at once, higher in 24 hours."""
    current_name, pending_name, at_name = _COLUMNS[period]
    current = getattr(row, current_name)
    waiting_at = getattr(row, at_name)
    if waiting_at is not None and getattr(row, pending_name) == value:
        return  # asked again for the change already waiting: it keeps its time
    lowers = value is not None and (current is None or value < current)
    if lowers or value == current:
        setattr(row, current_name, value)
        setattr(row, pending_name, None)
        setattr(row, at_name, None)
        return
    setattr(row, pending_name, value)
    setattr(row, at_name, now + RAISE_DELAY)
