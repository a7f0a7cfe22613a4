"""Purchases of one lot arriving together run as one batch, each with its own answer.

The line (no database): every item gets its own result or its own error, a failing
batch fails each of its callers, and purchases arriving during a batch form the next.
The batch (PostgreSQL, where a held lot row lock makes purchases queue deterministically):
purchases refused in the middle of a batch (cap reached, a repeated key with another
body) write nothing, the others commit, and a repeated key gets the first purchase.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from alot_ledger import Ledger
from alot_platform.db import unit_of_work
from alot_platform.entries.line import PurchaseLine
from alot_platform.entries.models import LotEntry, LotEntryPurchase, PaymentMethod
from alot_platform.entries.service import EntryService, Order, purchases_waiting
from alot_platform.errors import AlotError
from alot_platform.ledger.accounts import USD, lot_escrow
from sqlalchemy import select, text

# -- the line ----------------------------------------------------------------------------


def _wait_until(condition: Any) -> None:
    """Synchronisation only (never a timing assertion): poll until ``condition`` holds."""
    for _ in range(2000):
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError("the condition never held")


def _first_batch_held(
    release: threading.Event, batches: list[list[int]]
) -> Callable[[Sequence[int]], list[str | BaseException]]:
    """A batch runner that records each batch and holds the first, ``[0]``, until
    ``release``; an odd item fails with its own error."""

    def run(items: Sequence[int]) -> list[str | BaseException]:
        batches.append(list(items))
        if items == [0]:
            release.wait()
        return [ValueError(f"odd {i}") if i % 2 else f"ok {i}" for i in items]

    return run


def test_the_line_answers_each_item_and_batches_late_arrivals() -> None:
    line: PurchaseLine[int, str] = PurchaseLine()
    release = threading.Event()
    batches: list[list[int]] = []
    run = _first_batch_held(release, batches)
    answers: dict[int, str] = {}

    def submit(item: int) -> None:
        try:
            answers[item] = line.submit("lot", item, run)
        except ValueError as error:
            answers[item] = f"error: {error}"

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    _wait_until(lambda: batches == [[0]])
    others = []
    for item in (1, 2, 3):
        thread = threading.Thread(target=submit, args=(item,))
        thread.start()
        others.append(thread)
        _wait_until(lambda item=item: line.waiting("lot") == item)
    release.set()
    for thread in [first, *others]:
        thread.join()

    assert batches == [[0], [1, 2, 3]]
    assert answers == {0: "ok 0", 1: "error: odd 1", 2: "ok 2", 3: "error: odd 3"}
    assert line.waiting("lot") == 0


def test_coroutines_wait_in_line_on_their_loop_and_a_cancelled_one_still_runs() -> None:
    line: PurchaseLine[int, str] = PurchaseLine()
    release = threading.Event()
    batches: list[list[int]] = []
    run = _first_batch_held(release, batches)

    async def scenario() -> list[str]:
        first = asyncio.create_task(line.submit_async("lot", 0, run))
        await asyncio.to_thread(_wait_until, lambda: batches == [[0]])
        waiters = [asyncio.create_task(line.submit_async("lot", i, run)) for i in (2, 4, 6)]
        await asyncio.to_thread(_wait_until, lambda: line.waiting("lot") == 3)
        waiters[1].cancel()  # its client went away: its purchase stays in the batch
        release.set()
        answers = await asyncio.gather(first, waiters[0], waiters[2])
        assert waiters[1].cancelled()
        # The line goes on, for a thread and a coroutine alike.
        answers.append(await asyncio.to_thread(line.submit, "lot", 8, run))
        answers.append(await line.submit_async("lot", 10, run))
        return answers

    assert asyncio.run(scenario()) == ["ok 0", "ok 2", "ok 6", "ok 8", "ok 10"]
    assert batches == [[0], [2, 4, 6], [8], [10]]
    assert line.waiting("lot") == 0


def test_a_busy_lot_takes_turns_with_other_lots_for_the_line_threads() -> None:
    line: PurchaseLine[int, str] = PurchaseLine(runners=1)
    release = threading.Event()
    batches: list[list[int]] = []
    held = _first_batch_held(release, batches)

    def run(lot: str) -> Callable[[Sequence[int]], list[str | BaseException]]:
        return lambda items: held([*items]) if lot == "a" else held([100 + i for i in items])

    threads = [threading.Thread(target=line.submit, args=("a", 0, run("a")))]
    threads[0].start()
    _wait_until(lambda: batches == [[0]])  # lot a's first batch holds the only thread
    for lot, item in (("a", 2), ("b", 4)):
        threads.append(threading.Thread(target=line.submit, args=(lot, item, run(lot))))
        threads[-1].start()
        _wait_until(lambda lot=lot: line.waiting(lot) == 1)
    release.set()
    for thread in threads:
        thread.join()

    # Lot b ran before lot a's second batch, though a had a purchase waiting first.
    assert batches == [[0], [104], [2]]


def test_a_failing_batch_fails_each_caller_and_the_line_goes_on() -> None:
    line: PurchaseLine[int, str] = PurchaseLine()

    def broken(items: Sequence[int]) -> list[str | BaseException]:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError, match="went away"):
        line.submit("lot", 1, broken)
    assert line.submit("lot", 2, lambda items: [f"ok {i}" for i in items]) == "ok 2"


# -- a batch on PostgreSQL ----------------------------------------------------------------


@contextmanager
def _lot_locked(shop: Any, lot_id: uuid.UUID) -> Any:
    """Hold the lot's row lock from another connection: purchases queue behind it."""
    with shop.platform.database.engine.connect() as connection:
        connection.execute(text("SELECT id FROM lots WHERE id = :id FOR UPDATE"), {"id": lot_id})
        yield
        connection.rollback()


def _waiting_for_a_lock(shop: Any) -> int:
    with shop.platform.database.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def test_refusals_in_the_middle_of_a_batch_write_nothing_and_the_rest_commits(
    shop: Any,
) -> None:
    if shop.platform.database.engine.dialect.name != "postgresql":
        pytest.skip("queues purchases behind a row lock held elsewhere (PostgreSQL)")
    lot = shop.open_lot(max_tickets_per_user=5)
    lot_id = uuid.UUID(lot["id"])
    first, capped, repeater, changer, plain = shop.quick_players(lot["id"], 5)
    platform = shop.platform
    results: dict[str, Any] = {}

    def buy(name: str, user_id: uuid.UUID, order: Order, key: str) -> None:
        try:
            with contextmanager(unit_of_work)(platform.database) as session:
                outcome = EntryService(session, platform).buy(
                    lot_id, shop.caller(user_id), order, key
                )
                results[name] = (outcome.purchase.id, outcome.replayed)
        except AlotError as error:
            results[name] = error

    one, three = Order(PaymentMethod.CASH, 0), Order(PaymentMethod.CASH, 1)
    buy("capped holds 4", capped, three, "pre-1")
    buy("capped holds 4 (2)", capped, one, "pre-2")
    before = shop.census()

    calls = [
        ("capped to 5", capped, one, "k1"),
        ("capped over 5", capped, one, "k2"),
        ("repeat first", repeater, one, "same"),
        ("repeat again", repeater, one, "same"),
        ("changer first", changer, one, "reused"),
        ("changer other body", changer, three, "reused"),
        ("plain", plain, three, "p"),
    ]
    threads = []
    with _lot_locked(shop, lot_id):
        leader = threading.Thread(target=buy, args=("first", first, one, "f"))
        leader.start()
        threads.append(leader)
        _wait_until(lambda: _waiting_for_a_lock(shop) == 1)  # its batch waits for the lot
        for count, call in enumerate(calls, start=1):
            thread = threading.Thread(target=buy, args=call)
            thread.start()
            threads.append(thread)
            _wait_until(lambda count=count: purchases_waiting(platform, lot_id) == count)
    for thread in threads:
        thread.join()

    refused = {name: r for name, r in results.items() if isinstance(r, AlotError)}
    assert {name: (e.status_code, e.code) for name, e in refused.items()} == {
        "capped over 5": (409, "ticket_cap_exceeded"),
        "changer other body": (409, "idempotency_conflict"),
    }
    assert results["repeat again"] == (results["repeat first"][0], True)
    accepted = {"first", "capped to 5", "repeat first", "changer first", "plain"}
    accepted |= {"capped holds 4", "capped holds 4 (2)"}  # before the batch
    assert {name for name, r in results.items() if isinstance(r, tuple) and not r[1]} == accepted

    after = shop.census()
    new = len(accepted) - 2
    assert after["lot_entry_purchases"] - before["lot_entry_purchases"] == new
    assert after["lot_entries"] - before["lot_entries"] == new
    assert after["ledger_transactions"] - before["ledger_transactions"] == new
    with shop.session() as session:
        entries = list(
            session.scalars(
                select(LotEntry).where(LotEntry.lot_id == lot_id).order_by(LotEntry.tickets_start)
            )
        )
        purchases = list(
            session.scalars(select(LotEntryPurchase).where(LotEntryPurchase.lot_id == lot_id))
        )
        escrow = Ledger(session).balance(lot_escrow(lot_id), USD).balance
    expected = 1
    for entry in entries:
        assert entry.tickets_start == expected
        expected = entry.tickets_end + 1
    row = shop.lot_row(lot["id"])
    assert expected - 1 == row["tickets_sold"] == 4 + 1 + 1 + 1 + 1 + 3
    assert escrow == row["cash_cents"] == sum(p.amount_cents for p in purchases)
    # The six queued purchases went through one batch: their ledger seqs follow each other.
    batch = sorted(
        p.ledger_seq for p in purchases if p.idempotency_key in {"k1", "same", "reused", "p"}
    )
    assert batch == list(range(batch[0], batch[0] + 4))

    # Every refused or repeated request's charge went back; the rest are owned.
    payments = platform.payments
    owned = {p.provider_payment_id for p in purchases}
    for charge in payments.charges:
        refunded = payments.refunded_cents(charge.payment_id)
        assert refunded == (0 if charge.payment_id in owned else charge.amount_cents)
