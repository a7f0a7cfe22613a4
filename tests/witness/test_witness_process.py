"""alot-witness as a real process: it cosigns a log's checkpoints while they extend what
it cosigned before, and refuses (C2SP tlog-witness status codes) anything else.

The witness runs as `alot-witness serve` on a free port; requests go over HTTP as a log
would send them. The log here is a tree in memory signed with a test key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from alot_verify.checkpoint import Checkpoint, generate_signer_key, sign_checkpoint
from alot_verify.cli import cli as verify_cli
from alot_verify.cosignature import parse_witness_key, verify_cosignature
from alot_verify.merkle import MemoryTree, consistency_proof, leaf_hash
from alot_witness._testing import RunningWitness, running_witness
from click.testing import CliRunner

ORIGIN = "alot.test/ledger"
WITNESS_NAME = "witness.test/w1"


@dataclass
class Log:
    signer_key: str
    verifier_key: str
    tree: MemoryTree

    def grow(self, n: int) -> None:
        for _ in range(n):
            self.tree.append(leaf_hash(os.urandom(16)))

    def checkpoint(self, size: int | None = None, root: bytes | None = None) -> str:
        size = self.tree.size if size is None else size
        root = self.tree.root(size) if root is None else root
        return sign_checkpoint(Checkpoint(ORIGIN, size, root), self.signer_key)

    def proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self.tree.size if new_size is None else new_size
        return consistency_proof(old_size, new_size, self.tree.perfect)


def _witness_command() -> list[str]:
    return [str(Path(sys.executable).parent / "alot-witness")]


@pytest.fixture
def log() -> Log:
    signer, verifier = generate_signer_key(ORIGIN)
    return Log(signer, verifier, MemoryTree())


@pytest.fixture
def witness(log: Log, tmp_path: Path) -> Iterator[RunningWitness]:
    with running_witness(tmp_path / "witness", WITNESS_NAME, [log.verifier_key]) as running:
        yield running


def _submit(
    witness: RunningWitness, old_size: int, proof: list[bytes], note: str
) -> httpx.Response:
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode() for h in proof]
    body = "".join(line + "\n" for line in lines) + "\n" + note
    return httpx.post(f"{witness.url}/add-checkpoint", content=body.encode(), timeout=10)


def test_cosigns_a_first_checkpoint_and_a_consistent_extension(
    log: Log, witness: RunningWitness
) -> None:
    log.grow(5)
    first = log.checkpoint()
    response = _submit(witness, 0, [], first)
    assert response.status_code == 200, response.text
    assert response.text.startswith(f"\u2014 {WITNESS_NAME} ")
    before = int(time.time())
    cosigned = verify_cosignature(first + response.text, witness.verifier_key)
    assert cosigned.witness == WITNESS_NAME
    assert abs(cosigned.timestamp - before) <= 5

    log.grow(8)
    second = log.checkpoint()
    response = _submit(witness, 5, log.proof(5), second)
    assert response.status_code == 200, response.text
    verify_cosignature(second + response.text, parse_witness_key(witness.verifier_key))
    # A cosignature is on its own checkpoint only.
    with pytest.raises(Exception, match="does not verify"):
        verify_cosignature(first + response.text, witness.verifier_key)


def test_the_same_checkpoint_again_is_cosigned(log: Log, witness: RunningWitness) -> None:
    log.grow(3)
    note = log.checkpoint()
    assert _submit(witness, 0, [], note).status_code == 200
    assert _submit(witness, 3, [], note).status_code == 200


def test_same_size_different_root_is_a_conflict(log: Log, witness: RunningWitness) -> None:
    log.grow(4)
    assert _submit(witness, 0, [], log.checkpoint()).status_code == 200
    fork = log.checkpoint(root=hashlib.sha256(b"another history").digest())
    response = _submit(witness, 4, [], fork)
    assert response.status_code == 409
    assert "different root" in response.text


def test_a_stale_old_size_is_a_conflict_naming_the_cosigned_size(
    log: Log, witness: RunningWitness
) -> None:
    log.grow(6)
    assert _submit(witness, 0, [], log.checkpoint()).status_code == 200
    log.grow(2)
    response = _submit(witness, 0, [], log.checkpoint())
    assert response.status_code == 409
    assert response.headers["content-type"] == "text/x.tlog.size"
    assert response.text == "6\n"


def test_a_bad_consistency_proof_is_refused(log: Log, witness: RunningWitness) -> None:
    log.grow(6)
    assert _submit(witness, 0, [], log.checkpoint()).status_code == 200
    # The operator rewrites history: a new tree of 9 leaves whose first 6 differ.
    forked = Log(log.signer_key, log.verifier_key, MemoryTree())
    forked.grow(9)
    response = _submit(witness, 6, forked.proof(6), forked.checkpoint())
    assert response.status_code == 422
    # The refused request is kept in the witness's log: it may be evidence of a fork.
    assert "add-checkpoint refused (422)" in witness.log_path.read_text()
    # And what it cosigned is unchanged: the honest extension still goes through.
    log.grow(3)
    assert _submit(witness, 6, log.proof(6), log.checkpoint()).status_code == 200


def test_an_unknown_log_key_is_refused(log: Log, witness: RunningWitness) -> None:
    log.grow(2)
    impostor_signer, _ = generate_signer_key(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 2, log.tree.root()), impostor_signer)
    assert _submit(witness, 0, [], note).status_code == 403
    other_signer, _ = generate_signer_key("other.test/log")
    other = sign_checkpoint(Checkpoint("other.test/log", 2, log.tree.root()), other_signer)
    assert _submit(witness, 0, [], other).status_code == 404


def test_malformed_requests_are_bad_requests(log: Log, witness: RunningWitness) -> None:
    log.grow(2)
    note = log.checkpoint()
    bad = httpx.post(f"{witness.url}/add-checkpoint", content=b"old x\n\n" + note.encode())
    assert bad.status_code == 400
    assert _submit(witness, 3, [], note).status_code == 400  # old size above the size


def test_state_survives_a_restart(log: Log, witness: RunningWitness, tmp_path: Path) -> None:
    log.grow(5)
    assert _submit(witness, 0, [], log.checkpoint()).status_code == 200
    key_before = (witness.data_dir / "witness.key").read_text()
    assert oct((witness.data_dir / "witness.key").stat().st_mode & 0o777) == "0o600"
    keygen = subprocess.run(
        [
            *_witness_command(),
            "keygen",
            "--data-dir",
            str(witness.data_dir),
            "--name",
            WITNESS_NAME,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert keygen.stdout.strip() == witness.verifier_key
    assert (witness.data_dir / "witness.key").read_text() == key_before


def test_alot_verify_checks_cosignatures_against_pinned_witnesses(
    log: Log, witness: RunningWitness, tmp_path: Path
) -> None:
    log.grow(7)
    note = log.checkpoint()
    response = _submit(witness, 0, [], note)
    assert response.status_code == 200
    path = tmp_path / "cosigned.checkpoint"
    path.write_text(note + response.text, encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(
        verify_cli,
        ["checkpoint", str(path), "--key", log.verifier_key, "--witness", witness.verifier_key],
    )
    assert ok.exit_code == 0, ok.output
    assert f"OK: cosigned by witness {WITNESS_NAME} at " in ok.output
    # A witness the auditor pins that did not cosign: quorum not met.
    _, stranger = _stranger_key()
    missing = runner.invoke(
        verify_cli,
        [
            "checkpoint",
            str(path),
            "--key",
            log.verifier_key,
            "--witness",
            witness.verifier_key,
            "--witness",
            stranger,
        ],
    )
    assert missing.exit_code == 1
    assert "FAIL: 1 of the 2 pinned witnesses cosigned, 2 needed" in missing.output
    one_of_two = runner.invoke(
        verify_cli,
        [
            "checkpoint",
            str(path),
            "--key",
            log.verifier_key,
            "--witness",
            witness.verifier_key,
            "--witness",
            stranger,
            "--quorum",
            "1",
        ],
    )
    assert one_of_two.exit_code == 0, one_of_two.output


def _stranger_key() -> tuple[str, str]:
    from alot_verify.cosignature import generate_witness_key

    return generate_witness_key("witness.test/stranger")
