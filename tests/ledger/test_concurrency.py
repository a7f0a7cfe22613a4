"""Bank-style concurrency on PostgreSQL: several processes, each with a group-committing
writer and direct in-transaction posters, hammer a handful of hot accounts.

Afterwards: the export verifies (one gap-free chain, hashes, balances, Merkle root
against a signed checkpoint), every asset sums to zero, no user credit balance was ever
negative, and every acknowledged post is in the ledger exactly once.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alot_ledger import (
    Checkpointer,
    IdempotencyConflict,
    InsufficientFunds,
    Ledger,
    LedgerWriter,
    create_engine,
    export_lines,
)
from alot_verify.ledger import verify_ledger
from sqlalchemy.engine import Engine

USERS = [f"user:u{n}:credits" for n in range(6)]
PROCESSES = 3
THREADS = 4
SECONDS = 1.5


def _client(url: str, worker: int, out: Path) -> None:
    """One process: THREADS clients, half through a shared writer, half posting directly."""
    engine = create_engine(url, pool_size=THREADS + 1)
    acks: list[dict[str, object]] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def run(thread: int, writer: LedgerWriter) -> None:
        try:
            work(thread, writer)
        except Exception as error:  # any failure but a refusal is a defect: report it
            with lock:
                errors.append(repr(error))

    def work(thread: int, writer: LedgerWriter) -> None:
        rng = random.Random(worker * 100 + thread)
        count = 0
        while time.monotonic() < deadline:
            count += 1
            key = f"w{worker}-t{thread}-{count}"
            source, destination = rng.sample(USERS, 2)
            amount = rng.randint(1, 400)
            try:
                if thread % 2:
                    receipt = writer.transfer(
                        "transfer", source, destination, "CRD", amount, idempotency_key=key
                    )
                else:
                    with engine.begin() as connection:
                        receipt = Ledger(connection).transfer(
                            "transfer", source, destination, "CRD", amount, idempotency_key=key
                        )
            except InsufficientFunds:
                continue
            if rng.random() < 0.1:  # a client retrying after a lost reply
                again = writer.transfer(
                    "transfer", source, destination, "CRD", amount, idempotency_key=key
                )
                assert again == receipt
                try:
                    writer.transfer(
                        "transfer", source, destination, "CRD", amount + 1, idempotency_key=key
                    )
                    raise AssertionError("a changed body under a used key was accepted")
                except IdempotencyConflict:
                    pass
            with lock:
                acks.append({"key": key, "seq": receipt.seq, "id": receipt.id})

    with LedgerWriter(engine) as writer:
        threads = [threading.Thread(target=run, args=(t, writer)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    engine.dispose()
    out.write_text(json.dumps({"acks": acks, "errors": errors}))


def test_many_processes_make_one_verifiable_chain(
    engine: Engine, checkpointer: Checkpointer, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("multi-process appenders are a PostgreSQL deployment")
    with engine.begin() as connection:
        for user in USERS:
            Ledger(connection).transfer(
                "credit_grant", "platform:credits_issued", user, "CRD", 1000
            )
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("fork")
    outputs = [tmp_path / f"acks-{n}.json" for n in range(PROCESSES)]
    processes = [
        context.Process(target=_client, args=(url, n, outputs[n])) for n in range(PROCESSES)
    ]
    engine.dispose()  # children must not share the parent's pooled connections
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    results = [json.loads(path.read_text()) for path in outputs]
    assert [error for result in results for error in result["errors"]] == []
    acks = [ack for result in results for ack in result["acks"]]
    assert len(acks) > 50  # the run did real work

    checkpoint = checkpointer.checkpoint(engine)
    summary = verify_ledger(
        export_lines(engine),
        signed_checkpoint=checkpoint.note,
        verifier_key=checkpointer.verifier_key,
    )
    assert summary.last_seq == checkpoint.size == len(USERS) + len(acks)

    balances: dict[str, int] = {}
    for balance in summary.balances:
        balances[balance.asset] = balances.get(balance.asset, 0) + balance.balance
    assert balances == {"CRD": 0}

    with engine.connect() as connection:
        negative = connection.execute(
            sa.text(
                "SELECT count(*) FROM ledger_postings p JOIN ledger_accounts a"
                " ON a.id = p.account_id WHERE a.name LIKE :users"
                " AND (p.balance_after < 0 OR p.balance_before < 0)"
            ),
            {"users": "user:%:credits"},
        ).scalar_one()
        assert negative == 0
        stored = {
            row.idempotency_key: (row.seq, row.id)
            for row in connection.execute(
                sa.text(
                    "SELECT idempotency_key, seq, id FROM ledger_transactions"
                    " WHERE idempotency_key IS NOT NULL"
                )
            )
        }
    assert len({ack["key"] for ack in acks}) == len(acks)
    assert stored == {ack["key"]: (ack["seq"], ack["id"]) for ack in acks}
