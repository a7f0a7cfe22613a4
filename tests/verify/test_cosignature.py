"""C2SP tlog-cosignature v1 (Ed25519): key ids, the signed message, verification.

Byte-level: the signed message and the line layout are rebuilt here from the spec
(docs/spec/checkpoint.md#witnesses) with cryptography directly, not with the module."""

from __future__ import annotations

import base64
import hashlib

import pytest
from alot_verify.checkpoint import Checkpoint, sign_checkpoint, signer_key_from_seed
from alot_verify.cosignature import (
    cosign,
    cosigned_message,
    parse_witness_key,
    verify_cosignature,
    witness_key_from_seed,
)
from alot_verify.errors import CheckpointVerificationError, InputError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SEED = hashlib.sha256(b"ALOT witness test key - never use for a real witness").digest()
LOG_SEED = hashlib.sha256(b"ALOT test vector key - never use for a real log").digest()
NAME = "witness.test/w1"
CHECKPOINT = Checkpoint("alot.local/ledger", 40, bytes(range(32)))


def _note() -> str:
    return sign_checkpoint(CHECKPOINT, signer_key_from_seed("alot.local/ledger", LOG_SEED)[0])


def test_key_id_uses_the_cosignature_type_byte() -> None:
    signer, verifier = witness_key_from_seed(NAME, SEED)
    public_key = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()
    key_id = hashlib.sha256(NAME.encode() + b"\n\x04" + public_key).digest()[:4]
    encoded = base64.b64encode(b"\x04" + public_key).decode()
    assert verifier == f"{NAME}+{key_id.hex()}+{encoded}"
    assert signer.startswith(f"PRIVATE+KEY+{NAME}+{key_id.hex()}+")
    assert parse_witness_key(verifier).public_key == public_key


def test_the_line_and_the_signed_message_follow_the_spec() -> None:
    signer, verifier = witness_key_from_seed(NAME, SEED)
    line = cosign(CHECKPOINT, signer, 1_767_225_600)
    assert line.startswith(f"\u2014 {NAME} ")
    assert line.endswith("\n")
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == parse_witness_key(verifier).key_id
    assert int.from_bytes(raw[4:12], "big") == 1_767_225_600
    message = b"cosignature/v1\ntime 1767225600\n" + CHECKPOINT.body().encode()
    assert cosigned_message(CHECKPOINT.body(), 1_767_225_600) == message
    public = Ed25519PrivateKey.from_private_bytes(SEED).public_key()
    public.verify(raw[12:], message)  # raises if not the spec's message
    cosigned = verify_cosignature(_note() + line, verifier)
    assert (cosigned.witness, cosigned.timestamp) == (NAME, 1_767_225_600)


def test_a_cosignature_of_another_checkpoint_or_time_does_not_verify() -> None:
    signer, verifier = witness_key_from_seed(NAME, SEED)
    other = Checkpoint("alot.local/ledger", 41, bytes(range(32)))
    line = cosign(other, signer, 1_767_225_600)
    with pytest.raises(CheckpointVerificationError, match="does not verify"):
        verify_cosignature(_note() + line, verifier)
    # Moving the timestamp (to look earlier) breaks the signature.
    good = base64.b64decode(cosign(CHECKPOINT, signer, 1_767_225_600).split(" ")[2])
    moved = good[:4] + (1_767_225_000).to_bytes(8, "big") + good[12:]
    forged = f"\u2014 {NAME} {base64.b64encode(moved).decode()}\n"
    with pytest.raises(CheckpointVerificationError, match="does not verify"):
        verify_cosignature(_note() + forged, verifier)


def test_a_note_without_the_witness_line_is_not_cosigned() -> None:
    _, verifier = witness_key_from_seed(NAME, SEED)
    with pytest.raises(CheckpointVerificationError, match="no cosignature"):
        verify_cosignature(_note(), verifier)


def test_a_log_key_is_not_a_witness_key() -> None:
    _, log_verifier = signer_key_from_seed("alot.local/ledger", LOG_SEED)
    with pytest.raises(InputError):
        parse_witness_key(log_verifier)
