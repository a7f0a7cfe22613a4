"""The cleanup job: remove what no longer guards or means anything, in batches.

What goes, and when (``ALOT_CLEANUP_RETENTION_DAYS``, default 30, is the margin kept
after a record stopped mattering, for support and for investigating an incident):

- login sessions (refresh-token families) that ended more than the retention ago:
  revoked (logout, a password change, a detected refresh-token reuse), or never revoked
  but whose last refresh token expired; their refresh tokens go with them;
- refresh tokens, and email-verification and password-reset tokens, that expired more
  than the retention ago (an expired token is refused before its row is read, so the
  row guards nothing any more);
- payment provider events applied more than the retention ago whose outcome needs
  nobody (Stripe stops redelivering an event after 3 days; one delivered again anyway
  is stored again and finds its purchase already done).

Never removed: anything in the ledger, purchases and entries, credit movements,
refund requests, reveals, payment events a human must look at or that a refund
consults, and users.

Each batch of ``batch_size`` rows is its own unit of work, and the job runs batches
until none is full: it drains everything due, whatever the backlog, without holding
locks for long. Two runs at once delete disjoint or already-deleted rows: no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alot_platform.cleanup.repository import Batch, CleanupRepository
from alot_platform.context import PlatformContext
from alot_platform.db import unit_of_work

_log = logging.getLogger(__name__)
BATCH_SIZE = 1000


@dataclass
class CleanupReport:
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.removed.values())

    def summary(self) -> str:
        return ", ".join(f"{count} {what}" for what, count in self.removed.items() if count)


def run_cleanup(platform: PlatformContext, *, batch_size: int = BATCH_SIZE) -> CleanupReport:
    """Remove every record that is due now; report how many of each kind went."""
    cutoff = platform.clock() - timedelta(days=platform.settings.cleanup_retention_days)
    jobs: dict[str, Callable[[CleanupRepository], Batch]] = {
        "login sessions": lambda repo: repo.delete_ended_sessions(cutoff, batch_size),
        "refresh tokens": lambda repo: repo.delete_expired_refresh_tokens(cutoff, batch_size),
        "one-time tokens": lambda repo: repo.delete_expired_one_time_tokens(cutoff, batch_size),
        "payment events": lambda repo: repo.delete_spent_payment_events(cutoff, batch_size),
    }
    report = CleanupReport()
    for what, job in jobs.items():
        report.removed[what] = _drain(platform, job, batch_size)
    if report.total:
        _log.info("cleanup (before %s): removed %s", _day(cutoff), report.summary())
    return report


def _drain(
    platform: PlatformContext, job: Callable[[CleanupRepository], Batch], batch_size: int
) -> int:
    removed = 0
    while True:
        with contextmanager(unit_of_work)(platform.database) as session:
            batch = job(CleanupRepository(session))
        removed += batch.removed
        if batch.found < batch_size:
            return removed


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")
