"""The relay: after a transaction that wrote outbox rows commits, hand them to a runner.

The unit of work records the ids it added (``session.info["outbox_new"]``); when it
commits, they are given to the relay once the transaction has ended (its connection
back in the pool); a rollback forgets them (their rows are gone with it). The relay
never decides anything: a row it loses (the process dies, Redis is down) is still
pending in the database, and the periodic sweep (``alot_platform.scheduler``) runs it
or sends it again.

Three relays, one set of handlers (alot_platform.outbox.handlers):
- ``celery``: publishes ``alot.outbox.run(id)`` to the broker, from a thread of its own
  so that no request waits on Redis; ``alot worker`` runs them (alot_platform.worker).
- ``thread`` (the embedded default, ``alot run``): runs them in this process, on one
  thread of its own, in commit order.
- ``inline``: runs them in the committing thread, right after the commit (tests and
  one-shot commands: the work is done when the call returns). Work a handler commits
  is queued behind the work being run, not run inside it.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

if TYPE_CHECKING:
    from alot_platform.context import PlatformContext

_log = logging.getLogger(__name__)


class Relay(Protocol):
    def nudge(self, item_ids: list[uuid.UUID]) -> None: ...

    def stop(self) -> None: ...


def install(platform: PlatformContext) -> None:
    """Tell ``platform.relay`` of the outbox rows each of its sessions commits (none
    when it has no relay: the rows wait for the sweep)."""

    @event.listens_for(platform.database.sessions, "after_commit")
    def _committed(session: Session) -> None:
        item_ids = session.info.pop("outbox_new", None)
        if item_ids:
            session.info.setdefault("outbox_committed", []).extend(item_ids)

    @event.listens_for(platform.database.sessions, "after_transaction_end")
    def _ended(session: Session, transaction: SessionTransaction) -> None:
        # After the commit's connection went back to the pool: an inline runner's work
        # never holds two connections (a pool of one would wait on itself).
        if transaction.parent is not None:
            return
        item_ids = session.info.pop("outbox_committed", None)
        if item_ids and platform.relay is not None:
            platform.relay.nudge(item_ids)

    @event.listens_for(platform.database.sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop("outbox_new", None)


class InlineRelay:
    """Runs the rows in the committing thread; nested commits queue behind."""

    def __init__(self, run: Callable[[uuid.UUID], object]) -> None:
        self._run = run
        self._local = threading.local()

    def nudge(self, item_ids: list[uuid.UUID]) -> None:
        pending: list[uuid.UUID] | None = getattr(self._local, "pending", None)
        if pending is not None:  # inside a run on this thread: after it
            pending.extend(item_ids)
            return
        self._local.pending = pending = list(item_ids)
        try:
            while pending:
                _run_quietly(self._run, pending.pop(0))
        finally:
            self._local.pending = None

    def stop(self) -> None:
        pass


class ThreadRelay:
    """Hands the rows, in order, to ``run`` on a daemon thread of its own."""

    def __init__(self, run: Callable[[uuid.UUID], object], name: str) -> None:
        self._run = run
        self._queue: queue.SimpleQueue[uuid.UUID | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._name = name
        self._thread: threading.Thread | None = None

    def nudge(self, item_ids: list[uuid.UUID]) -> None:
        for item_id in item_ids:
            self._queue.put(item_id)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Finish what was handed over, then end the thread (at shutdown)."""
        with self._lock:
            thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=30)

    def _loop(self) -> None:
        while (item_id := self._queue.get()) is not None:
            _run_quietly(self._run, item_id)


def _run_quietly(run: Callable[[uuid.UUID], object], item_id: uuid.UUID) -> None:
    """A relay's failure is only a delay: the row stays pending for the sweep."""
    try:
        run(item_id)
    except Exception:
        _log.exception("outbox relay: %s left to the sweep", item_id)


def relay_for(platform: PlatformContext) -> Relay:
    """The relay ALOT_TASK_RUNNER asks for, running rows with ``outbox.service.run``."""
    from alot_platform.outbox.service import run

    def run_here(item_id: uuid.UUID) -> object:
        return run(platform, item_id)

    runner = platform.settings.task_runner
    if runner == "inline":
        return InlineRelay(run_here)
    if runner == "celery":
        from alot_platform.worker import publish

        settings = platform.settings
        return ThreadRelay(lambda item_id: publish(settings, item_id), "alot-outbox-publisher")
    return ThreadRelay(run_here, "alot-outbox")
