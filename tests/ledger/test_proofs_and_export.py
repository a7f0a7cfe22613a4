"""Proofs, checkpoints and the export, checked with alot_verify (the auditor's code)."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alot_ledger import Checkpointer, Ledger, LedgerWriter, export_lines
from alot_ledger.checkpoints import SigningKeyError, load_signer_key
from alot_ledger.errors import InvalidRange
from alot_ledger.settings import LedgerSettings
from alot_verify import merkle
from alot_verify.checkpoint import generate_signer_key, verify_checkpoint
from alot_verify.errors import LedgerVerificationError
from alot_verify.ledger import verify_ledger
from sqlalchemy.engine import Engine


def _fill(engine: Engine, count: int) -> None:
    """``count`` transactions: grants, purchases between a few accounts, some memos."""
    rng = random.Random(count)
    with LedgerWriter(engine) as writer:
        for n in range(count):
            user = f"user:{n % 5}:credits"
            if n % 7 == 3:
                writer.memo("draw_commitment", refs={"lot": f"l{n}"}, metadata={"n": n})
            elif n % 3 == 0:
                writer.transfer("credit_grant", "platform:credits_issued", user, "CRD", 500)
            else:
                writer.transfer(
                    "purchase", "platform:cash", f"lot:l{n % 4}:escrow", "USD", rng.randint(1, 9999)
                )


def test_inclusion_and_consistency_proofs_verify(engine: Engine) -> None:
    _fill(engine, 77)
    rng = random.Random(1)
    with engine.connect() as connection:
        ledger = Ledger(connection)
        leaves = [bytes.fromhex(ledger.transaction(seq)["hash"]) for seq in range(1, 78)]
        tree = merkle.MemoryTree(leaves)
        for _ in range(60):
            size = rng.randint(1, 77)
            seq = rng.randint(1, size)
            proof = ledger.inclusion_proof(seq, size)
            assert proof.leaf_hash == leaves[seq - 1]
            root = ledger.root(size)
            assert root == tree.root(size)
            merkle.verify_inclusion(proof.leaf_hash, seq - 1, size, proof.path, root)
            old = rng.randint(0, size)
            consistency = ledger.consistency_proof(old, size)
            assert consistency.new_root == root
            assert consistency.old_root == tree.root(old)
            merkle.verify_consistency(
                old, size, consistency.path, consistency.old_root, consistency.new_root
            )
        with pytest.raises(InvalidRange):
            ledger.inclusion_proof(5, 78)
        with pytest.raises(InvalidRange):
            ledger.inclusion_proof(0, 10)


def test_a_proof_is_a_constant_number_of_queries(engine: Engine) -> None:
    """O(log n) hashes fetched by point lookups in a fixed number of statements."""
    _fill(engine, 40)
    statements: list[str] = []

    def record(_c: object, _cur: object, statement: str, *_: object) -> None:
        statements.append(statement)

    with engine.connect() as connection:
        ledger = Ledger(connection)
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            ledger.inclusion_proof(17, 40)
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
    # head size, leaf hashes, inner nodes
    assert len(statements) <= 3


def test_checkpoints_sign_the_committed_tree(engine: Engine, checkpointer: Checkpointer) -> None:
    _fill(engine, 10)
    first = checkpointer.checkpoint(engine)
    assert checkpointer.checkpoint(engine) == first  # nothing new: the same checkpoint
    _fill(engine, 5)
    second = checkpointer.checkpoint(engine)
    assert (first.size, second.size) == (10, 15)
    for stored in (first, second):
        signed = verify_checkpoint(stored.note, checkpointer.verifier_key)
        assert signed.origin == "alot.local/ledger"
        assert signed.size == stored.size
        with engine.connect() as connection:
            assert signed.root_hash == Ledger(connection).root(stored.size)
    with engine.connect() as connection:
        proof = Ledger(connection).consistency_proof(first.size, second.size)
    merkle.verify_consistency(
        10, 15, proof.path, bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash)
    )


def test_checkpoint_never_covers_uncommitted_appends(
    engine: Engine, checkpointer: Checkpointer
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a checkpoint would wait for the open append")
    _fill(engine, 3)
    with engine.connect() as connection:
        open_transaction = connection.begin()
        Ledger(connection).memo("draw_result", refs={"lot": "l1"})
        assert Ledger(connection).size() == 4
        assert checkpointer.checkpoint(engine).size == 3
        open_transaction.rollback()
    # Rolled back: the ledger never had that seq 4, and no checkpoint claimed it.
    assert checkpointer.checkpoint(engine).size == 3
    _fill(engine, 1)
    assert checkpointer.checkpoint(engine).size == 4


def test_checkpoint_if_due(engine: Engine, checkpointer: Checkpointer) -> None:
    interval = timedelta(minutes=5)
    assert checkpointer.checkpoint_if_due(engine, interval) is not None  # first: always
    assert checkpointer.checkpoint_if_due(engine, interval) is None  # nothing new
    _fill(engine, 2)
    assert checkpointer.checkpoint_if_due(engine, interval) is None  # too soon
    later = datetime.now(UTC) + interval * 2
    made = checkpointer.checkpoint_if_due(engine, interval, now=later)
    assert made is not None
    assert made.size == 2


def test_dev_signing_key_is_generated_once_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = LedgerSettings(var_dir=tmp_path / "var")
    with caplog.at_level(logging.WARNING, logger="alot_ledger.checkpoints"):
        key = load_signer_key(settings)
    assert "ALOT_LEDGER_SIGNING_KEY_FILE" in caplog.text
    assert (tmp_path / "var" / "ledger-signing.key").stat().st_mode & 0o077 == 0
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="alot_ledger.checkpoints"):
        assert load_signer_key(settings) == key
    assert caplog.text == ""


def test_signing_key_file_is_used_and_checked(tmp_path: Path) -> None:
    signer, verifier = generate_signer_key("alot.local/ledger")
    key_file = tmp_path / "ledger.key"
    key_file.write_text(signer + "\n")
    settings = LedgerSettings(ledger_signing_key_file=key_file, var_dir=tmp_path / "var")
    assert Checkpointer.from_settings(settings).verifier_key == verifier
    assert not (tmp_path / "var").exists()
    other, _ = generate_signer_key("example.com/other")
    key_file.write_text(other)
    with pytest.raises(SigningKeyError, match="origin"):
        load_signer_key(settings)
    key_file.write_text("not a key")
    with pytest.raises(SigningKeyError):
        load_signer_key(settings)


def test_export_verifies_against_a_checkpoint(engine: Engine, checkpointer: Checkpointer) -> None:
    _fill(engine, 120)
    checkpoint = checkpointer.checkpoint(engine)
    lines = list(export_lines(engine))
    assert len(lines) == 120
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    summary = verify_ledger(
        lines, signed_checkpoint=checkpoint.note, verifier_key=checkpointer.verifier_key
    )
    assert summary.last_seq == 120
    with engine.connect() as connection:
        ledger = Ledger(connection)
        assert ledger.transaction(1) == json.loads(lines[0])
        assert ledger.transaction(60) == json.loads(lines[59])
        for balance in summary.balances:
            assert ledger.balance(balance.account, balance.asset).balance == balance.balance


def test_export_of_a_range(engine: Engine) -> None:
    _fill(engine, 30)
    lines = list(export_lines(engine, from_seq=11, to_seq=20))
    assert len(lines) == 10
    verify_ledger(lines, start_seq=11)
    assert list(export_lines(engine, from_seq=31)) == []
    assert len(list(export_lines(engine, from_seq=25, to_seq=1000))) == 6
    with pytest.raises(InvalidRange):
        list(export_lines(engine, from_seq=0))


def test_export_streams_in_chunks(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from alot_ledger import export

    monkeypatch.setattr(export, "CHUNK", 7)
    _fill(engine, 30)
    chunks = list(export.export_chunks(engine, 1, 30))
    assert [chunk.count("\n") for chunk in chunks] == [7, 7, 7, 7, 2]
    verify_ledger("".join(chunks).splitlines())


TAMPERS = {
    "posting amount": "UPDATE ledger_postings SET amount = amount + 1,"
    " balance_after = balance_after + 1 WHERE seq = {seq} AND position = 0",
    "transaction kind": "UPDATE ledger_transactions SET kind = 'refund' WHERE seq = {seq}",
    "metadata": "UPDATE ledger_transactions SET metadata_json = '{{\"n\": 1}}' WHERE seq = {seq}",
}


@pytest.mark.parametrize("tamper", TAMPERS.values(), ids=TAMPERS.keys())
def test_a_row_changed_behind_the_triggers_is_caught_at_its_seq(
    engine: Engine, checkpointer: Checkpointer, tamper: str
) -> None:
    _fill(engine, 25)
    checkpoint = checkpointer.checkpoint(engine)
    target = 13  # a purchase (13 % 3 != 0, 13 % 7 != 3)
    with engine.begin() as connection:
        # A role that bypasses the triggers: what an operator with superuser could do.
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(sa.text("DROP TRIGGER ledger_postings_no_update"))
            connection.execute(sa.text("DROP TRIGGER ledger_transactions_no_update"))
        connection.execute(sa.text(tamper.format(seq=target)))
    with pytest.raises(LedgerVerificationError) as caught:
        verify_ledger(
            export_lines(engine),
            signed_checkpoint=checkpoint.note,
            verifier_key=checkpointer.verifier_key,
        )
    assert caught.value.seq == target
    assert f"seq {target}" in str(caught.value)
