"""``LedgerWriter``: the standalone ledger that commits on its own, with group commit.

Callers in many threads call ``post``; each request is validated in the caller's thread
(a malformed request never reaches the queue), then queued. One writer thread takes
everything queued so far (up to ``max_batch``), appends it in one DB transaction under
one chain-head lock, commits once, and only then hands each caller its own receipt or
its own error. While one batch commits the next one gathers, so the number of commits
per second stays bounded by the disk while throughput grows with concurrency.

Several processes may each run a writer against one PostgreSQL database: their batches
serialize on the head row lock, and nothing depends on timing. A receipt is returned
only after its commit succeeded; if a commit fails every caller of that batch gets the
error, and retrying with the same idempotency key is safe either way.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any

import psycopg
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from alot_ledger.appender import (
    ChainCache,
    Receipt,
    StaleCache,
    append_batch,
    append_batch_cached,
)
from alot_ledger.errors import LedgerError, LedgerUnavailable
from alot_ledger.posting import Posts
from alot_ledger.rules import TransactionRequest

_log = logging.getLogger(__name__)
_STOP = object()


class LedgerWriter(Posts):
    """Appends and commits, batching concurrent callers into one DB transaction."""

    def __init__(self, engine: Engine, *, max_batch: int = 500) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stopped = False
        self._lock = threading.Lock()
        # The writer keeps one connection: a pool checkout per batch is measurable.
        self._connection: Connection | None = None
        # PostgreSQL: the head and balances this writer last saw, so that a batch can
        # usually be written in one round trip (checked against the head, see appender).
        self._cache = ChainCache() if engine.dialect.name == "postgresql" else None
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._thread.start()

    def __enter__(self) -> LedgerWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Finish what is queued, then stop the writer thread."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._queue.put(_STOP)
        self._thread.join()

    def append(self, request: TransactionRequest) -> Receipt:
        """Append one transaction and wait until its batch is committed (post/transfer/memo
        come from Posts)."""
        return self.submit(request).result()

    def submit(self, request: TransactionRequest) -> Future[Receipt]:
        """Queue a validated request; the future resolves after its batch commits."""
        future: Future[Receipt] = Future()
        with self._lock:
            if self._stopped:
                raise LedgerUnavailable("the ledger writer is closed")
            self._queue.put((request, future))
        return future

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            if self._connection is not None:
                self._connection.close()

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _append(
        self, connection: Connection, requests: list[TransactionRequest]
    ) -> list[Receipt | LedgerError]:
        if self._cache is not None and self._cache.covers(requests):
            try:
                with connection.begin():
                    return append_batch_cached(connection, requests, self._cache)
            except (StaleCache, IntegrityError, psycopg.IntegrityError):
                # Another appender moved the chain (its seq is taken), or a key was used
                # before: this batch rolled back; redo it from what the database holds.
                self._cache.forget()
        with connection.begin():
            return append_batch(connection, requests, self._cache)

    def _commit(self, batch: list[tuple[TransactionRequest, Future[Receipt]]]) -> None:
        requests = [request for request, _ in batch]
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
            results = self._append(self._connection, requests)
        except Exception as error:  # the batch did not commit: nobody gets a receipt
            _log.exception("ledger batch of %d failed to commit", len(batch))
            if self._connection is not None:
                self._connection.invalidate()  # start the next batch on a fresh connection
                self._connection.close()
                self._connection = None
            for _, future in batch:
                future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, LedgerError):
                future.set_exception(result)
            else:
                future.set_result(result)
