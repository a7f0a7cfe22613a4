"""Celery on Redis: the production runner of the outbox's tasks and of the periodic jobs.

``alot worker`` and ``alot beat`` are thin wrappers over Celery's own ``worker`` and
``beat`` commands with this app (their extra arguments are Celery's). Three tasks, all
of them small doors into code that also runs embedded:

- ``alot.outbox.run(id)``: run one outbox row (``outbox.service.run``: claim, handler,
  mark). The relay publishes it after the commit that wrote the row.
- ``alot.outbox.sweep``: every ALOT_OUTBOX_SWEEP_SECONDS, publish again every row that is
  due (never published: the broker was down; or its runner died and its lease ended).
- ``alot.tick``: every ALOT_SCHEDULER_INTERVAL_SECONDS, the periodic jobs (expiry and
  refunds, checkpoints, reminders, cleanup: alot_platform.scheduler).

Delivery is at least once: a message is acknowledged only after its task ran
(``acks_late``); a worker killed in the middle gives it back (``reject_on_worker_lost``,
and Redis's visibility timeout, longer than the longest task); a worker takes one message
at a time (prefetch 1: a settlement never holds short tasks behind it). The row, not the
message, is the source of truth: its lease stops two runs at once, its backoff is the
retry policy, and its ``dead`` state is the dead letter (``GET /api/admin/tasks/failed``,
``alot tasks retry``). So Celery's own retries are not used, and two beats running by
mistake only publish twice what runs once.
"""

from __future__ import annotations

import functools
import logging
import uuid
from typing import TYPE_CHECKING

from celery import Celery

from alot_platform.config import Settings

if TYPE_CHECKING:
    from alot_platform.context import PlatformContext

_log = logging.getLogger(__name__)

RUN = "alot.outbox.run"
SWEEP = "alot.outbox.sweep"
TICK = "alot.tick"


def make_app(settings: Settings) -> Celery:
    """The Celery app for ``settings`` (its broker is ALOT_REDIS_URL)."""
    if not settings.redis_url:
        raise ValueError("Celery needs ALOT_REDIS_URL (the broker)")
    app = Celery("alot", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.redis_prefix + "tasks",
        broker_transport_options={
            # Redelivery of an unacknowledged message: after the longest task's lease.
            "visibility_timeout": settings.task_lease_seconds * 2,
            "global_keyprefix": settings.redis_prefix,
        },
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        beat_schedule={
            "tick": {"task": TICK, "schedule": float(settings.scheduler_interval_seconds)},
            "outbox-sweep": {"task": SWEEP, "schedule": float(settings.outbox_sweep_seconds)},
        },
    )

    @app.task(name=RUN)  # type: ignore[untyped-decorator]
    def run_item(item_id: str) -> str:
        from alot_platform.outbox.service import run

        return run(_platform(settings), uuid.UUID(item_id))

    @app.task(name=SWEEP)  # type: ignore[untyped-decorator]
    def sweep() -> int:
        from alot_platform.observability.tracing import job_span
        from alot_platform.outbox.service import due

        platform = _platform(settings)
        with job_span(SWEEP):
            item_ids = due(platform)
        for item_id in item_ids:
            publish(settings, item_id)
        return len(item_ids)

    @app.task(name=TICK)  # type: ignore[untyped-decorator]
    def tick() -> str:
        from alot_platform.observability.tracing import job_span
        from alot_platform.scheduler import ledger_checkpointer, run_tick

        platform = _platform(settings)
        with job_span(TICK):
            report = run_tick(platform, ledger_checkpointer(platform))
        _log.info("tick: %s", report.summary())
        return report.summary()

    return app


def publish(settings: Settings, item_id: uuid.UUID) -> None:
    """Ask a worker to run outbox row ``item_id``."""
    _app(settings).send_task(RUN, args=[str(item_id)])


@functools.cache
def _app(settings: Settings) -> Celery:
    return make_app(settings)


@functools.cache
def _platform(settings: Settings) -> PlatformContext:
    """This worker process's platform context, built on first use (after the fork)."""
    from alot_platform.clock import system_clock
    from alot_platform.context import PlatformContext
    from alot_platform.keys import load_keys
    from alot_platform.mail import mailer_from_settings
    from alot_platform.observability import tracing

    platform = PlatformContext.build(
        settings, system_clock, load_keys(settings), mailer_from_settings(settings)
    )
    tracing.start_tracing(settings, tracing.WORKER_SERVICE)  # here: after the fork
    tracing.instrument_database(platform.database)
    return platform
