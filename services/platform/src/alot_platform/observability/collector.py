"""Figures read from the database at scrape time: the outbox, the ledger's checkpoint, lots.

They describe the shared state, not a process, so any process of the deployment
reports the same values: alert on ``max`` of them across scrape targets, not ``sum``.
Each scrape runs a few indexed queries in one short transaction (a statement timeout on
PostgreSQL). A scrape never fails because of the database: the figures are left out,
``alot_metrics_collector_errors_total`` counts it, and the log says why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from alot_ledger.tables import checkpoints, transactions
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, func, or_, select, text

from alot_platform.clock import Clock
from alot_platform.config import Settings
from alot_platform.db import Database
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.observability.metrics import COLLECTOR_ERRORS
from alot_platform.outbox.models import EMAIL, OutboxItem, OutboxStatus

_log = logging.getLogger(__name__)

_STATEMENT_TIMEOUT_MS = 2000
_STUCK = {LotStatus.FUNDED.value: Lot.funded_at, LotStatus.DRAWING.value: Lot.drawing_at}


class DatabaseCollector(Collector):
    """The alot_outbox_*, alot_ledger_checkpoint_age_seconds and alot_lots* gauges."""

    def __init__(self, database: Database, clock: Clock, settings: Settings) -> None:
        self._database = database
        self._clock = clock
        self._stuck_after = timedelta(minutes=settings.stuck_lot_minutes)

    def collect(self) -> Iterable[Metric]:
        try:
            with self._database.engine.connect() as connection:
                figures = self._read(connection, self._clock())
        except Exception:
            COLLECTOR_ERRORS.inc()
            _log.exception("metrics: the database figures could not be read; left out")
            return []
        return figures

    def _read(self, connection: Connection, now: datetime) -> list[Metric]:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SET LOCAL statement_timeout = {_STATEMENT_TIMEOUT_MS}"))
        pending_status = OutboxItem.status == OutboxStatus.PENDING.value
        is_email = OutboxItem.task == EMAIL

        # Due (waiting for a runner, or its runner's lease ended), running, or retrying
        # after a failure; work scheduled for later and never tried is not a backlog.
        pending = GaugeMetricFamily(
            "alot_outbox_pending",
            "Outbox rows due, running or retrying, by kind (email or task)",
            labels=["kind"],
        )
        counts = dict.fromkeys(("email", "task"), 0)
        rows = connection.execute(
            select(is_email, func.count())
            .where(pending_status, or_(OutboxItem.next_attempt_at <= now, OutboxItem.attempts > 0))
            .group_by(is_email)
        )
        for email, count in rows:
            counts["email" if email else "task"] += int(count)
        for kind, count in counts.items():
            pending.add_metric([kind], count)

        oldest = connection.execute(
            select(func.min(OutboxItem.next_attempt_at)).where(
                pending_status, OutboxItem.next_attempt_at <= now
            )
        ).scalar_one()
        lag = GaugeMetricFamily(
            "alot_outbox_lag_seconds",
            "Age of the oldest due outbox row not done yet (0 if none)",
            value=_seconds_since(oldest, now),
        )

        dead_count = connection.execute(
            select(func.count()).where(OutboxItem.status == OutboxStatus.DEAD.value)
        ).scalar_one()
        dead = GaugeMetricFamily(
            "alot_outbox_dead", "Dead-lettered outbox rows (failed every attempt)", value=dead_count
        )

        figures: list[Metric] = [pending, lag, dead]
        latest = connection.execute(
            select(checkpoints.c.created_at).order_by(checkpoints.c.size.desc()).limit(1)
        ).scalar_one_or_none()
        if latest is None:
            # Never signed: the ledger has gone unsigned since its first transaction (an
            # absent figure would keep the stale-checkpoint alert silent forever).
            latest = connection.execute(
                select(transactions.c.created_at).order_by(transactions.c.seq).limit(1)
            ).scalar_one_or_none()
        if latest is not None:  # an empty ledger has nothing to sign
            signed_at = datetime.strptime(latest, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
            figures.append(
                GaugeMetricFamily(
                    "alot_ledger_checkpoint_age_seconds",
                    "Time since the latest signed ledger checkpoint (or, before the first,"
                    " since the first transaction)",
                    value=_seconds_since(signed_at, now),
                )
            )

        lots = GaugeMetricFamily("alot_lots", "Lots by status", labels=["status"])
        by_status = dict.fromkeys((status.value for status in LotStatus), 0)
        for status, count in connection.execute(
            select(Lot.status, func.count()).group_by(Lot.status)
        ):
            by_status[status] = int(count)
        for status, count in by_status.items():
            lots.add_metric([status], count)

        stuck = GaugeMetricFamily(
            "alot_lots_stuck",
            "Lots funded or drawing for longer than ALOT_STUCK_LOT_MINUTES",
            labels=["status"],
        )
        cutoff = now - self._stuck_after
        for status, since in _STUCK.items():
            count = connection.execute(
                select(func.count()).where(Lot.status == status, since < cutoff)
            ).scalar_one()
            stuck.add_metric([status], int(count))
        figures += [lots, stuck]
        return figures


def _seconds_since(moment: datetime | None, now: datetime) -> float:
    return 0.0 if moment is None else max(0.0, (now - moment).total_seconds())
