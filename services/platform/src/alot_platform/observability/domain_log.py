"""Domain-event log lines: one JSON line per business event that committed.

Each line goes through the platform's JSON log (alot_platform.logs) on the logger
``alot_platform.domain``: ``"message"`` and ``"event"`` name the event (``lot_funded``,
``draw_completed``, ...), and every line carries

- ``service``: the kind of process that did the work (``platform`` for the API and the
  one-shot commands, ``worker`` for ``alot worker``, ``beat`` for ``alot beat``);
- ``request_id``: the HTTP request the work was done for (None in a background task);
- ``task_id``: the background task it was done in (None in a request): the outbox row's
  id for a task (``outbox.service.run``), ``tick-<hex>`` for a scheduler tick's jobs.

The events, with their fields, are listed in docs/platform/business-metrics.md; they
are written by alot_platform.observability.business once the change is committed.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, ParamSpec, TypeVar

from alot_platform.logs import request_id_var

Service = Literal["platform", "worker", "beat"]

task_id_var: ContextVar[str | None] = ContextVar("alot_task_id", default=None)
_log = logging.getLogger("alot_platform.domain")
_service: Service = "platform"

_T = TypeVar("_T")
_R = TypeVar("_R")
_P = ParamSpec("_P")


def set_service(service: Service) -> None:
    """Name this process's kind in every domain line it writes (``alot worker``, ``alot
    beat``); a process that never calls this is the ``platform``."""
    global _service
    _service = service


def service() -> Service:
    return _service


@contextmanager
def in_task(task_id: str) -> Iterator[None]:
    """Lines written in this block belong to background task ``task_id``."""
    token = task_id_var.set(task_id)
    try:
        yield
    finally:
        task_id_var.reset(token)


def runs_task(run: Callable[[_T, uuid.UUID], _R]) -> Callable[[_T, uuid.UUID], _R]:
    """Decorate ``run(platform, item_id)``: what it does is task ``item_id``'s."""

    @functools.wraps(run)
    def run_in_task(platform: _T, item_id: uuid.UUID) -> _R:
        with in_task(str(item_id)):
            return run(platform, item_id)

    return run_in_task


def runs_tick(tick: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorate a scheduler tick: its jobs' lines share one ``tick-<hex>`` task id (an
    outbox row it runs has its own)."""

    @functools.wraps(tick)
    def tick_in_task(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with in_task(f"tick-{uuid.uuid4().hex}"):
            return tick(*args, **kwargs)

    return tick_in_task


def log_event(event: str, *, request_id: str | None, task_id: str | None, **fields: object) -> None:
    """Write the line of ``event``: its ``fields`` (JSON values), the service, and the
    request and task it was done for (as they were when the change was made)."""
    _log.info(
        event,
        extra={
            "event": event,
            "service": _service,
            "task_id": task_id,
            "_domain_request_id": request_id,
            **fields,
        },
    )


class _StampRequestId(logging.Filter):
    """The line's request id is the one its change was made for, not the one running
    now: a purchase batch commits on the purchase line's thread, for many requests."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "_domain_request_id", request_id_var.get())
        return True


_log.addFilter(_StampRequestId())
