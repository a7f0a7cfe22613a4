"""The purchase line: concurrent purchases of one lot in this process, run in batches.

Every purchase of a lot needs the lot's row lock and a durable commit, so one purchase
per transaction cannot beat (one lock hold + one fsync) per purchase. The line gathers
the purchases that arrive while a batch of the same lot is running and hands them, as
the next batch, to one of their own request threads (the leader), which runs them in
one transaction and one commit. Nobody waits for a timer: a purchase arriving at an
idle lot runs at once, alone.

The line only decides who runs what; correctness does not depend on it. Batches of the
same lot from other processes still queue on the lot's row lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

RunBatch = Callable[[Sequence[Item]], Sequence[Result | BaseException]]


@dataclass(eq=False)
class _Place(Generic[Item, Result]):
    """One purchase waiting in line, and what it gets back."""

    item: Item
    woken: threading.Event = field(default_factory=threading.Event)
    result: Result | None = None
    error: BaseException | None = None
    batch: list[_Place[Item, Result]] | None = None
    """Set when this place's thread must lead the next batch."""


class PurchaseLine(Generic[Item, Result]):
    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: dict[Hashable, list[_Place[Item, Result]]] = {}
        self._running: set[Hashable] = set()

    def waiting(self, key: Hashable) -> int:
        """How many purchases of ``key`` wait for the batch running now (for observers)."""
        with self._mutex:
            return len(self._waiting.get(key, ()))

    def submit(self, key: Hashable, item: Item, run: RunBatch[Item, Result]) -> Result:
        """Run ``item`` in a batch of ``key``'s line; its own result, or its own error raised.

        ``run`` gets the batch's items in arrival order and returns one result or
        exception per item, in the same order (it raises only for the whole batch).
        """
        place: _Place[Item, Result] = _Place(item)
        with self._mutex:
            if key in self._running:
                self._waiting.setdefault(key, []).append(place)
                leads = False
            else:
                self._running.add(key)
                place.batch = [place]
                leads = True
        if not leads:
            place.woken.wait()
        if place.batch is not None:
            self._lead(key, place.batch, run)
        if place.error is not None:
            raise place.error
        assert place.result is not None
        return place.result

    def _lead(
        self, key: Hashable, batch: list[_Place[Item, Result]], run: RunBatch[Item, Result]
    ) -> None:
        try:
            results: Sequence[Result | BaseException] = run([place.item for place in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} returned {len(results)} results")
        except BaseException as error:  # the whole batch failed: every caller sees why
            results = [error] * len(batch)
        self._hand_over(key)
        for place, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                place.error = result
            else:
                place.result = result
            place.batch = None
            place.woken.set()

    def _hand_over(self, key: Hashable) -> None:
        """Give everyone who arrived during the batch to one of them, as the next batch."""
        with self._mutex:
            waiting = self._waiting.pop(key, [])
            if not waiting:
                self._running.discard(key)
                return
        leader = waiting[0]
        leader.batch = waiting
        leader.woken.set()
