"""Witness cosignatures: C2SP tlog-cosignature v1 (Ed25519) on signed checkpoints.

A witness that checked a checkpoint's consistency with everything it saw before adds a
note signature line to it::

    — witness.example/w1 base64(key id || uint64_be(timestamp) || Ed25519 signature)

The key id is SHA-256(name || "\\n" || 0x04 || public key)[:4] (0x04: timestamped
Ed25519 cosignature), and the signature covers ``cosignature/v1\\n``, ``time <t>\\n`` and
the checkpoint body. Witness keys use the signed-note verifier-key format with
algorithm byte 0x04: ``<name>+<key id hex>+<base64(0x04 || public key)>``; their secret
counterpart ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x04 || seed)>``.

A cosignature says: at ``timestamp``, the largest consistent checkpoint this witness had
seen for the origin was this one. So a checkpoint cosigned at time t existed at t.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from alot_verify.checkpoint import (
    Checkpoint,
    note_key_id,
    parse_signed_checkpoint,
    split_note_key,
)
from alot_verify.errors import CheckpointVerificationError, InputError

COSIGNATURE_ALGORITHM = 0x04
_SIGNATURE_PREFIX = "\u2014 "
_MAX_TIMESTAMP = 2**63 - 1


@dataclass(frozen=True)
class WitnessKey:
    """A witness's public key: its name, key id and 32-byte Ed25519 key."""

    name: str
    key_id: bytes
    public_key: bytes

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([COSIGNATURE_ALGORITHM]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: which witness, and when it cosigned (POSIX seconds)."""

    witness: str
    timestamp: int


def _key_id(name: str, public_key: bytes) -> bytes:
    return note_key_id(name, public_key, COSIGNATURE_ALGORITHM)


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise InputError("must be non-empty, without spaces or '+'", where="witness name")


def _split_key(text: str, *, private: bool) -> tuple[str, bytes, bytes]:
    return split_note_key(
        text,
        private=private,
        what="witness signer key" if private else "witness key",
        algorithm=COSIGNATURE_ALGORITHM,
        algorithm_name="cosignature/v1",
    )


def parse_witness_key(text: str) -> WitnessKey:
    """A witness verifier key ``<name>+<id>+<base64(0x04 || key)>``; InputError if bad."""
    name, key_id, public_key = _split_key(text, private=False)
    if _key_id(name, public_key) != key_id:
        raise InputError("key id does not match the name and key", where="witness key")
    return WitnessKey(name, key_id, public_key)


def witness_key_from_seed(name: str, seed: bytes) -> tuple[str, str]:
    """The (signer key, verifier key) strings of a witness for a 32-byte Ed25519 seed."""
    _check_name(name)
    public_key = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    key_id = _key_id(name, public_key)
    encoded = base64.b64encode(bytes([COSIGNATURE_ALGORITHM]) + seed).decode()
    return (
        f"PRIVATE+KEY+{name}+{key_id.hex()}+{encoded}",
        str(WitnessKey(name, key_id, public_key)),
    )


def generate_witness_key(name: str) -> tuple[str, str]:
    """A new witness key pair as (signer key, verifier key) strings."""
    return witness_key_from_seed(name, Ed25519PrivateKey.generate().private_bytes_raw())


def witness_verifier_key(signer_key: str) -> str:
    name, _, seed = _split_key(signer_key, private=True)
    return witness_key_from_seed(name, seed)[1]


def cosigned_message(body: str, timestamp: int) -> bytes:
    """What a cosignature signs: ``cosignature/v1``, ``time <t>`` and the checkpoint body."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise InputError("must be 0..2^63-1", where="cosignature timestamp")
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(checkpoint: Checkpoint, signer_key: str, timestamp: int) -> str:
    """The cosignature line (ending in a newline) for ``checkpoint`` at ``timestamp``."""
    name, key_id, seed = _split_key(signer_key, private=True)
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    if _key_id(name, private_key.public_key().public_bytes_raw()) != key_id:
        raise InputError("key id does not match the name and key", where="witness signer key")
    signature = private_key.sign(cosigned_message(checkpoint.body(), timestamp))
    encoded = base64.b64encode(key_id + timestamp.to_bytes(8, "big") + signature).decode()
    return f"{_SIGNATURE_PREFIX}{name} {encoded}\n"


def verify_cosignature(note: str, witness_key: str | WitnessKey) -> Cosignature:
    """Return the witness's cosignature on the signed checkpoint ``note``; raise otherwise.

    The note is a checkpoint with its signature lines (the log's and any cosignatures);
    lines by other keys are ignored. CheckpointVerificationError when no line by the
    witness's key verifies.
    """
    key = witness_key if isinstance(witness_key, WitnessKey) else parse_witness_key(witness_key)
    signed = parse_signed_checkpoint(note)
    body = signed.checkpoint.body()
    public_key = Ed25519PublicKey.from_public_bytes(key.public_key)
    candidates = [
        s
        for s in signed.signatures
        if s.key_name == key.name and s.key_id == key.key_id and len(s.signature) == 72
    ]
    if not candidates:
        raise CheckpointVerificationError(f"no cosignature by witness {key}")
    for candidate in candidates:
        timestamp = int.from_bytes(candidate.signature[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            continue
        try:
            public_key.verify(candidate.signature[8:], cosigned_message(body, timestamp))
        except InvalidSignature:
            continue
        return Cosignature(witness=key.name, timestamp=timestamp)
    raise CheckpointVerificationError(f"cosignature by witness {key} does not verify")
