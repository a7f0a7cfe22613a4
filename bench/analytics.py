"""Benchmark: GET /api/admin/analytics's figures over a ledger of 1,000,000 transactions.

Builds a ledger by bulk insert straight into the ledger's tables (accounts, transactions,
postings; hashes are placeholders: the figures read kinds, times, accounts and amounts,
never hashes) with the platform's own transaction kinds and sign conventions, spread
over 365 days, then times ``AnalyticsService.compute`` (the endpoint's whole work: the
postings' sums, the settlements, the lots) over the last 30 days and over the whole
year, cold (a new engine, first query) and warm (repeated): first with no rollup (every
posting read live), then with the rollup the tick keeps (built here in the tick's
batches, and timed) lagging ``--tail`` transactions behind the head. Prints, never
asserts.

SQLite by default (a temporary file); PostgreSQL when ALOT_TEST_POSTGRES_URL is set
(the bench creates and drops its own database there).

    uv run python bench/analytics.py                 # 1,000,000 transactions
    uv run python bench/analytics.py --n 100000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import alot_ledger
import psycopg
from alot_platform.analytics.repository import AnalyticsRepository
from alot_platform.analytics.service import ROLLUP_BATCH, AnalyticsService
from alot_platform.models import Base
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 365

Row = tuple[Any, ...]


class _Accounts:
    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.balance: dict[int, int] = {}
        self.version: dict[int, int] = {}

    def post(self, seq: int, position: int, name: str, asset: str, amount: int) -> Row:
        account = self.ids.setdefault((name, asset), len(self.ids) + 1)
        before = self.balance.get(account, 0)
        version = self.version.get(account, 0) + 1
        self.balance[account], self.version[account] = before + amount, version
        return (seq, position, account, amount, before, before + amount, version)

    def rows(self) -> Iterator[Row]:
        for (name, asset), account in self.ids.items():
            yield (account, name, asset, False, self.balance[account], self.version[account])


def generate(n: int, seed: int = 0) -> tuple[list[Row], list[Row], _Accounts]:
    """``n`` transactions of the platform's kinds, their postings, the accounts."""
    rng = random.Random(seed)
    users = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(20_000)]
    lots = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(5_000)]
    hosts = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(100)]
    book = _Accounts()
    transactions: list[Row] = []
    postings: list[Row] = []
    step = DAYS * 86_400 / n
    for seq in range(1, n + 1):
        moment = START + timedelta(seconds=seq * step)
        user, lot = rng.choice(users), rng.choice(lots)
        host = hosts[hash(lot) % len(hosts)]
        refs = f'{{"lot_id":"{lot}"}}'
        roll = rng.random()
        moves: list[tuple[str, str, int]]
        if roll < 0.60:
            kind, cents = "entry_purchase", rng.choice((100, 200, 450, 500))
            moves = [("platform:cash", "USD", -cents), (f"lot:{lot}:escrow", "USD", cents)]
        elif roll < 0.70:
            kind, n_credits = "entry_purchase", rng.choice((100, 300))
            moves = [
                (f"user:{user}:credits", "CRD", -n_credits),
                (f"lot:{lot}:escrow", "CRD", n_credits),
            ]
        elif roll < 0.78:
            kind, fee = "payment_processing_fee", rng.randrange(30, 60)
            moves = [("platform:cash", "USD", fee), ("platform:processing_fees", "USD", -fee)]
        elif roll < 0.82:
            kind, amount = "credit_adjustment", rng.randrange(100, 1000)
            moves = [
                ("platform:credits_issued", "CRD", -amount),
                (f"user:{user}:credits", "CRD", amount),
            ]
        elif roll < 0.85:
            kind, paid = "refund_cash", rng.choice((100, 450))
            back = paid * 98 // 100
            moves = [
                (f"lot:{lot}:escrow", "USD", -paid),
                ("platform:cash", "USD", back),
                ("platform:fees", "USD", paid - back),
            ]
        elif roll < 0.87:
            kind, paid = "refund_credit_conversion", rng.choice((100, 450))
            moves = [
                (f"lot:{lot}:escrow", "USD", -paid),
                ("platform:revenue", "USD", paid),
                ("platform:credits_issued", "CRD", -paid * 3 // 2),
                (f"user:{user}:credits", "CRD", paid * 3 // 2),
            ]
        elif roll < 0.89:
            kind, n_credits = "refund_credits", rng.choice((100, 300))
            moves = [
                (f"lot:{lot}:escrow", "CRD", -n_credits),
                (f"user:{user}:credits", "CRD", n_credits),
            ]
        elif roll < 0.91:
            kind = "lot_settlement"
            cash, redeemed = rng.randrange(1_000, 100_000), rng.randrange(0, 2_000)
            moves = [(f"lot:{lot}:escrow", "USD", -cash)]
            if rng.random() < 0.5:  # a host lot at 15%
                share = (cash + redeemed) - (cash + redeemed) * 1500 // 10_000
                refs = f'{{"host_id":"{host}","lot_id":"{lot}"}}'
                moves += [
                    (f"host:{host}:held", "USD", share),
                    ("platform:revenue", "USD", cash - share),
                ]
            else:
                moves += [("platform:revenue", "USD", cash)]
            if redeemed:
                moves += [
                    (f"lot:{lot}:escrow", "CRD", -redeemed),
                    ("platform:credits_redeemed", "CRD", redeemed),
                ]
        elif roll < 0.93:
            kind, issued = "lot_settlement_credits", rng.randrange(100, 2_000)
            moves = [
                ("platform:credits_issued", "CRD", -issued),
                (f"user:{user}:credits", "CRD", issued),
            ]
        elif roll < 0.94:
            kind, amount = "host_payout", rng.randrange(1_000, 50_000)
            refs = f'{{"host_id":"{host}"}}'
            moves = [(f"host:{host}:payable", "USD", -amount), ("platform:cash", "USD", amount)]
        else:
            kind, moves = "draw_commitment", []
        transactions.append(
            (
                seq,
                str(uuid.UUID(int=seq)),
                kind,
                moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                refs,
                "{}",
                None,
                None,
                "0" * 64,
                "0" * 64,
            )
        )
        moves = [m for m in moves if m[2] != 0]  # the ledger refuses zero postings
        for position, (account, asset, amount) in enumerate(moves):
            postings.append(book.post(seq, position, account, asset, amount))
    return transactions, postings, book


_TX = (
    "seq, id, kind, created_at, refs_json, metadata_json, idempotency_key, request_hash,"
    " prev_hash, hash"
)
_POSTING = "seq, position, account_id, amount, balance_before, balance_after, account_version"
_ACCOUNT = "id, name, asset, must_not_go_negative, balance, version"


def load_sqlite(path: Path, transactions: list[Row], postings: list[Row], book: _Accounts) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous = OFF")
    with connection:
        connection.executemany(
            f"INSERT INTO ledger_accounts ({_ACCOUNT}) VALUES (?,?,?,?,?,?)", book.rows()
        )
        connection.executemany(
            f"INSERT INTO ledger_transactions ({_TX}) VALUES (?,?,?,?,?,?,?,?,?,?)", transactions
        )
        connection.executemany(
            f"INSERT INTO ledger_postings ({_POSTING}) VALUES (?,?,?,?,?,?,?)", postings
        )
        connection.execute("UPDATE ledger_head SET size = ?", (len(transactions),))
    connection.execute("ANALYZE")
    connection.close()


def load_postgresql(
    url: str, transactions: list[Row], postings: list[Row], book: _Accounts
) -> None:
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        for table, columns, rows in (
            ("ledger_accounts", _ACCOUNT, book.rows()),
            ("ledger_transactions", _TX, iter(transactions)),
            ("ledger_postings", _POSTING, iter(postings)),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cursor.execute("UPDATE ledger_head SET size = %s", (len(transactions),))
        connection.commit()
        connection.autocommit = True
        cursor.execute("ANALYZE")


def build_rollup(url: str, through: int) -> None:
    """What the tick does, in its batches: the rollup summed through seq ``through``."""
    engine = create_engine(url)
    began = time.perf_counter()
    done = 0
    while done < through:
        with Session(engine) as session:
            added = AnalyticsRepository(session).roll_up(min(ROLLUP_BATCH, through - done), START)
            session.commit()
        if not added:
            break
        done += added
    engine.dispose()
    print(
        f"  rollup through seq {done:,} in {time.perf_counter() - began:.1f} s"
        " (the tick's catch-up)"
    )


def time_queries(url: str, runs: int) -> None:
    last = (START + timedelta(days=DAYS)).date()
    ranges = {
        "last 30 days": (last - timedelta(days=30), last),
        "whole year (366 days)": (START.date(), START.date() + timedelta(days=366)),
    }
    for label, (first, after) in ranges.items():
        timings = []
        engine = create_engine(url)  # run 0: a new engine, cold
        for _run in range(runs + 1):
            began = time.perf_counter()
            with Session(engine) as session:
                found = AnalyticsService(session).compute(first, after)
            timings.append(time.perf_counter() - began)
        engine.dispose()
        warm = timings[1:]
        print(
            f"  {label}: cold {timings[0] * 1000:.0f} ms; warm p50"
            f" {statistics.median(warm) * 1000:.0f} ms, min {min(warm) * 1000:.0f} ms,"
            f" max {max(warm) * 1000:.0f} ms ({runs} runs); GMV {found.money.gmv},"
            f" {found.revenue_per_lot.settled_lots:,} lots settled,"
            f" {found.credits.issued_credits:,} credits issued"
        )


def _summary(first: date, transactions: list[Row], postings: list[Row], book: _Accounts) -> str:
    return (
        f"{len(transactions):,} transactions, {len(postings):,} postings,"
        f" {len(book.ids):,} accounts from {first} over {DAYS} days"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tail", type=int, default=2_000, help="transactions past the rollup")
    options = parser.parse_args()
    began = time.perf_counter()
    transactions, postings, book = generate(options.n)
    print(
        f"generated {_summary(START.date(), transactions, postings, book)}"
        f" in {time.perf_counter() - began:.1f} s"
    )
    postgres = os.environ.get("ALOT_TEST_POSTGRES_URL")
    if postgres:
        name = f"alot_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = postgres.rsplit("/", 1)[0] + "/" + name
        try:
            engine_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
            _prepare(engine_url)
            began = time.perf_counter()
            load_postgresql(url, transactions, postings, book)
            print(f"PostgreSQL: bulk loaded (COPY) in {time.perf_counter() - began:.1f} s")
            _time_both(engine_url, options)
        finally:
            with psycopg.connect(postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite:///{path}"
        _prepare(url)
        began = time.perf_counter()
        load_sqlite(path, transactions, postings, book)
        print(f"SQLite: bulk loaded in {time.perf_counter() - began:.1f} s")
        _time_both(url, options)


def _time_both(url: str, options: argparse.Namespace) -> None:
    print(" without the rollup (every posting in the range read live):")
    time_queries(url, options.runs)
    build_rollup(url, options.n - options.tail)
    print(f" with the rollup ({options.tail:,} transactions past its cursor, read live):")
    time_queries(url, options.runs)


def _prepare(url: str) -> None:
    """The ledger's migrations (with its indexes), then the platform's tables (lots)."""
    alot_ledger.migrate(url)
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


if __name__ == "__main__":
    main()
