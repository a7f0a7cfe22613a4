"""The purchase line: concurrent purchases of one lot in this process, run in batches.

Every purchase of a lot needs the lot's row lock and a durable commit, so one purchase
per transaction cannot beat (one lock hold + one fsync) per purchase. The line gathers
the purchases that arrive while a batch of the same lot is running and runs them, as
the next batch, in one transaction and one commit. Nobody waits for a timer: a purchase
arriving at an idle lot runs at once, alone.

Batches run on the line's own threads, one batch at a time per thread; a lot's next
batch queues for a thread behind the other lots' batches. A caller waits
for its own answer: a thread blocks (``submit``), a coroutine awaits it on its event
loop (``submit_async``) and so holds no thread while its purchase waits in line; the
purchase endpoints are async for that reason.

The line only decides who runs what; correctness does not depend on it. Batches of the
same lot from other processes still queue on the lot's row lock.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

RunBatch = Callable[[Sequence[Item]], Sequence[Result | BaseException]]

# Lots whose batches run at the same time in one process, each on its own database
# connection: below the connection pool's size, so request handlers keep some.
_RUNNERS = 8


@dataclass(eq=False)
class _Place(Generic[Item, Result]):
    """One purchase waiting in line, and what it gets back."""

    item: Item
    run: RunBatch[Item, Result]
    wake: Callable[[], None]
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    """The caller's context (its request id, its trace): its batch runs in it."""
    result: Result | None = None
    error: BaseException | None = None

    def answer(self) -> Result:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class PurchaseLine(Generic[Item, Result]):
    def __init__(self, runners: int = _RUNNERS) -> None:
        self._mutex = threading.Lock()
        self._waiting: dict[Hashable, list[_Place[Item, Result]]] = {}
        self._running: set[Hashable] = set()
        self._runners = ThreadPoolExecutor(runners, thread_name_prefix="purchase-line")

    def waiting(self, key: Hashable) -> int:
        """How many purchases of ``key`` wait for the next batch (for observers)."""
        with self._mutex:
            return len(self._waiting.get(key, ()))

    def submit(self, key: Hashable, item: Item, run: RunBatch[Item, Result]) -> Result:
        """Run ``item`` in a batch of ``key``'s line; its own result, or its own error raised.

        ``run`` gets the batch's items in arrival order and returns one result or
        exception per item, in the same order (it raises only for the whole batch).
        """
        done = threading.Event()
        place: _Place[Item, Result] = _Place(item, run, done.set)
        self._join(key, place)
        done.wait()
        return place.answer()

    async def submit_async(self, key: Hashable, item: Item, run: RunBatch[Item, Result]) -> Result:
        """``submit`` for a coroutine: it awaits its answer without holding a thread.

        A caller cancelled while waiting does not take its purchase out of the line:
        the purchase runs (or has run) in its batch, as a request whose client went
        away does; a retry with the same idempotency key finds it.
        """
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def wake() -> None:
            with suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, done)

        place: _Place[Item, Result] = _Place(item, run, wake)
        self._join(key, place)
        await done
        return place.answer()

    def _join(self, key: Hashable, place: _Place[Item, Result]) -> None:
        with self._mutex:
            self._waiting.setdefault(key, []).append(place)
            if key in self._running:
                return
            self._running.add(key)
        self._runners.submit(self._drain, key)

    def _drain(self, key: Hashable) -> None:
        """Run ``key``'s next batch, then queue its turn for the one after (if anybody
        waits): a lot that never runs dry must not keep a runner from other lots."""
        with self._mutex:
            batch = self._waiting.pop(key, [])
            if not batch:
                self._running.discard(key)
                return
        self._run(batch)
        self._runners.submit(self._drain, key)

    @staticmethod
    def _run(batch: list[_Place[Item, Result]]) -> None:
        """Run ``batch`` with the function its first purchase brought (every purchase of
        one key brings an equivalent one), in that purchase's context (the work the batch
        leaves for later is traced to its request), and hand each place its answer."""
        try:
            items = [place.item for place in batch]
            results: Sequence[Result | BaseException] = batch[0].context.run(batch[0].run, items)
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} returned {len(results)} results")
        except BaseException as error:  # the whole batch failed: every caller sees why
            results = [error] * len(batch)
        for place, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                place.error = result
            else:
                place.result = result
            place.wake()


def _settle(done: asyncio.Future[None]) -> None:
    if not done.done():  # a cancelled waiter's future is done already
        done.set_result(None)
