"""C2SP signed checkpoints: known answers, round trips, and each malformed part."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify import checkpoint as cp
from alot_verify.errors import CheckpointVerificationError, InputError

# The signed-note format's own documented example key (golang.org/x/mod/sumdb/note).
NEUMANN_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
NEUMANN_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
NEUMANN_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
NEUMANN_SIGNATURE = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq"
    "dngotpRZb6KE6RyyBwJnAM=\n"
)


def _vectors(spec_vectors: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((spec_vectors / "checkpoint.json").read_text())
    return doc


def test_signed_note_known_answer() -> None:
    assert cp.verifier_key_for(NEUMANN_SIGNER) == NEUMANN_VERIFIER
    assert cp.sign_note(NEUMANN_TEXT, NEUMANN_SIGNER) == NEUMANN_TEXT + "\n" + NEUMANN_SIGNATURE
    key = cp.parse_verifier_key(NEUMANN_VERIFIER)
    assert key.name == "PeterNeumann"
    assert key.key_id.hex() == "c74f20a3"


def test_published_vectors(spec_vectors: Path) -> None:
    doc = _vectors(spec_vectors)
    assert cp.verifier_key_for(doc["signer_key"]) == doc["verifier_key"]
    for case in doc["checkpoints"]:
        expected = cp.Checkpoint(
            case["origin"],
            case["size"],
            bytes.fromhex(case["root_hash"]),
            tuple(case["extensions"]),
        )
        assert cp.sign_checkpoint(expected, doc["signer_key"]) == case["note"]
        assert cp.verify_checkpoint(case["note"], doc["verifier_key"]) == expected


def _signed(size: int = 3) -> tuple[str, str, str]:
    signer, verifier = cp.generate_signer_key("alot.local/ledger")
    note = cp.sign_checkpoint(cp.Checkpoint("alot.local/ledger", size, b"\x07" * 32), signer)
    return note, signer, verifier


def test_round_trip_and_other_keys_are_ignored() -> None:
    note, _, verifier = _signed()
    other_signer, _ = cp.generate_signer_key("witness.example")
    cosigned = note + cp.sign_note(note.partition("\n\n")[0] + "\n", other_signer).split("\n\n")[1]
    assert cp.verify_checkpoint(cosigned, verifier).size == 3


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        (lambda n: n.replace("\n3\n", "\n4\n", 1), CheckpointVerificationError),
        (lambda n: n.replace("BwcH", "BwcI", 1), CheckpointVerificationError),
        (
            lambda n: n.replace("alot.local/ledger\n", "alot.local/other\n", 1),
            CheckpointVerificationError,
        ),
    ],
)
def test_tampered_checkpoints_fail(tamper: Any, error: type[Exception]) -> None:
    note, _, verifier = _signed()
    with pytest.raises(error):
        cp.verify_checkpoint(tamper(note), verifier)


def test_wrong_key_fails() -> None:
    note, _, _ = _signed()
    _, stranger = cp.generate_signer_key("alot.local/ledger")
    with pytest.raises(CheckpointVerificationError, match="no signature by key"):
        cp.verify_checkpoint(note, stranger)


@pytest.mark.parametrize(
    ("mangle", "where"),
    [
        (lambda n: n.rstrip("\n"), "signed note"),
        (lambda n: n.replace("\n\n", "\n", 1), "signed note"),
        (lambda n: n.replace("\n3\n", "\n03\n", 1), "checkpoint size (line 2)"),
        (lambda n: n.replace("\n3\n", "\n-3\n", 1), "checkpoint size (line 2)"),
        (lambda n: n.replace("\n3\n", "\nthree\n", 1), "checkpoint size (line 2)"),
        (lambda n: n.replace("BwcH", "B!cH", 1), "checkpoint root hash (line 3)"),
        (lambda n: n.replace("BwcHBwcH", "", 1), "checkpoint root hash (line 3)"),
        (lambda n: "\n" + n, "checkpoint origin (line 1)"),
        (lambda n: n.replace("\u2014 ", "- ", 1), "signature line 1"),
        (lambda n: n.rsplit(" ", 1)[0] + " %%%\n", "signature line 1"),
        (lambda n: n.rsplit(" ", 1)[0] + " AAAA\n", "signature line 1"),
        (lambda n: n.replace("ledger\n", "ledger\t\n", 1), "signed note"),
        (lambda n: n.partition("\n\n")[0] + "\n\n", "signed note"),
    ],
)
def test_malformed_parts_are_named(mangle: Any, where: str) -> None:
    note, _, verifier = _signed()
    with pytest.raises(InputError) as info:
        cp.verify_checkpoint(mangle(note), verifier)
    assert info.value.where == where


@pytest.mark.parametrize(
    "key",
    [
        "nokey",
        "name+zzzzzzzz+AWabc",
        "name+c74f20a3+AYEK",
        "name+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # id does not match
        "has space+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_verifier_keys(key: str) -> None:
    with pytest.raises(InputError):
        cp.parse_verifier_key(key)
