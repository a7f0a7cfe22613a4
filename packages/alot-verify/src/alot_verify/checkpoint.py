"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519.

A checkpoint commits a log to its size and Merkle root::

    alot.local/ledger            <- origin: names the log (and is the key name)
    1234                         <- tree size, decimal, no leading zeros
    K3Q3...base64...=            <- root hash, standard base64 of 32 bytes
                                 <- blank line ends the body (extension lines may precede it)
    — alot.local/ledger AAAAB...  <- em dash, key name, base64(4-byte key id || signature)

Keys use the signed-note text formats. Verifier key: ``<name>+<key id hex>+<base64(0x01 ||
public key)>``. Signer key: ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || seed)>``. The
key id is the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key); 0x01 is the
Ed25519 algorithm byte. The signature covers the note body, final newline included.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from alot_verify.errors import CheckpointVerificationError, InputError

ED25519_ALGORITHM = 0x01
_SIGNATURE_PREFIX = "\u2014 "  # em dash and a space
_HASH_SIZE = 32


@dataclass(frozen=True)
class Checkpoint:
    """A log's size and root hash as of one moment, named by its origin."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text that is signed: each line ends with a newline."""
        _check_origin(self.origin)
        if self.size < 0:
            raise InputError("must not be negative", where="checkpoint size")
        if len(self.root_hash) != _HASH_SIZE:
            raise InputError(f"must be {_HASH_SIZE} bytes", where="checkpoint root hash")
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        for extension in self.extensions:
            if not extension or "\n" in extension:
                raise InputError("must be one non-empty line", where="checkpoint extension")
            lines.append(extension)
        return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note."""

    key_name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    signatures: tuple[NoteSignature, ...]
    text: str

    @property
    def body(self) -> str:
        return self.checkpoint.body()


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: bytes

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519_ALGORITHM]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def _check_origin(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise InputError("must be non-empty, without spaces or '+'", where="key name / origin")


def note_key_id(name: str, public_key: bytes, algorithm: int = ED25519_ALGORITHM) -> bytes:
    """A note key's id (C2SP signed-note): the first 4 bytes of SHA-256 of the name, a
    newline, the key's type byte and the key. Cosigners use the same rule with their
    own type byte."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()[:4]


def _key_id(name: str, public_key: bytes) -> bytes:
    return note_key_id(name, public_key)


def _b64decode(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError("is not valid base64", where=where) from exc


def split_note_key(
    text: str,
    *,
    private: bool,
    what: str,
    algorithm: int = ED25519_ALGORITHM,
    algorithm_name: str = "Ed25519",
) -> tuple[str, bytes, bytes]:
    """Return (name, key id, 32 key bytes) from a signer key
    ``PRIVATE+KEY+<name>+<id>+<base64>`` or a verifier key ``<name>+<id>+<base64>``
    whose data is ``algorithm`` followed by 32 bytes (``what`` names it in errors)."""
    # Base64 may contain "+": split off the fixed fields only, the key data is the rest.
    parts = text.strip().split("+", 4 if private else 2)
    if private:
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise InputError("expected PRIVATE+KEY+<name>+<id>+<key>", where=what)
        parts = parts[2:]
    elif len(parts) != 3:
        raise InputError("expected <name>+<id hex>+<base64 key>", where=what)
    name, id_hex, encoded = parts
    _check_origin(name)
    try:
        key_id = bytes.fromhex(id_hex)
    except ValueError as exc:
        raise InputError("key id is not hex", where=what) from exc
    if len(key_id) != 4:
        raise InputError("key id must be 8 hex digits", where=what)
    raw = _b64decode(encoded, what)
    if len(raw) != 33 or raw[0] != algorithm:
        raise InputError(
            f"key must be 0x{algorithm:02x} ({algorithm_name}) followed by 32 bytes", where=what
        )
    return name, key_id, raw[1:]


def _parse_key(text: str, *, private: bool) -> tuple[str, bytes, bytes]:
    return split_note_key(text, private=private, what="signer key" if private else "verifier key")


def parse_verifier_key(text: str) -> VerifierKey:
    name, key_id, public_key = _parse_key(text, private=False)
    if _key_id(name, public_key) != key_id:
        raise InputError("key id does not match the name and key", where="verifier key")
    return VerifierKey(name, key_id, public_key)


def _load_signer(signer_key: str) -> tuple[str, bytes, Ed25519PrivateKey]:
    name, key_id, seed = _parse_key(signer_key, private=True)
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    public_key = private_key.public_key().public_bytes_raw()
    if _key_id(name, public_key) != key_id:
        raise InputError("key id does not match the name and key", where="signer key")
    return name, key_id, private_key


def generate_signer_key(name: str) -> tuple[str, str]:
    """A new Ed25519 key pair as (signer key, verifier key) strings."""
    _check_origin(name)
    private_key = Ed25519PrivateKey.generate()
    return signer_key_from_seed(name, private_key.private_bytes_raw())


def signer_key_from_seed(name: str, seed: bytes) -> tuple[str, str]:
    """The (signer key, verifier key) strings for a 32-byte Ed25519 seed."""
    _check_origin(name)
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    public_key = private_key.public_key().public_bytes_raw()
    key_id = _key_id(name, public_key)
    encoded = base64.b64encode(bytes([ED25519_ALGORITHM]) + seed).decode()
    signer = f"PRIVATE+KEY+{name}+{key_id.hex()}+{encoded}"
    return signer, str(VerifierKey(name, key_id, public_key))


def verifier_key_for(signer_key: str) -> str:
    name, key_id, private_key = _load_signer(signer_key)
    return str(VerifierKey(name, key_id, private_key.public_key().public_bytes_raw()))


def sign_note(body: str, signer_key: str) -> str:
    """Sign any note body (each line ending in a newline): body, blank line, signature line."""
    if not body.endswith("\n") or "\n\n" in body:
        raise InputError("must be non-empty lines, each ending with a newline", where="note body")
    name, key_id, private_key = _load_signer(signer_key)
    signature = private_key.sign(body.encode())
    encoded = base64.b64encode(key_id + signature).decode()
    return f"{body}\n{_SIGNATURE_PREFIX}{name} {encoded}\n"


def sign_checkpoint(checkpoint: Checkpoint, signer_key: str) -> str:
    """The full signed note of a checkpoint: body, blank line, one signature line."""
    return sign_note(checkpoint.body(), signer_key)


def _parse_body(body: str) -> Checkpoint:
    lines = body.split("\n")[:-1]  # body ends with "\n"
    if len(lines) < 3:
        raise InputError("needs origin, size and root hash lines", where="checkpoint body")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise InputError("is empty", where="checkpoint origin (line 1)")
    if (
        not size_text.isascii()
        or not size_text.isdigit()
        or (len(size_text) > 1 and size_text[0] == "0")
    ):
        raise InputError(
            f"{size_text!r} is not a decimal without leading zeros",
            where="checkpoint size (line 2)",
        )
    root_hash = _b64decode(root_text, "checkpoint root hash (line 3)")
    if len(root_hash) != _HASH_SIZE:
        raise InputError(
            f"must decode to {_HASH_SIZE} bytes", where="checkpoint root hash (line 3)"
        )
    for number, extension in enumerate(extensions, start=4):
        if not extension:
            raise InputError("is empty", where=f"checkpoint extension (line {number})")
    return Checkpoint(origin, int(size_text), root_hash, tuple(extensions))


def parse_signed_checkpoint(text: str) -> SignedCheckpoint:
    """Parse a signed checkpoint note; InputError names the malformed part."""
    if not text.endswith("\n"):
        raise InputError("must end with a newline", where="signed note")
    if any(c < " " and c != "\n" for c in text):
        raise InputError("contains control characters", where="signed note")
    body, separator, signature_block = text.partition("\n\n")
    if not separator:
        raise InputError("no blank line between body and signatures", where="signed note")
    body += "\n"
    signatures = []
    for number, line in enumerate(signature_block.split("\n")[:-1], start=1):
        where = f"signature line {number}"
        if not line.startswith(_SIGNATURE_PREFIX):
            raise InputError("must start with an em dash and a space", where=where)
        name, space, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
        if not space or not name or " " in encoded:
            raise InputError("expected '— <key name> <base64 signature>'", where=where)
        raw = _b64decode(encoded, where)
        if len(raw) < 5:
            raise InputError("signature too short", where=where)
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if not signatures:
        raise InputError("has no signature lines", where="signed note")
    return SignedCheckpoint(_parse_body(body), tuple(signatures), text)


def verify_checkpoint(text: str, verifier_key: str | VerifierKey) -> Checkpoint:
    """Return the checkpoint if a signature by ``verifier_key`` verifies; raise otherwise.

    Signatures by other keys are ignored, as the signed-note format requires.
    """
    key = (
        verifier_key if isinstance(verifier_key, VerifierKey) else parse_verifier_key(verifier_key)
    )
    signed = parse_signed_checkpoint(text)
    if signed.checkpoint.origin != key.name:
        raise CheckpointVerificationError(
            f"checkpoint origin {signed.checkpoint.origin!r} does not match key name {key.name!r}"
        )
    body = text.partition("\n\n")[0].encode() + b"\n"
    public_key = Ed25519PublicKey.from_public_bytes(key.public_key)
    candidates = [s for s in signed.signatures if s.key_name == key.name and s.key_id == key.key_id]
    if not candidates:
        raise CheckpointVerificationError(f"no signature by key {key.name}+{key.key_id.hex()}")
    for candidate in candidates:
        try:
            public_key.verify(candidate.signature, body)
        except InvalidSignature:
            continue
        return signed.checkpoint
    raise CheckpointVerificationError(
        f"signature by key {key.name}+{key.key_id.hex()} does not verify"
    )
