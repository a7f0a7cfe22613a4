"""The periodic jobs of the lot engine, and the in-process runner that calls them.

One tick: expire open lots past their deadline and start their refunds (each buyer
emailed the choice), give back credits spent in refunding lots (chunks left over),
refund in cash what is still waiting after a refund choice date, finish cash refunds
left open (a crash between the phases, the provider down or still pending), draw and
settle funded lots still waiting (a drand
round not yet published, a process stopped between steps), apply payment events stored
but not yet applied (a crash, the provider down), post the provider's processing fees
not posted yet (Stripe had not published them), pay hosts their payable balances
(a payout per host due, and payouts left pending finished: payouts/), run the
deadlines of won prizes (fulfillment/tasks.py: reminders, unclaimed prizes paid in
cash, unshipped ones disputed, deliveries confirmed), send the outbox's emails that are
due (the mail server was down), remove what no longer guards anything (ended login
sessions, expired tokens, spent payment events: cleanup/), sum the ledger's new
postings into the analytics rollup (analytics/), check every credit balance against
the ledger every ALOT_RECONCILE_INTERVAL_SECONDS (the reconciliation gauge), and
checkpoint the ledger when due.
Each job runs in its own unit of work, so one failing lot does not hold up the others;
every job is safe to run twice at once (row locks and state checks), so two ticks, or
a tick beside `alot tick`, never do anything twice. A job drains everything due when
the tick starts, a batch at a time (`drain`): however much is due, one tick does it.

`alot run` starts the `Scheduler` thread (ALOT_SCHEDULER_ENABLED); a deployment with
Celery beat calls `run_tick` instead; tests call `run_tick` directly.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from alot_ledger import Checkpointer

from alot_platform.analytics.service import roll_up
from alot_platform.cleanup.service import run_cleanup
from alot_platform.context import PlatformContext
from alot_platform.credits.service import reconcile_credits
from alot_platform.db import unit_of_work
from alot_platform.draws.repository import DrawRepository
from alot_platform.draws.tasks import run_draw_and_settle
from alot_platform.fulfillment.tasks import run_deadlines
from alot_platform.ledger.endpoints import ledger_settings
from alot_platform.lots.models import LotStatus
from alot_platform.notifications.tasks import send_due_emails, send_reminders
from alot_platform.observability.domain_log import runs_tick
from alot_platform.outbox.service import due, run_due
from alot_platform.payments.fees import post_due_fees
from alot_platform.payments.tasks import retry_unprocessed_events
from alot_platform.payouts.tasks import make_due_payouts
from alot_platform.refunds.repository import RefundRepository
from alot_platform.refunds.service import RefundService
from alot_platform.refunds.tasks import finish_cash_refund, refund_overdue, return_spent_credits
from alot_platform.witnesses.service import WitnessSubmitter

_log = logging.getLogger(__name__)
BATCH = 100
"""Rows a periodic job reads at once (it reads batch after batch until none is due)."""
T = TypeVar("T")


@dataclass
class TickReport:
    expired: list[uuid.UUID] = field(default_factory=list)
    refunded_after_deadline: int = 0
    refunds_open: int = 0
    """Cash refunds still unfinished after this tick (pending at the provider, or it
    did not answer)."""
    drawn: int = 0
    settled: int = 0
    payment_events_applied: int = 0
    fees_posted: int = 0
    fees_waiting: int = 0
    payouts_made: int = 0
    payouts_pending: int = 0
    """Host payouts still unconfirmed by the provider after this tick."""
    reminders: int = 0
    prize_deadlines: int = 0
    """Won prizes changed or reminded by a fulfillment deadline (fulfillment/tasks.py)."""
    notification_emails: int = 0
    """Notification emails decided: queued in the outbox, or skipped per preference."""
    tasks_done: int = 0
    """Outbox rows run by this tick (emails, draws, ...): ones their relay lost, or
    due again after a failure."""
    tasks_failed: int = 0
    tasks_published: int = 0
    cleaned: int = 0
    """Rows the cleanup job removed (ended sessions, expired tokens, spent events)."""
    checkpoint_size: int | None = None
    cosignatures_stored: int = 0
    """Witness cosignatures of the latest checkpoint stored by this tick (witnesses/)."""
    ledger_rolled_up: int = 0
    """Ledger transactions added to the analytics rollup (analytics/)."""
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        checkpoint = "none due" if self.checkpoint_size is None else f"size {self.checkpoint_size}"
        return (
            f"expired {len(self.expired)} lot(s), refunded {self.refunded_after_deadline} "
            f"purchase(s) after the choice date ({self.refunds_open} cash refund(s) still"
            f" open), drew {self.drawn}, settled {self.settled}, "
            f"applied {self.payment_events_applied} stored payment event(s), "
            f"posted {self.fees_posted} processing fee(s) ({self.fees_waiting} waiting), "
            f"made {self.payouts_made} host payout(s) ({self.payouts_pending} pending), "
            f"wrote {self.reminders} reminder(s), "
            f"handled {self.prize_deadlines} prize deadline(s), "
            f"decided {self.notification_emails} notification email(s), "
            f"ran {self.tasks_done} outbox task(s) ({self.tasks_failed} failed,"
            f" {self.tasks_published} sent to workers), "
            f"cleaned up {self.cleaned} row(s), "
            f"rolled up {self.ledger_rolled_up} ledger transaction(s), "
            f"checkpoint {checkpoint}, {len(self.failures)} failure(s)"
        )


@runs_tick  # one task id for the domain lines of its jobs
def run_tick(platform: PlatformContext, checkpointer: Checkpointer | None = None) -> TickReport:
    report = TickReport()
    _guard(report, "expiry", lambda: _expire(platform, report))
    _guard(report, "credits given back", lambda: _return_spent_credits(platform, report))
    _guard(report, "overdue refunds", lambda: _refund_overdue(platform, report))
    _guard(report, "open refunds", lambda: _finish_open_refunds(platform, report))
    _guard(report, "draws", lambda: _draw_pending(platform, report))
    _guard(report, "payment events", lambda: _retry_payment_events(platform, report))
    _guard(report, "processing fees", lambda: _post_fees(platform, report))
    _guard(report, "prize deadlines", lambda: _prize_deadlines(platform, report))
    _guard(report, "host payouts", lambda: _pay_hosts(platform, report))
    _guard(report, "reminders", lambda: _remind(platform, report))
    _guard(report, "notification emails", lambda: _notification_emails(platform, report))
    _guard(report, "outbox", lambda: _sweep_outbox(platform, report))
    _guard(report, "cleanup", lambda: _clean_up(platform, report))
    _guard(report, "analytics rollup", lambda: _roll_up(platform, report))
    _guard(report, "reconciliation", lambda: _reconcile_credits(platform))
    if checkpointer is not None:
        _guard(report, "checkpoint", lambda: _checkpoint(platform, checkpointer, report))
    if platform.settings.witnesses:
        _guard(report, "witnesses", lambda: _submit_to_witnesses(platform, report))
    return report


_last_reconciled: dict[int, float] = {}
"""When this process last reconciled each database (``time.monotonic()``), by its id."""


def _reconcile_credits(platform: PlatformContext) -> None:
    """Every ALOT_RECONCILE_INTERVAL_SECONDS, check every credit balance against the
    ledger: ``reconcile_credits`` sets the gauge the reconciliation alert reads."""
    every = platform.settings.reconcile_interval_seconds
    last = _last_reconciled.get(id(platform.database))
    if not every or (last is not None and time.monotonic() - last < every):
        return
    _last_reconciled[id(platform.database)] = time.monotonic()
    with contextmanager(unit_of_work)(platform.database) as session:
        reconcile_credits(session)


def _roll_up(platform: PlatformContext, report: TickReport) -> None:
    report.ledger_rolled_up += roll_up(platform.database, platform.clock())


def _retry_payment_events(platform: PlatformContext, report: TickReport) -> None:
    retried = retry_unprocessed_events(platform)
    report.payment_events_applied += retried.applied
    if retried.failed:
        report.failures.append(f"payment events: {retried.failed} still not applied")


def _finish_open_refunds(platform: PlatformContext, report: TickReport) -> None:
    # A minute old: a refund requested just now is being finished by its own request.
    before = platform.clock() - timedelta(seconds=60)

    def due(after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Any]:
        with contextmanager(unit_of_work)(platform.database) as session:
            return RefundRepository(session).open_refund_requests(
                updated_before=before, after=after, limit=limit
            )

    drain(report, "cash refund of purchase", due, lambda row: finish_cash_refund(platform, row[1]))
    with contextmanager(unit_of_work)(platform.database) as session:
        report.refunds_open = RefundRepository(session).count_open_refund_requests()


def _post_fees(platform: PlatformContext, report: TickReport) -> None:
    fees = post_due_fees(platform)
    report.fees_posted += fees.posted
    report.fees_waiting += fees.waiting


def _pay_hosts(platform: PlatformContext, report: TickReport) -> None:
    sweep = make_due_payouts(platform)
    report.payouts_made += len(sweep.made)
    report.payouts_pending += sweep.still_pending
    report.failures.extend(sweep.failures)


def _remind(platform: PlatformContext, report: TickReport) -> None:
    report.reminders += send_reminders(platform)


def _prize_deadlines(platform: PlatformContext, report: TickReport) -> None:
    done = run_deadlines(platform)
    report.prize_deadlines += (
        done.reminders + done.claims_expired + done.shipments_overdue + done.deliveries_confirmed
    )
    report.failures.extend(done.failures)


def _notification_emails(platform: PlatformContext, report: TickReport) -> None:
    report.notification_emails += send_due_emails(platform)


def _sweep_outbox(platform: PlatformContext, report: TickReport) -> None:
    """Run (embedded) or publish again (Celery) every outbox row that is due."""
    if platform.settings.task_runner == "celery":
        from alot_platform.worker import publish

        for item_id in due(platform):
            publish(platform.settings, item_id)
            report.tasks_published += 1
        return
    swept = run_due(platform)
    report.tasks_done += swept.done
    report.tasks_failed += swept.failed


def _clean_up(platform: PlatformContext, report: TickReport) -> None:
    report.cleaned += run_cleanup(platform).total


def _expire(platform: PlatformContext, report: TickReport) -> None:
    now = platform.clock()

    def due(after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Any]:
        with contextmanager(unit_of_work)(platform.database) as session:
            return RefundRepository(session).lots_due_for_refunds(now, after=after, limit=limit)

    def expire(row: tuple[datetime, uuid.UUID]) -> None:
        with contextmanager(unit_of_work)(platform.database) as session:
            started = RefundService(session, platform).expire(row[1], now)
        if started is not None:
            report.expired.append(started.lot_id)
            if started.credits_left:  # the rest of the credits spent, in chunks
                return_spent_credits(platform, started.lot_id)

    drain(report, "expiry of lot", due, expire)


def _return_spent_credits(platform: PlatformContext, report: TickReport) -> None:
    def due(after: uuid.UUID | None, limit: int) -> list[Any]:
        with contextmanager(unit_of_work)(platform.database) as session:
            return RefundRepository(session).refunding_lots_with_spent_credits(
                after=after, limit=limit
            )

    drain(
        report,
        "credits given back in lot",
        due,
        lambda lot_id: return_spent_credits(platform, lot_id),
        key=lambda lot_id: lot_id,
    )


def _refund_overdue(platform: PlatformContext, report: TickReport) -> None:
    now = platform.clock()

    def due(after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Any]:
        with contextmanager(unit_of_work)(platform.database) as session:
            return RefundRepository(session).refunding_lots_past_choice_deadline(
                now, after=after, limit=limit
            )

    def refund(row: tuple[datetime, uuid.UUID]) -> None:
        handled, _unconfirmed = refund_overdue(platform, row[1])
        report.refunded_after_deadline += handled

    drain(report, "refunds of lot", due, refund)


def _draw_pending(platform: PlatformContext, report: TickReport) -> None:
    """Lots still funded or drawing: their draw task is waiting (a drand round not
    published yet) or was lost (a lot funded before the outbox existed). All of them,
    a batch at a time."""

    def due(after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        with contextmanager(unit_of_work)(platform.database) as session:
            return DrawRepository(session).lot_ids_in(
                (LotStatus.FUNDED, LotStatus.DRAWING), after=after, limit=limit
            )

    def draw(lot_id: uuid.UUID) -> None:
        outcome = run_draw_and_settle(platform, lot_id)
        report.drawn += outcome.drawn
        report.settled += outcome.settled

    drain(report, "draw of lot", due, draw)


def _checkpoint(platform: PlatformContext, checkpointer: Checkpointer, report: TickReport) -> None:
    interval = timedelta(seconds=platform.settings.ledger_checkpoint_interval_seconds)
    made = checkpointer.checkpoint_if_due(platform.database.engine, interval)
    report.checkpoint_size = None if made is None else made.size


def _submit_to_witnesses(platform: PlatformContext, report: TickReport) -> None:
    with platform.database.sessions.begin() as session:
        submitter = WitnessSubmitter(session, platform.settings.witnesses)
        report.cosignatures_stored += submitter.submit_latest(platform.clock())


def drain(
    report: TickReport,
    job: str,
    due: Callable[[Any, int], Sequence[T]],
    handle: Callable[[T], object],
    *,
    key: Callable[[T], Any] = lambda row: row,
    batch: int = BATCH,
) -> int:
    """Handle every item ``due`` lists, a batch at a time; return how many were listed.

    ``due(after, limit)`` lists at most ``limit`` items ordered by ``key`` (the first
    batch with ``after`` None, then each after the last item's key), so an item that
    stays due (its handling failed, or another transaction holds it) is read once per
    run and the run ends, however much was due. Each item is handled on its own under
    ``_guard``: a failure is reported and the others go on.
    """
    seen = 0
    after: Any = None
    while True:
        items = list(due(after, batch))
        for item in items:
            _guard(report, f"{job} {key(item)}", partial(handle, item))
        seen += len(items)
        if len(items) < batch:
            return seen
        after = key(items[-1])


def _guard(report: TickReport, job: str, run: Callable[[], object]) -> None:
    try:
        run()
    except Exception:
        _log.exception("tick: %s failed", job)
        report.failures.append(job)


def ledger_checkpointer(platform: PlatformContext) -> Checkpointer:
    return Checkpointer.from_settings(ledger_settings(platform.settings))


class Scheduler:
    """Runs `run_tick` every ALOT_SCHEDULER_INTERVAL_SECONDS on a daemon thread."""

    def __init__(self, platform: PlatformContext) -> None:
        self._platform = platform
        self._interval = platform.settings.scheduler_interval_seconds
        self._checkpointer = ledger_checkpointer(platform)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alot-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()
        _log.info("scheduler: ticking every %s s", self._interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            report = run_tick(self._platform, self._checkpointer)
            busy = (
                report.drawn
                or report.settled
                or report.fees_posted
                or report.payouts_made
                or report.reminders
                or report.prize_deadlines
                or report.tasks_done
                or report.cleaned
            )
            if report.expired or busy or report.failures:
                _log.info("scheduler tick: %s", report.summary())
            if self._stop.wait(self._interval):
                return
