"""Benchmark: hash-chained ledger appends against a plain double-entry baseline.

Prints (never asserts):
- appends/s and latency p50/p99 of 2-posting transactions with 1, 8 and 32 concurrent
  clients on 10 hot accounts, through ``LedgerWriter`` (group commit), on PostgreSQL
  and SQLite;
- on the same PostgreSQL in the same run, a plain double-entry insert driven the same
  way (one transfer row + two entry rows + two balance updates under ``FOR UPDATE``, one
  commit per transfer, no hash chain) and the ratio ours/baseline;
- export rate (JSON Lines) over everything appended;
- inclusion/consistency proof generation time at 1,000,000 transactions. That tree is
  built by bulk-loading leaf hashes and the Merkle node table (COPY) into a second
  database rather than by 1M posts; proofs then read it exactly as in production.

PostgreSQL: ALOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
the benchmark creates and drops its own databases. Commits are durable (PostgreSQL
synchronous_commit as configured, reported; SQLite WAL with synchronous=FULL).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import sqlalchemy as sa
from alot_ledger import Ledger, LedgerWriter, create_engine, export_lines, migrate
from alot_verify import merkle
from sqlalchemy.engine import Engine

ADMIN_URL = os.environ.get(
    "ALOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CLIENTS = (1, 8, 32)
SECONDS = float(os.environ.get("ALOT_BENCH_SECONDS", "4"))
HOT = [f"lot:hot{n}:escrow" for n in range(10)]
PROOF_SIZE = 1_000_000

Post = Callable[[random.Random], None]


def _drive(clients: int, make_post: Callable[[], Post]) -> tuple[float, float, float, int]:
    """Run ``clients`` threads posting for SECONDS: (per second, p50 ms, p99 ms, count)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    start_line = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(number: int) -> None:
        post = make_post()
        rng = random.Random(number)
        mine = latencies[number]
        start_line.wait()
        while not stop.is_set():
            began = time.perf_counter()
            post(rng)
            mine.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(x for mine in latencies for x in mine)
    count = len(every)
    p50 = every[count // 2] * 1000
    p99 = every[min(count - 1, int(count * 0.99))] * 1000
    return count / elapsed, p50, p99, count


def _pair(rng: random.Random) -> tuple[str, str, int]:
    source, destination = rng.sample(HOT, 2)
    return source, destination, rng.randint(1, 10_000)


def _ledger_runs(engine: Engine, label: str) -> dict[int, float]:
    rates = {}
    with LedgerWriter(engine) as writer:

        def make_post() -> Post:
            def post(rng: random.Random) -> None:
                source, destination, amount = _pair(rng)
                writer.transfer("transfer", source, destination, "USD", amount)

            return post

        for clients in CLIENTS:
            rate, p50, p99, count = _drive(clients, make_post)
            rates[clients] = rate
            print(
                f"  {label:<34} {clients:>3} clients: {rate:8.0f} tx/s"
                f"   p50 {p50:6.2f} ms   p99 {p99:7.2f} ms   ({count} tx)"
            )
    return rates


_BASELINE_SCHEMA = [
    "CREATE TABLE bench_balances (account text PRIMARY KEY, balance bigint NOT NULL)",
    "CREATE TABLE bench_transfers (id bigserial PRIMARY KEY, kind text NOT NULL,"
    " created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE bench_entries (id bigserial PRIMARY KEY,"
    " transfer_id bigint NOT NULL REFERENCES bench_transfers(id),"
    " account text NOT NULL REFERENCES bench_balances(account), amount bigint NOT NULL)",
]


def _baseline_runs(engine: Engine) -> dict[int, float]:
    with engine.begin() as connection:
        for statement in _BASELINE_SCHEMA:
            connection.execute(sa.text(statement))
        connection.execute(
            sa.text("INSERT INTO bench_balances VALUES (:a, 0)"), [{"a": a} for a in HOT]
        )
    lock = sa.text(
        "SELECT account, balance FROM bench_balances WHERE account IN (:a, :b)"
        " ORDER BY account FOR UPDATE"
    )
    transfer = sa.text("INSERT INTO bench_transfers (kind) VALUES ('transfer') RETURNING id")
    entry = sa.text("INSERT INTO bench_entries (transfer_id, account, amount) VALUES (:t, :a, :m)")
    move = sa.text("UPDATE bench_balances SET balance = balance + :m WHERE account = :a")

    def make_post() -> Post:
        def post(rng: random.Random) -> None:
            source, destination, amount = _pair(rng)
            with engine.begin() as connection:
                connection.execute(lock, {"a": source, "b": destination}).all()
                transfer_id = connection.execute(transfer).scalar_one()
                connection.execute(
                    entry,
                    [
                        {"t": transfer_id, "a": source, "m": -amount},
                        {"t": transfer_id, "a": destination, "m": amount},
                    ],
                )
                connection.execute(
                    move, [{"a": source, "m": -amount}, {"a": destination, "m": amount}]
                )

        return post

    rates = {}
    for clients in CLIENTS:
        rate, p50, p99, count = _drive(clients, make_post)
        rates[clients] = rate
        print(
            f"  {'baseline (plain double entry)':<34} {clients:>3} clients: {rate:8.0f} tx/s"
            f"   p50 {p50:6.2f} ms   p99 {p99:7.2f} ms   ({count} tx)"
        )
    return rates


def _export_rate(engine: Engine, label: str) -> None:
    began = time.perf_counter()
    lines = 0
    size = 0
    for line in export_lines(engine):
        lines += 1
        size += len(line)
    elapsed = time.perf_counter() - began
    print(
        f"  export {label}: {lines} tx in {elapsed:.2f} s = {lines / elapsed:,.0f} tx/s"
        f" ({size / elapsed / 1e6:.1f} MB/s)"
    )


def _proofs_at_a_million(url: str) -> None:
    engine = create_engine(url)
    migrate(engine)
    began = time.perf_counter()
    compact = merkle.CompactRange()
    raw = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    with raw, raw.cursor() as cursor:
        nodes: list[tuple[int, int, bytes]] = []
        leaves: list[str] = []
        for index in range(PROOF_SIZE):
            leaf = merkle.leaf_hash(index.to_bytes(8, "big"))
            leaves.append(leaf.hex())
            nodes.extend(n for n in compact.append(leaf) if n[0] > 0)
        with cursor.copy(
            "COPY ledger_transactions (seq, id, kind, created_at, refs_json, metadata_json,"
            " request_hash, prev_hash, hash) FROM STDIN"
        ) as copy:
            previous = "0" * 64
            for index, leaf_hex in enumerate(leaves):
                copy.write_row(
                    (
                        index + 1,
                        str(uuid.UUID(int=index)),
                        "bench",
                        "2000-01-01T00:00:00.000000Z",
                        "{}",
                        "{}",
                        None,  # no idempotency key, so no request hash
                        previous,
                        leaf_hex,
                    )
                )
                previous = leaf_hex
        with cursor.copy("COPY ledger_merkle_nodes (level, idx, hash) FROM STDIN") as copy:
            for node in nodes:
                copy.write_row(node)
        cursor.execute(
            "UPDATE ledger_head SET size = %s, last_hash = %s, peaks = %s",
            (compact.size, leaves[-1], b"".join(compact.peaks)),
        )
    print(
        f"  built a {PROOF_SIZE:,}-leaf tree by bulk load (COPY of leaf hashes and"
        f" {len(nodes):,} Merkle nodes) in {time.perf_counter() - began:.1f} s, not by posts"
    )
    del leaves, nodes
    rng = random.Random(7)
    root = compact.root()
    with engine.connect() as connection:
        ledger = Ledger(connection)
        timings = []
        for _ in range(1000):
            seq = rng.randint(1, PROOF_SIZE)
            began = time.perf_counter()
            proof = ledger.inclusion_proof(seq, PROOF_SIZE)
            timings.append(time.perf_counter() - began)
            if len(timings) <= 20:
                merkle.verify_inclusion(proof.leaf_hash, seq - 1, PROOF_SIZE, proof.path, root)
        consistency = []
        for _ in range(300):
            old = rng.randint(1, PROOF_SIZE - 1)
            began = time.perf_counter()
            result = ledger.consistency_proof(old, PROOF_SIZE)
            consistency.append(time.perf_counter() - began)
        merkle.verify_consistency(old, PROOF_SIZE, result.path, result.old_root, root)
    _export_rate(engine, f"of the {PROOF_SIZE:,} bulk-loaded transactions (no postings)")
    engine.dispose()
    for name, values in (("inclusion", timings), ("consistency (+ both roots)", consistency)):
        values.sort()
        print(
            f"  {name} proof at {PROOF_SIZE:,}: p50 {values[len(values) // 2] * 1000:.2f} ms,"
            f" p99 {values[int(len(values) * 0.99)] * 1000:.2f} ms,"
            f" mean {statistics.fmean(values) * 1000:.2f} ms ({len(values)} proofs, verified)"
        )


def _create_database(name: str) -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    names = [f"alot_bench_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    try:
        url = _create_database(names[0])
        engine = create_engine(url, pool_size=40, max_overflow=0)
        migrate(engine)
        with engine.connect() as connection:
            sync = connection.execute(sa.text("SHOW synchronous_commit")).scalar_one()
        print(f"PostgreSQL (synchronous_commit={sync}), {SECONDS:.0f} s per run, 10 hot accounts")
        ours = _ledger_runs(engine, "ledger (hash chain, group commit)")
        baseline = _baseline_runs(engine)
        for clients in CLIENTS:
            ratio = ours[clients] / baseline[clients]
            print(f"  ratio ours/baseline at {clients:>2} clients: {ratio:.2f}")
        _export_rate(engine, "PostgreSQL")
        engine.dispose()

        with tempfile.TemporaryDirectory() as directory:
            print("SQLite (WAL, synchronous=FULL)")
            lite = create_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
            migrate(lite)
            _ledger_runs(lite, "ledger (hash chain, group commit)")
            _export_rate(lite, "SQLite")
            lite.dispose()

        print("Proofs")
        _proofs_at_a_million(_create_database(names[1]))
    finally:
        for name in names:
            _drop_database(name)


if __name__ == "__main__":
    main()
