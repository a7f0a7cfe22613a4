"""Posting: receipts and balances, every rejection (leaving no trace), idempotency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alot_ledger import (
    DuplicatePosting,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    InvalidTransaction,
    Ledger,
    LedgerWriter,
    Receipt,
    UnbalancedTransaction,
    UnknownAsset,
    export_lines,
)
from sqlalchemy.engine import Engine

ISSUE = [("platform:credits_issued", "CRD", -1000), ("user:7:credits", "CRD", 1000)]


def _post(engine: Engine, *args: Any, **kwargs: Any) -> Receipt:
    with engine.begin() as connection:
        return Ledger(connection).post(*args, **kwargs)


def test_post_returns_a_chained_receipt_and_moves_balances(engine: Engine) -> None:
    first = _post(engine, "credit_grant", ISSUE, refs={"user": "7"})
    second = _post(
        engine,
        "entry_purchase",
        [("user:7:credits", "CRD", -300), ("lot:l1:escrow", "CRD", 300)],
        refs={"lot": "l1", "user": "7"},
        metadata={"tickets": 3},
    )
    memo = _post(engine, "draw_commitment", [], refs={"lot": "l1"}, metadata={"commitment": "ab"})
    assert (first.seq, second.seq, memo.seq) == (1, 2, 3)
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert memo.prev_hash == second.hash
    with engine.connect() as connection:
        ledger = Ledger(connection)
        user = ledger.balance("user:7:credits", "CRD")
        assert (user.balance, user.version) == (700, 2)
        assert ledger.balance("lot:l1:escrow", "CRD").balance == 300
        assert ledger.balance("platform:credits_issued", "CRD").balance == -1000
        assert ledger.balance("user:7:credits", "CRD", as_of_seq=1).balance == 1000
        assert ledger.balance("user:7:credits", "CRD", as_of_seq=0).balance == 0
        assert ledger.balance("user:8:credits", "CRD").balance == 0  # never opened
        line = ledger.transaction(2)
    assert line["postings"] == [
        {
            "account": "user:7:credits",
            "asset": "CRD",
            "amount": -300,
            "balance_after": 700,
            "account_version": 2,
        },
        {
            "account": "lot:l1:escrow",
            "asset": "CRD",
            "amount": 300,
            "balance_after": 300,
            "account_version": 1,
        },
    ]
    assert line["refs"] == {"lot": "l1", "user": "7"}
    assert line["metadata"] == {"tickets": 3}


def test_accounts_open_on_first_posting_with_the_policy_flag(engine: Engine) -> None:
    _post(engine, "credit_grant", ISSUE)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT name, must_not_go_negative FROM ledger_accounts"))
        flags = {name: bool(flag) for name, flag in rows}
    assert flags == {"platform:credits_issued": False, "user:7:credits": True}


def test_open_account_can_add_the_flag(engine: Engine) -> None:
    with engine.begin() as connection:
        Ledger(connection).open_account("lot:l9:escrow", "USD", must_not_go_negative=True)
    with pytest.raises(InsufficientFunds), engine.begin() as connection:
        Ledger(connection).transfer("refund", "lot:l9:escrow", "platform:cash", "USD", 1)


def test_transfer_moves_a_positive_amount(engine: Engine) -> None:
    with engine.begin() as connection:
        receipt = Ledger(connection).transfer(
            "purchase", "platform:cash", "lot:l1:escrow", "USD", 500
        )
        line = Ledger(connection).transaction(receipt.seq)
    assert [p["amount"] for p in line["postings"]] == [-500, 500]


REJECTIONS: list[tuple[str, type[Exception], Callable[[Ledger], object]]] = [
    (
        "unbalanced",
        UnbalancedTransaction,
        lambda ledger: ledger.post(
            "x", [("platform:cash", "USD", 500), ("lot:a:escrow", "USD", -499)]
        ),
    ),
    (
        "unbalanced per asset",
        UnbalancedTransaction,
        lambda ledger: ledger.post(
            "x", [("platform:cash", "USD", 500), ("lot:a:escrow", "CRD", -500)]
        ),
    ),
    (
        "unknown asset",
        UnknownAsset,
        lambda ledger: ledger.post("x", [("platform:cash", "EUR", 5), ("lot:a:escrow", "EUR", -5)]),
    ),
    (
        "zero amount",
        InvalidAmount,
        lambda ledger: ledger.post("x", [("platform:cash", "USD", 0), ("lot:a:escrow", "USD", 0)]),
    ),
    (
        "float amount",
        InvalidAmount,
        lambda ledger: ledger.post(
            "x",
            [("platform:cash", "USD", 5.0), ("lot:a:escrow", "USD", -5)],  # type: ignore[list-item]
        ),
    ),
    (
        "bool amount",
        InvalidAmount,
        lambda ledger: ledger.post(
            "x", [("platform:cash", "USD", True), ("lot:a:escrow", "USD", -1)]
        ),
    ),
    (
        "string amount",
        InvalidAmount,
        lambda ledger: ledger.post(
            "x",
            [("platform:cash", "USD", "5"), ("lot:a:escrow", "USD", -5)],  # type: ignore[list-item]
        ),
    ),
    (
        "amount beyond 2**53",
        InvalidAmount,
        lambda ledger: ledger.post(
            "x", [("platform:cash", "USD", 2**53), ("lot:a:escrow", "USD", -(2**53))]
        ),
    ),
    (
        "negative transfer",
        InvalidAmount,
        lambda ledger: ledger.transfer("x", "platform:cash", "lot:a:escrow", "USD", -5),
    ),
    (
        "duplicate account",
        DuplicatePosting,
        lambda ledger: ledger.post(
            "x", [("platform:cash", "USD", 5), ("platform:cash", "USD", -5)]
        ),
    ),
    (
        "insufficient funds",
        InsufficientFunds,
        lambda ledger: ledger.transfer("x", "user:7:credits", "lot:a:escrow", "CRD", 1001),
    ),
    (
        "insufficient funds of a new account",
        InsufficientFunds,
        lambda ledger: ledger.transfer("x", "user:8:credits", "lot:a:escrow", "CRD", 1),
    ),
    (
        "user credits in USD",
        InvalidTransaction,
        lambda ledger: ledger.transfer("x", "platform:cash", "user:7:credits", "USD", 1),
    ),
    (
        "bad account name",
        InvalidTransaction,
        lambda ledger: ledger.transfer("x", "Platform Cash", "lot:a:escrow", "USD", 1),
    ),
    ("bad kind", InvalidTransaction, lambda ledger: ledger.post("Credit Grant", [])),
    (
        "float in metadata",
        InvalidTransaction,
        lambda ledger: ledger.memo("x", metadata={"odds": 0.5}),
    ),
    ("non-string ref", InvalidTransaction, lambda ledger: ledger.memo("x", refs={"user": 7})),
    ("kind of 65 characters", InvalidTransaction, lambda ledger: ledger.memo("k" * 65)),
    (
        "ref name not snake_case",
        InvalidTransaction,
        lambda ledger: ledger.memo("x", refs={"U": "1"}),
    ),
    ("empty ref value", InvalidTransaction, lambda ledger: ledger.memo("x", refs={"user": ""})),
    (
        "ref of 201 characters",
        InvalidTransaction,
        lambda ledger: ledger.memo("x", refs={"u": "1" * 201}),
    ),
    ("unprintable ref", InvalidTransaction, lambda ledger: ledger.memo("x", refs={"u": "a\nb"})),
    (
        "account name of 201 characters",
        InvalidTransaction,
        lambda ledger: ledger.transfer("x", "lot:" + "a" * 197, "lot:b:escrow", "USD", 1),
    ),
    (
        "metadata over 64 KiB",
        InvalidTransaction,
        lambda ledger: ledger.memo("x", metadata={"blob": "a" * 65536}),
    ),
    (
        "posting with extra member",
        InvalidTransaction,
        lambda ledger: ledger.post(
            "x",
            [
                {"account": "platform:cash", "asset": "USD", "amount": 5, "memo": "hi"},
                {"account": "lot:a:escrow", "asset": "USD", "amount": -5},
            ],
        ),
    ),
    (
        "idempotency key reused with another body",
        IdempotencyConflict,
        lambda ledger: ledger.post("credit_grant", ISSUE[::-1], idempotency_key="grant-1"),
    ),
]


@pytest.mark.parametrize(
    ("error", "attempt"), [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS]
)
def test_rejections_raise_and_leave_no_trace(
    engine: Engine,
    row_counts: Callable[[], dict[str, int]],
    error: type[Exception],
    attempt: Callable[[Ledger], object],
) -> None:
    _post(engine, "credit_grant", ISSUE, idempotency_key="grant-1")
    before = row_counts()
    # Inside the caller's transaction, which then commits whatever else it did: the
    # ledger must not have written anything of its own.
    with engine.begin() as connection, pytest.raises(error):
        attempt(Ledger(connection))
    assert row_counts() == before
    # And through the committing writer.
    with LedgerWriter(engine) as writer, pytest.raises(error):
        attempt(writer)  # type: ignore[arg-type]
    assert row_counts() == before


def test_same_key_same_body_returns_the_first_receipt(
    engine: Engine, row_counts: Callable[[], dict[str, int]]
) -> None:
    first = _post(engine, "credit_grant", ISSUE, refs={"user": "7"}, idempotency_key="k")
    before = row_counts()
    again = _post(engine, "credit_grant", ISSUE, refs={"user": "7"}, idempotency_key="k")
    with LedgerWriter(engine) as writer:
        through_writer = writer.post("credit_grant", ISSUE, refs={"user": "7"}, idempotency_key="k")
    assert again == first == through_writer
    assert row_counts() == before
    with pytest.raises(IdempotencyConflict):
        _post(engine, "credit_grant", ISSUE, refs={"user": "8"}, idempotency_key="k")


def test_concurrent_posts_with_one_key_append_once(
    engine: Engine, row_counts: Callable[[], dict[str, int]]
) -> None:
    """Many threads race the same key, half in their own DB transactions, half through
    one writer's batch: exactly one transaction exists and everyone has its receipt."""
    barrier = threading.Barrier(8)
    receipts: list[Receipt] = []
    errors: list[BaseException] = []

    def direct() -> None:
        barrier.wait()
        receipts.append(_post(engine, "credit_grant", ISSUE, idempotency_key="race"))

    def batched(writer: LedgerWriter) -> None:
        barrier.wait()
        receipts.append(writer.post("credit_grant", ISSUE, idempotency_key="race"))

    def guarded(target: Callable[..., None], *args: object) -> Callable[[], None]:
        def run() -> None:
            try:
                target(*args)
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)

        return run

    with LedgerWriter(engine) as writer:
        threads = [threading.Thread(target=guarded(direct)) for _ in range(4)]
        threads += [threading.Thread(target=guarded(batched, writer)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(receipts) == 8
    assert len(set(receipts)) == 1
    assert row_counts()["ledger_transactions"] == 1


def test_writer_gives_each_caller_its_own_result(engine: Engine) -> None:
    _post(engine, "credit_grant", ISSUE)
    outcomes: dict[int, object] = {}

    def client(number: int, writer: LedgerWriter) -> None:
        try:
            # Odd clients overdraw: their own error, nobody else's.
            amount = 10_000 if number % 2 else 10
            outcomes[number] = writer.transfer(
                "entry_purchase", "user:7:credits", f"lot:l{number}:escrow", "CRD", amount
            )
        except InsufficientFunds as error:
            outcomes[number] = error

    with LedgerWriter(engine) as writer:
        threads = [threading.Thread(target=client, args=(n, writer)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    receipts = [o for o in outcomes.values() if isinstance(o, Receipt)]
    assert len(outcomes) == 20
    assert all(isinstance(outcomes[n], InsufficientFunds) for n in range(1, 20, 2))
    assert sorted(r.seq for r in receipts) == list(range(2, 12))
    with engine.connect() as connection:
        assert Ledger(connection).balance("user:7:credits", "CRD").balance == 1000 - 100


def test_closed_writer_refuses(engine: Engine) -> None:
    from alot_ledger.errors import LedgerUnavailable

    writer = LedgerWriter(engine)
    writer.close()
    with pytest.raises(LedgerUnavailable):
        writer.post("credit_grant", ISSUE)


def test_writer_notices_appends_made_elsewhere(engine: Engine) -> None:
    """The writer's cached head is only a guess: appends by another connection (another
    process in production) in between must be seen, never overwritten."""
    with LedgerWriter(engine) as writer:
        writer.post("credit_grant", ISSUE)
        writer.transfer("entry_purchase", "user:7:credits", "lot:l1:escrow", "CRD", 100)
        _post(
            engine,
            "entry_purchase",
            [("user:7:credits", "CRD", -800), ("lot:l2:escrow", "CRD", 800)],
        )
        with pytest.raises(InsufficientFunds):  # 100 left, not the cached 900
            writer.transfer("entry_purchase", "user:7:credits", "lot:l1:escrow", "CRD", 150)
        receipt = writer.transfer("entry_purchase", "user:7:credits", "lot:l1:escrow", "CRD", 50)
        again = writer.transfer(
            "entry_purchase", "user:7:credits", "lot:l3:escrow", "CRD", 1, idempotency_key="x"
        )
        assert (
            writer.transfer(
                "entry_purchase", "user:7:credits", "lot:l3:escrow", "CRD", 1, idempotency_key="x"
            )
            == again
        )
    assert receipt.seq == 4
    with engine.connect() as connection:
        ledger = Ledger(connection)
        assert ledger.transaction(4)["prev_hash"] == ledger.transaction(3)["hash"]
        balance = ledger.balance("user:7:credits", "CRD")
    assert (balance.balance, balance.version) == (1000 - 100 - 800 - 50 - 1, 5)


def test_a_balance_never_leaves_the_safe_integer_range(
    engine: Engine, row_counts: Callable[[], dict[str, int]]
) -> None:
    most = 2**53 - 1
    _post(engine, "x", [("platform:cash", "USD", most), ("lot:a:escrow", "USD", -most)])
    before = row_counts()
    with engine.begin() as connection, pytest.raises(InvalidTransaction, match="2\\*\\*53"):
        Ledger(connection).transfer("x", "lot:b:escrow", "platform:cash", "USD", 1)
    assert row_counts() == before


def test_an_append_in_steps_reads_what_its_start_did_not(engine: Engine) -> None:
    """A caller of the three-step append guesses the accounts and keys its batch will
    touch before building it; a wrong guess costs a read, never a wrong balance or a
    second transaction under one key."""
    from alot_ledger.appender import finish_append, prepare_append, start_append
    from alot_ledger.rules import build_request
    from alot_verify.ledger import verify_ledger

    _post(engine, "credit_grant", ISSUE, idempotency_key="grant-1")
    spend = build_request(
        "entry_purchase",
        [("user:7:credits", "CRD", -300), ("lot:l1:escrow", "CRD", 300)],
        refs={"lot": "l1"},
    )
    grant_again = build_request("credit_grant", ISSUE, idempotency_key="grant-1")
    with engine.begin() as connection:
        # The start read neither the user's account (open, 1000) nor the key (used).
        start = start_append(connection, {("lot:l1:escrow", "CRD")}, ())
        prepared = prepare_append(connection, start, [spend, grant_again])
        finish_append(connection, prepared)
    spent, replayed = prepared.results
    assert isinstance(spent, Receipt)
    assert isinstance(replayed, Receipt)
    assert (spent.seq, replayed.seq) == (2, 1)
    with engine.connect() as connection:
        ledger = Ledger(connection)
        user = ledger.balance("user:7:credits", "CRD")
        assert (user.balance, user.version) == (700, 2)
        assert ledger.balance("lot:l1:escrow", "CRD").balance == 300
    verify_ledger(export_lines(engine))
