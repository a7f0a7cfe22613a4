"""Benchmark: settle a lot of 50,000 buyers on PostgreSQL, chunk by chunk.

Builds a funded, drawn ``alot-v2`` lot of ALOT_BENCH_BUYERS (default 50,000) buyers, one
1-ticket $1 cash entry each, then settles it with ``run_draw_and_settle`` (the task's
entry point: one committed unit of work per ALOT_SETTLEMENT_CHUNK_SIZE entries) in a
process of its own, and prints (never asserts, but exits 1 if a check fails):

- the settlement's wall time, chunk count and entries per second;
- the settling process's peak memory (its maximum resident set size, the Python
  interpreter and the platform's imports included), and that before it settled;
- correctness: the lot is settled, every non-winning entry earned its credits once
  (one credit row each, balances equal the ledger's, `reconcile` finds no difference),
  the ledger holds one ``lot_settlement`` whose ``credits_issued`` is the sum of the
  chunks', the escrow is empty, and the whole ledger export verifies with
  ``alot_verify.ledger.verify_ledger``, the draw proof with ``verify_draw_proof``.

The goal on the 2-core reference machine: at most 60 s and 500 MB.

Set-up is not measured. The lot is opened by the lot service; the buyers, their
purchases, entries and reveals are bulk-inserted as the entry service writes them, and
each purchase's ledger transaction is the entry service's own request
(``purchase_ledger_request``) appended through the ledger's batch API
(``append_batch``), 5,000 to a DB transaction; the lot is then funded, frozen and drawn
by the draw service.

PostgreSQL: the first argument, else ALOT_BENCH_POSTGRES_URL, else ALOT_TEST_POSTGRES_URL,
else postgresql://postgres@127.0.0.1:5432/postgres; the benchmark creates its own
database and drops it at the end. Knobs: ALOT_BENCH_BUYERS (default 50000),
ALOT_SETTLEMENT_CHUNK_SIZE (the platform's setting, default 1000), ALOT_BENCH_PROFILE
(a file to write the settling process's cProfile statistics to).

    .venv/bin/python bench/settle_big_lot.py [postgresql://user@host:5432/postgres]
"""

from __future__ import annotations

import cProfile
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from alot_ledger import Ledger, export_lines
from alot_ledger.appender import Receipt, append_batch
from alot_platform.clock import system_clock
from alot_platform.config import Settings
from alot_platform.context import PlatformContext
from alot_platform.credits.models import CreditTransaction
from alot_platform.credits.service import reconcile_credits
from alot_platform.db import unit_of_work
from alot_platform.draws.models import LotteryDraw
from alot_platform.draws.service import DrawService
from alot_platform.draws.tasks import run_draw_and_settle
from alot_platform.entries.models import (
    LotEntry,
    LotEntryPurchase,
    PaymentMethod,
    PurchaseStatus,
)
from alot_platform.entries.service import purchase_ledger_request
from alot_platform.keys import load_keys
from alot_platform.ledger.accounts import CRD, USD, lot_escrow
from alot_platform.lots.models import DrawAlgorithm, Lot, LotStatus
from alot_platform.lots.repository import LotRepository
from alot_platform.lots.schemas import EntryBundle, LotCreate, ProductClassCreate
from alot_platform.lots.service import LotService
from alot_platform.lots.state import transition
from alot_platform.mail import mailer_from_settings
from alot_platform.migrate import migrate
from alot_platform.reveals.models import Reveal
from alot_platform.users.models import Role, User
from alot_platform.users.service import UserService
from alot_verify.draw import verify_draw_proof
from alot_verify.ledger import verify_ledger
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

BUYERS = int(os.environ.get("ALOT_BENCH_BUYERS", "50000"))
PROFILE = os.environ.get("ALOT_BENCH_PROFILE")  # a path: cProfile stats of the settlement
PRICE_CENTS = 100
RATE_PERCENT = 10
BATCH = 5000
GOAL_SECONDS = 60.0
GOAL_MB = 500.0


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "--settle":
        return _settle_in_this_process(database_url=argv[2], var_dir=Path(argv[3]), lot=argv[4])
    admin_url = (
        (argv[1] if len(argv) > 1 else None)
        or os.environ.get("ALOT_BENCH_POSTGRES_URL")
        or os.environ.get("ALOT_TEST_POSTGRES_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    database = f"alot_bench_settle_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory(prefix="alot-bench-") as var_dir:
            return _run(_database_url(admin_url, database), Path(var_dir))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _database_url(admin_url: str, database: str) -> str:
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _platform(database_url: str, var_dir: Path) -> PlatformContext:
    settings = Settings(database_url=database_url, var_dir=var_dir, log_level="WARNING")
    return PlatformContext.build(
        settings, system_clock, load_keys(settings), mailer_from_settings(settings)
    )


@contextmanager
def _session(platform: PlatformContext) -> Iterator[Any]:
    with contextmanager(unit_of_work)(platform.database) as session:
        yield session


def _run(database_url: str, var_dir: Path) -> int:
    migrate(Settings(database_url=database_url, var_dir=var_dir))
    platform = _platform(database_url, var_dir)  # generates the keys the child reads
    chunk = platform.settings.settlement_chunk_size
    print(f"{BUYERS} buyers, settlement chunks of {chunk} entries, PostgreSQL")
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")
    try:
        started = time.perf_counter()
        lot_id = _build_lot(platform)
        took = time.perf_counter() - started
        print(f"set-up (users, purchases, ledger, funding, draw): {took:.1f} s")
    finally:
        platform.database.dispose()

    # The settlement runs in a process of its own, so that its peak memory is its own.
    settled = subprocess.run(
        [sys.executable, __file__, "--settle", database_url, str(var_dir), str(lot_id)],
        capture_output=True,
        text=True,
        check=False,
    )
    if settled.returncode != 0:
        print(settled.stdout, settled.stderr, sep="\n")
        print("SETTLEMENT FAILED")
        return 1
    figures = json.loads(settled.stdout.strip().splitlines()[-1])
    seconds, peak, before = figures["seconds"], figures["peak_mb"], figures["before_mb"]
    chunks = -(-BUYERS // chunk)
    print(
        f"settlement: {seconds:.1f} s for {BUYERS} entries in {chunks} chunks"
        f" ({BUYERS / seconds:,.0f} entries/s; goal <= {GOAL_SECONDS:.0f} s), of which"
        f" {figures['cpu']:.1f} s CPU in the settling process (the rest: PostgreSQL)"
    )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")
    print(
        f"peak memory of the settling process: {peak:.0f} MB (it held {before:.0f} MB before"
        f" settling; goal <= {GOAL_MB:.0f} MB)"
    )

    platform = _platform(database_url, var_dir)
    try:
        failures = _check(platform, uuid.UUID(str(lot_id)))
    finally:
        platform.database.dispose()
    if seconds > GOAL_SECONDS or peak > GOAL_MB:
        print("GOAL MISSED (a figure, not a correctness failure)")
    if failures:
        print("CORRECTNESS FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("correctness: OK")
    return 0


def _settle_in_this_process(*, database_url: str, var_dir: Path, lot: str) -> int:
    platform = _platform(database_url, var_dir)
    # What the settlement writes for afterwards (telling the 49,999 others their credits,
    # the emails) is outbox tasks for the workers: measured here is the settlement.
    platform.relay = None
    before = _peak_mb()
    profile = cProfile.Profile() if PROFILE else None
    started = time.perf_counter()
    cpu_before = time.process_time()
    if profile is not None:
        profile.enable()
    outcome = run_draw_and_settle(platform, uuid.UUID(lot))
    seconds = time.perf_counter() - started
    if profile is not None:
        profile.disable()
        profile.dump_stats(str(PROFILE))
    platform.database.dispose()
    if not outcome.settled:
        print(f"the lot was not settled: {outcome}", file=sys.stderr)
        return 1
    cpu = time.process_time() - cpu_before
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "before_mb": before, "cpu": cpu}))
    return 0


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not getrusage's ru_maxrss, which
    Linux carries over from the parent through fork and exec (the set-up's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: KiB


# -- set-up -----------------------------------------------------------------------------


def _build_lot(platform: PlatformContext) -> uuid.UUID:
    lot_id = _open_lot(platform)
    for first in range(0, BUYERS, BATCH):
        _buy(platform, lot_id, first, min(BATCH, BUYERS - first))
    with _session(platform) as session:
        lot = LotRepository(session).get_for_update(lot_id)
        assert lot is not None
        # What the last purchase's own transaction does when it reaches the target.
        lot.tickets_sold = BUYERS
        lot.cash_cents = BUYERS * PRICE_CENTS
        transition(lot, LotStatus.FUNDED, platform.clock())
        DrawService(session, platform).freeze(lot)
    with _session(platform) as session:
        DrawService(session, platform).draw(lot_id)
    return lot_id


def _open_lot(platform: PlatformContext) -> uuid.UUID:
    with _session(platform) as session:
        admin = UserService(session, platform).create(
            email="bench-admin@example.com",
            username="bench_admin",
            hashed_password="not-a-login",  # noqa: S106 - nobody logs in
            date_of_birth=None,
            roles=(Role.PLAYER, Role.ADMIN),
            verified_email=True,
        )
        service = LotService(session, platform)
        product = service.create_product_class(
            ProductClassCreate(
                name="Big lot product",
                brand="Rolex",
                category="watch",
                tier="GRAIL",
                retail_value_cents=1_250_000,
            )
        )
        lot = service.create(
            LotCreate(
                product_class_id=product.id,
                title="A lot of 50,000 buyers",
                funding_target_cents=BUYERS * PRICE_CENTS,
                deadline=platform.clock() + timedelta(days=7),
                entry_bundles=[EntryBundle(price_cents=PRICE_CENTS, tickets=1)],
                trivia_question="Which Swiss maker's logo is a crown?",
                trivia_answer="Rolex",
                draw_algorithm=DrawAlgorithm.V2,
                non_winner_credit_rate_percent=RATE_PERCENT,
            ),
            admin,
        )
        return service.open(lot.id).id


def _buy(platform: PlatformContext, lot_id: uuid.UUID, first: int, count: int) -> None:
    """``count`` buyers, each with one 1-ticket cash purchase, as the entry service
    writes them, with their ledger transactions appended in one batch."""
    now = platform.clock()
    with _session(platform) as session:
        lot = session.get(Lot, lot_id)
        assert lot is not None
        users, purchases, entries, reveals = [], [], [], []
        for number in range(first, first + count):
            user_id, purchase_id = uuid.uuid4(), uuid.uuid4()
            users.append(
                {
                    "id": user_id,
                    "email": f"buyer{number}@example.com",
                    "username": f"buyer{number}",
                    "hashed_password": "not-a-login",
                    "verified_email": True,
                    "verified_identity": False,
                    "status": "active",
                    "total_entries": 1,
                    "total_won": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            purchases.append(
                LotEntryPurchase(
                    id=purchase_id,
                    lot_id=lot_id,
                    user_id=user_id,
                    method=PaymentMethod.CASH.value,
                    bundle_index=0,
                    tickets=1,
                    amount_cents=PRICE_CENTS,
                    credits_spent=0,
                    currency="USD",
                    status=PurchaseStatus.SUCCEEDED.value,
                    idempotency_key=f"bench-{number}",
                    request_hash="0" * 64,
                    provider="sandbox",
                    provider_payment_id=f"sandbox_bench_{number}",
                    created_at=now,
                    completed_at=now,
                )
            )
            entries.append(
                LotEntry(
                    id=uuid.uuid4(),
                    lot_id=lot_id,
                    user_id=user_id,
                    purchase_id=purchase_id,
                    tickets_start=number + 1,
                    tickets_end=number + 1,
                    ticket_count=1,
                    amount_paid_cents=PRICE_CENTS,
                    credits_spent=0,
                    is_winner=False,
                    credits_awarded=0,
                    created_at=now,
                )
            )
            reveals.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "lot_id": lot_id,
                    "status": "pending",
                    "details": {},
                    "created_at": now,
                }
            )
        requests = [
            purchase_ledger_request(lot, purchase, entry)
            for purchase, entry in zip(purchases, entries, strict=True)
        ]
        receipts = append_batch(session.connection(), requests)
        session.execute(insert(User), users)
        rows = []
        for purchase, receipt in zip(purchases, receipts, strict=True):
            assert isinstance(receipt, Receipt), receipt
            rows.append({**_columns(purchase), "ledger_seq": receipt.seq})
        session.execute(insert(LotEntryPurchase), rows)
        session.execute(insert(LotEntry), [_columns(entry) for entry in entries])
        session.execute(insert(Reveal), reveals)


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key in row.__dict__}


# -- correctness ------------------------------------------------------------------------


def _check(platform: PlatformContext, lot_id: uuid.UUID) -> list[str]:
    failures: list[str] = []
    with _session(platform) as session:
        lot = session.get(Lot, lot_id)
        draw = session.scalars(select(LotteryDraw).where(LotteryDraw.lot_id == lot_id)).one()
        assert lot is not None
        if lot.status != LotStatus.SETTLED.value:
            failures.append(f"the lot is {lot.status}, not settled")
        winners = session.scalar(
            select(func.count()).where(LotEntry.lot_id == lot_id, LotEntry.is_winner)
        )
        if winners != 1:
            failures.append(f"{winners} entries are marked winners, not 1")
        per_entry = RATE_PERCENT * PRICE_CENTS // 100
        expected = (BUYERS - 1) * per_entry  # each buyer holds one entry; one of them won
        rows = session.execute(
            select(func.count(), func.count(func.distinct(CreditTransaction.lot_entry_id)))
            .select_from(CreditTransaction)
            .where(CreditTransaction.lot_id == lot_id)
        ).one()
        credited = session.scalar(
            select(func.sum(CreditTransaction.amount)).where(CreditTransaction.lot_id == lot_id)
        )
        if tuple(rows) != (BUYERS - 1, BUYERS - 1) or credited != expected:
            failures.append(
                f"credit rows {tuple(rows)} (rows, entries) totalling {credited}; expected"
                f" {BUYERS - 1} entries once each, {expected} credits"
            )
        differences = reconcile_credits(session)
        if differences:
            failures.append(f"{len(differences)} credit balances differ from the ledger")
        ledger = Ledger(session)
        escrow = (
            ledger.balance(lot_escrow(lot_id), USD).balance,
            ledger.balance(lot_escrow(lot_id), CRD).balance,
        )
        if escrow != (0, 0):
            failures.append(f"the escrow still holds {escrow}")
        proof = draw.proof
    kinds: dict[str, list[dict[str, Any]]] = {"lot_settlement": [], "lot_settlement_credits": []}
    began = time.perf_counter()
    try:
        summary = verify_ledger(export_lines(platform.database.engine))
    except Exception as error:  # a verification failure is the result to report
        failures.append(f"ledger export does not verify: {error}")
    else:
        print(
            f"ledger export verifies: {summary.transactions} transactions"
            f" ({time.perf_counter() - began:.1f} s)"
        )
    for line in export_lines(platform.database.engine):
        transaction = json.loads(line)
        if transaction["refs"].get("lot_id") == str(lot_id) and transaction["kind"] in kinds:
            kinds[transaction["kind"]].append(transaction)
    chunks = kinds["lot_settlement_credits"]
    issued = sum(t["metadata"]["credits_issued"] for t in chunks)
    if len(kinds["lot_settlement"]) != 1:
        failures.append(f"{len(kinds['lot_settlement'])} lot_settlement transactions, not 1")
    elif kinds["lot_settlement"][0]["metadata"]["credits_issued"] != issued or issued != expected:
        failures.append(f"the chunks issued {issued} credits, expected {expected}")
    print(
        f"ledger: 1 lot_settlement, {len(chunks)} lot_settlement_credits issuing {issued}"
        f" credits to {BUYERS - 1} non-winners"
    )
    try:
        verify_draw_proof(proof)
    except Exception as error:  # a verification failure is the result to report
        failures.append(f"the draw proof does not verify: {error}")
    return failures


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
