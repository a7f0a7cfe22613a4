"""Remembered checkpoints: `ledger.cosigned_checkpoint` against a `CheckpointMemory`.

Two real platform apps ("A" and "B") sign their checkpoints with the same ledger key but
hold different transactions: the operator's two views of one ledger. Witnesses are real
`alot-witness serve` processes: W1 cosigns A first and so refuses B's fork; W2 sees only
B. A client that remembered A must refuse B, whichever witness vouches for it.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from alot_ledger import Ledger
from alot_ledger.checkpoints import DEV_KEY_NAME
from alot_ledger.settings import LedgerSettings
from alot_platform.db import unit_of_work
from alot_platform.scheduler import ledger_checkpointer, run_tick
from alot_sdk import Alot, AsyncAlot
from alot_sdk.checkpoints import CheckpointMemory, CheckpointRecord, settle
from alot_sdk.errors import AlotError, CheckpointMemoryError, NotFoundError, SplitViewError
from alot_verify.checkpoint import generate_signer_key
from alot_verify.errors import (
    CheckpointVerificationError,
    ProofVerificationError,
    VerificationError,
)
from alot_witness._testing import RunningWitness, running_witness
from fastapi import FastAPI

ORIGIN = LedgerSettings().ledger_origin


@pytest.fixture
def ledger_keys(tmp_path: Path) -> tuple[str, str]:
    """The ledger's (signer, verifier) key, put where app A finds its key."""
    signer, verifier = generate_signer_key(ORIGIN)
    (tmp_path / "var").mkdir(parents=True, exist_ok=True)
    (tmp_path / "var" / DEV_KEY_NAME).write_text(signer + "\n", encoding="utf-8")
    return signer, verifier


@pytest.fixture
def w1(tmp_path: Path, ledger_keys: tuple[str, str]) -> Iterator[RunningWitness]:
    with running_witness(tmp_path / "w1", "witness.test/w1", [ledger_keys[1]]) as witness:
        yield witness


@pytest.fixture
def w2(tmp_path: Path, ledger_keys: tuple[str, str]) -> Iterator[RunningWitness]:
    with running_witness(tmp_path / "w2", "witness.test/w2", [ledger_keys[1]]) as witness:
        yield witness


def _witnesses(*running: RunningWitness) -> list[dict[str, str]]:
    return [{"url": w.url, "key": w.verifier_key} for w in running]


@pytest.fixture
def app(make_app: Callable[..., FastAPI], w1: RunningWitness) -> FastAPI:
    """Ledger A: submits its checkpoints to W1."""
    return make_app(witnesses=_witnesses(w1), ledger_public=True)


@pytest.fixture
def app_b(
    make_app: Callable[..., FastAPI], tmp_path: Path, w1: RunningWitness, w2: RunningWitness
) -> FastAPI:
    """Ledger B: its own database, the same signing key; submits to W1 and W2."""
    var_b = tmp_path / "b" / "var"
    var_b.mkdir(parents=True)
    shutil.copy(tmp_path / "var" / DEV_KEY_NAME, var_b / DEV_KEY_NAME)
    return make_app(
        database_url=f"sqlite:///{tmp_path / 'b' / 'alot.db'}",
        var_dir=var_b,
        witnesses=_witnesses(w1, w2),
        ledger_public=True,
    )


def grow(app: FastAPI, memos: int, label: str) -> int:
    """Append `memos` memos, checkpoint, and submit the checkpoint to the witnesses."""
    platform = app.state.platform
    with contextmanager(unit_of_work)(platform.database) as session:
        for i in range(memos):
            Ledger(session).memo("test_memo", refs={"note": f"{label} {i}"})
    size = ledger_checkpointer(platform).checkpoint(platform.database.engine).size
    report = run_tick(platform)
    assert not report.failures, report.summary()
    return size


def test_a_growing_ledger_is_proved_consistent_and_remembered(
    client: Alot, app: FastAPI, w1: RunningWitness, ledger_keys: tuple[str, str], request_log: Any
) -> None:
    memory = CheckpointMemory()
    first_size = grow(app, 3, "A")
    first = client.ledger.cosigned_checkpoint(witnesses=[w1.verifier_key], quorum=1, memory=memory)
    assert (first.size, first.remembered_size) == (first_size, 0)
    assert [c.witness for c in first.cosignatures] == ["witness.test/w1"]
    # Nothing pinned: the served key is trusted on first use, and remembered as such.
    assert memory.verifier_key(ORIGIN) == ledger_keys[1]
    assert not memory.key_pinned(ORIGIN)
    remembered = memory.checkpoint(ORIGIN)
    assert remembered is not None
    assert (remembered.size, remembered.root_hash) == (first.size, first.root_hash)

    second_size = grow(app, 4, "A")
    request_log.clear()
    second = client.ledger.cosigned_checkpoint(witnesses=[w1.verifier_key], quorum=1, memory=memory)
    assert (second.size, second.remembered_size) == (second_size, first_size)
    proofs = [r for r in request_log.requests if r.url.path == "/api/ledger/proofs/consistency"]
    assert [dict(r.url.params) for r in proofs] == [
        {"old_size": str(first_size), "new_size": str(second_size)}
    ]
    remembered = memory.checkpoint(ORIGIN)
    assert remembered is not None
    assert (remembered.size, remembered.root_hash) == (second.size, second.root_hash)

    # Shown the older checkpoint again: proved consistent with the newer one, which is kept.
    shown = CheckpointRecord(first.origin, first.size, first.root_hash, first.note)
    proof = client.ledger.consistency_proof(first_size, second_size).model_dump()
    assert settle(memory, remembered, shown, proof)
    assert memory.checkpoint(ORIGIN) == remembered
    tampered = {**proof, "proof": ["00" * 32, *proof["proof"][1:]]}
    with pytest.raises(SplitViewError):
        settle(memory, remembered, shown, tampered)
    assert memory.checkpoint(ORIGIN) == remembered


def test_the_client_remembers_by_itself_between_calls(
    make_client: Callable[..., Alot], app: FastAPI, w1: RunningWitness, ledger_keys: tuple[str, str]
) -> None:
    client = make_client(ledger_verifier_key=ledger_keys[1])
    grow(app, 2, "A")
    client.ledger.cosigned_checkpoint(witnesses=[w1.verifier_key], quorum=1)
    size = grow(app, 1, "A")
    again = client.ledger.cosigned_checkpoint(witnesses=[w1.verifier_key], quorum=1)
    assert again.remembered_size == 2
    assert again.size == size
    assert client.checkpoint_memory.key_pinned(ORIGIN)


def _fork(app: FastAPI, app_b: FastAPI, memos: int = 3) -> tuple[int, int]:
    """A and B, each of `memos` different memos, each cosigned: A by W1 first; then B,
    which W1 refuses and W2 cosigns."""
    size_a = grow(app, memos, "A")
    size_b = grow(app_b, memos, "B")
    assert size_a == size_b
    return size_a, size_b


def test_same_size_with_another_root_is_a_split_view(
    make_client: Callable[..., Alot],
    app: FastAPI,
    app_b: FastAPI,
    w1: RunningWitness,
    w2: RunningWitness,
    ledger_keys: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    memory = CheckpointMemory()
    witnesses = [w1.verifier_key, w2.verifier_key]
    to_a = make_client(of=app, ledger_verifier_key=ledger_keys[1])
    to_b = make_client(of=app_b, ledger_verifier_key=ledger_keys[1])
    size, _ = _fork(app, app_b)
    seen_a = to_a.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1, memory=memory)

    # B is signed by the same key and cosigned by a pinned witness (W2, who never saw A):
    # everything but the memory says it is fine.
    served_b = to_b.ledger.cosigned_checkpoint_as_served()
    assert [c.witness for c in served_b.cosignatures] == ["witness.test/w2"]
    with (
        caplog.at_level(logging.ERROR, logger="alot_sdk.checkpoints"),
        pytest.raises(SplitViewError) as raised,
    ):
        to_b.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1, memory=memory)
    fork = raised.value
    assert isinstance(fork, AlotError)
    assert isinstance(fork, VerificationError)
    assert fork.remembered.root_hash == seen_a.root_hash
    assert fork.shown.size == size
    assert fork.shown.root_hash != seen_a.root_hash
    assert fork.shown.note == served_b.note
    message = str(fork)
    assert f"size {size} root {seen_a.root_hash}" in message
    assert f"size {size} root {fork.shown.root_hash}" in message
    assert any(
        r.levelno == logging.ERROR and "SPLIT VIEW" in r.getMessage() for r in caplog.records
    )
    # The memory still holds A.
    remembered = memory.checkpoint(ORIGIN)
    assert remembered is not None
    assert remembered.root_hash == seen_a.root_hash

    # A fresh memory takes B (it is validly signed and cosigned): only memory catches it.
    fresh = to_b.ledger.cosigned_checkpoint(
        witnesses=witnesses, quorum=1, memory=CheckpointMemory()
    )
    assert fresh.root_hash == fork.shown.root_hash


def test_a_larger_fork_has_no_consistency_proof_to_the_remembered_checkpoint(
    make_client: Callable[..., Alot],
    app: FastAPI,
    app_b: FastAPI,
    w1: RunningWitness,
    w2: RunningWitness,
    ledger_keys: tuple[str, str],
) -> None:
    memory = CheckpointMemory()
    witnesses = [w1.verifier_key, w2.verifier_key]
    to_a = make_client(of=app, ledger_verifier_key=ledger_keys[1])
    to_b = make_client(of=app_b, ledger_verifier_key=ledger_keys[1])
    size, _ = _fork(app, app_b)
    to_a.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1, memory=memory)
    larger = grow(app_b, 2, "B more")
    # B proves its own history honestly; it cannot prove it extends A's.
    with pytest.raises(SplitViewError, match=f"from {size} to {larger}"):
        to_b.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1, memory=memory)
    remembered = memory.checkpoint(ORIGIN)
    assert remembered is not None
    assert remembered.size == size


def test_the_witness_that_cosigned_a_refuses_b_so_b_lacks_its_quorum(
    make_client: Callable[..., Alot],
    app: FastAPI,
    app_b: FastAPI,
    w1: RunningWitness,
    ledger_keys: tuple[str, str],
) -> None:
    to_b = make_client(of=app_b, ledger_verifier_key=ledger_keys[1])
    _fork(app, app_b)
    assert "refused" in w1.log_path.read_text() or "409" in w1.log_path.read_text()
    memory = CheckpointMemory()
    # Only W1 is pinned: B, which W1 refused, has no cosignature that counts.
    with pytest.raises(CheckpointVerificationError, match="0 valid cosignature"):
        to_b.ledger.cosigned_checkpoint(witnesses=[w1.verifier_key], quorum=1, memory=memory)
    assert memory.checkpoint(ORIGIN) is None


def test_too_few_cosignatures_are_refused_and_not_remembered(
    client: Alot,
    request_log: Any,
    app: FastAPI,
    w1: RunningWitness,
    w2: RunningWitness,
    ledger_keys: tuple[str, str],
) -> None:
    grow(app, 2, "A")  # A submits to W1 only
    memory = CheckpointMemory()
    with pytest.raises(CheckpointVerificationError, match=r"1 valid cosignature.*2 needed"):
        client.ledger.cosigned_checkpoint(
            witnesses=[w1.verifier_key, w2.verifier_key],
            quorum=2,
            memory=memory,
            verifier_key=ledger_keys[1],
        )
    assert memory.checkpoint(ORIGIN) is None
    # The same witness listed twice is still one witness (refused before any request).
    request_log.clear()
    with pytest.raises(ValueError, match="quorum"):
        client.ledger.cosigned_checkpoint(
            witnesses=[w1.verifier_key, w1.verifier_key], quorum=2, memory=memory
        )
    assert request_log.requests == []
    # Signed by another ledger key: refused before any witness counts.
    _, other_key = generate_signer_key(ORIGIN)
    with pytest.raises(CheckpointVerificationError):
        client.ledger.cosigned_checkpoint(
            witnesses=[w1.verifier_key], quorum=1, memory=CheckpointMemory(), verifier_key=other_key
        )


class TamperedConsistency(httpx.BaseTransport):
    """The operator's forged consistency proofs: one hash of each proof replaced."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.tampered = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.url.path != "/api/ledger/proofs/consistency":
            return response
        response.read()
        document = response.json()
        document["proof"][-1] = "11" * 32
        self.tampered += 1
        return httpx.Response(response.status_code, json=document, request=request)

    def close(self) -> None:
        self._inner.close()


def test_a_forged_consistency_proof_is_a_split_view(
    live_server: str, app: FastAPI, w1: RunningWitness, ledger_keys: tuple[str, str]
) -> None:
    memory = CheckpointMemory()
    first = grow(app, 3, "A")
    transport = TamperedConsistency()
    with httpx.Client(transport=transport, base_url=live_server) as http:
        client = Alot(base_url=live_server, http_client=http, ledger_verifier_key=ledger_keys[1])
        client.ledger.cosigned_checkpoint(witnesses=[w1.verifier_key], quorum=1, memory=memory)
        grow(app, 2, "A")
        with pytest.raises(SplitViewError, match="no valid consistency proof"):
            client.ledger.cosigned_checkpoint(witnesses=[w1.verifier_key], quorum=1, memory=memory)
    assert transport.tampered == 1
    remembered = memory.checkpoint(ORIGIN)
    assert remembered is not None
    assert remembered.size == first


def test_a_memory_file_survives_a_restart(
    make_client: Callable[..., Alot],
    app: FastAPI,
    app_b: FastAPI,
    w1: RunningWitness,
    w2: RunningWitness,
    ledger_keys: tuple[str, str],
    tmp_path: Path,
) -> None:
    path = tmp_path / "memory" / "checkpoints.json"
    witnesses = [w1.verifier_key, w2.verifier_key]
    _size, _ = _fork(app, app_b)
    before = make_client(of=app, checkpoint_memory=CheckpointMemory(path))
    seen = before.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1)
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["logs"][ORIGIN]["checkpoint"]["root_hash"] == seen.root_hash
    assert stored["logs"][ORIGIN]["verifier_key"] == ledger_keys[1]
    assert [p.name for p in path.parent.iterdir()] == ["checkpoints.json"]  # no temp left

    # A new program, a new memory object on the same file: it still knows A.
    after = make_client(of=app_b, checkpoint_memory=CheckpointMemory(path))
    with pytest.raises(SplitViewError):
        after.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1)
    # And the key it trusted on first use: a different pin is refused, loudly.
    _, other_key = generate_signer_key(ORIGIN)
    with pytest.raises(CheckpointMemoryError, match="not the one this memory remembers"):
        after.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1, verifier_key=other_key)
    # Pinning it deliberately replaces the key (and the checkpoints it signs do not verify).
    after.checkpoint_memory.pin(other_key)
    assert CheckpointMemory(path).verifier_key(ORIGIN) == other_key
    assert CheckpointMemory(path).key_pinned(ORIGIN)
    with pytest.raises(CheckpointVerificationError, match=r"does not verify|no signature"):
        after.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1)

    # A damaged memory is an error, never a fresh start.
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CheckpointMemoryError):
        CheckpointMemory(path)


def test_inclusion_against_the_witnessed_checkpoint(
    make_client: Callable[..., Alot],
    app: FastAPI,
    app_b: FastAPI,
    w1: RunningWitness,
    w2: RunningWitness,
    ledger_keys: tuple[str, str],
) -> None:
    witnesses = [w1.verifier_key, w2.verifier_key]
    to_a = make_client(of=app)
    to_b = make_client(of=app_b)
    _fork(app, app_b)
    seen_a = to_a.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1)
    seen_b = to_b.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1)
    grow(app, 2, "A")  # the latest checkpoint moves on; the proof is to the witnessed one
    proved = to_a.ledger.verify_inclusion(2, witnessed=seen_a)
    assert (proved.tree_size, proved.root_hash) == (seen_a.size, seen_a.root_hash)
    # A's transaction is not in the checkpoint B's witness vouched for.
    with pytest.raises(ProofVerificationError, match="not the witnessed checkpoint"):
        to_a.ledger.verify_inclusion(2, witnessed=seen_b)


@pytest.mark.anyio
async def test_async_remembers_and_refuses_a_fork(
    make_async_client: Callable[..., AsyncAlot],
    app: FastAPI,
    app_b: FastAPI,
    w1: RunningWitness,
    w2: RunningWitness,
    make_client: Callable[..., Alot],
    ledger_keys: tuple[str, str],
) -> None:
    memory = CheckpointMemory()
    witnesses = [w1.verifier_key, w2.verifier_key]
    size, _ = _fork(app, app_b)
    client = make_async_client()
    first = await client.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1, memory=memory)
    assert first.size == size
    assert memory.verifier_key(ORIGIN) == ledger_keys[1]
    larger = grow(app, 2, "A")
    second = await client.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1, memory=memory)
    assert (second.remembered_size, second.size) == (size, larger)
    with pytest.raises(CheckpointVerificationError):
        await client.ledger.cosigned_checkpoint(witnesses=[w2.verifier_key], quorum=1)
    # B's smaller checkpoint has no proof of being a prefix of A's remembered one.
    to_b = make_client(of=app_b)
    with pytest.raises(SplitViewError):
        to_b.ledger.cosigned_checkpoint(witnesses=witnesses, quorum=1, memory=memory)


def test_covering_fetches_the_earliest_witnessed_checkpoint_holding_a_seq(
    client: Alot, app: FastAPI, w1: RunningWitness
) -> None:
    """The timing evidence of one transaction: the first cosigned checkpoint that holds it,
    not the latest one (a later checkpoint proves only a later time)."""
    first_size = grow(app, 3, "A")
    grow(app, 4, "A")
    memory = CheckpointMemory()
    evidence = client.ledger.cosigned_checkpoint(
        witnesses=[w1.verifier_key], quorum=1, memory=memory, covering=2
    )
    assert evidence.size == first_size
    assert [c.witness for c in evidence.cosignatures] == ["witness.test/w1"]
    latest = client.ledger.cosigned_checkpoint(witnesses=[w1.verifier_key], quorum=1)
    assert latest.size > evidence.size
    with pytest.raises(NotFoundError) as missing:
        client.ledger.cosigned_checkpoint(
            witnesses=[w1.verifier_key], quorum=1, covering=latest.size + 1
        )
    assert missing.value.code == "no_cosigned_checkpoint"
