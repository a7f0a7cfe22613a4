"""Encryption at rest: personal fields (full name, date of birth, later addresses) and
the server seeds of lots not yet drawn.

AES-256-GCM with the row and column as associated data, so a ciphertext copied into
another row or column does not decrypt. Stored form: `v1.<key id>.<base64url(nonce ||
ciphertext)>`; the key id (first 4 bytes of SHA-256 of the key, hex) lets several keys
coexist: the first configured key encrypts, every configured key decrypts, which is how
keys are rotated. Encrypted fields are not searchable; a field that must be looked up
would get a keyed hash (blind index) column beside it.

A server seed decides its lot's winner, so a database dump, replica or backup that
showed the seeds of open lots would show their outcomes. `SeedSealer` seals each seed
with keys of its own (derived from the field keys, see `Keys.seed_sealing`) and the lot
id as associated data: a sealed seed copied onto another lot does not unseal. Once the
lot is drawn the seed is public (the draw proof and the ledger carry it).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import uuid
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class FieldDecryptionError(Exception):
    """A stored field could not be decrypted (unknown key, tampered, or moved)."""


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class FieldCipher:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._current = (_key_id(keys[0]), AESGCM(keys[0]))
        self._by_id = {_key_id(k): AESGCM(k) for k in keys}

    def encrypt(self, plaintext: str, context: str) -> str:
        key_id, aead = self._current
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"v1.{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, context: str) -> str:
        try:
            version, key_id, payload = stored.split(".", 2)
            aead = self._by_id[key_id]
            raw = base64.urlsafe_b64decode(payload)
            if version != "v1":
                raise ValueError(version)
            return aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (ValueError, KeyError, InvalidTag) as error:
            raise FieldDecryptionError(f"cannot decrypt field ({context})") from error


class SeedUnsealError(FieldDecryptionError):
    """A lot's sealed server seed could not be unsealed."""


_PLAINTEXT_SEED = re.compile(r"[0-9a-f]{64}")


class SeedSealer:
    """Seal and unseal lots' server seeds (AES-256-GCM, lot id as associated data).

    The first key seals, every key unseals; `alot keys reseal-seeds` moves sealed seeds
    to the first key after a rotation.
    """

    def __init__(self, keys: Sequence[bytes]) -> None:
        self._cipher = FieldCipher(keys)
        self.current_key_id = _key_id(keys[0])

    def seal(self, server_seed: str, lot_id: uuid.UUID) -> str:
        if not is_plaintext_seed(server_seed):
            raise ValueError("a server seed is 64 lowercase hex characters")
        return self._cipher.encrypt(server_seed, _seed_context(lot_id))

    def unseal(self, sealed: str, lot_id: uuid.UUID) -> str:
        try:
            return self._cipher.decrypt(sealed, _seed_context(lot_id))
        except FieldDecryptionError as error:
            raise SeedUnsealError(
                f"the server seed of lot {lot_id} does not unseal: it was sealed for another"
                " lot, altered, or sealed with a key no longer in ALOT_FIELD_ENCRYPTION_KEYS"
            ) from error

    def is_current(self, sealed: str) -> bool:
        """Whether ``sealed`` is sealed with the newest key (nothing to re-seal)."""
        return sealed.split(".", 2)[1:2] == [self.current_key_id]


def is_plaintext_seed(stored: str) -> bool:
    """A seed stored in the clear (before seeds were sealed) rather than sealed."""
    return _PLAINTEXT_SEED.fullmatch(stored) is not None


def _seed_context(lot_id: uuid.UUID) -> str:
    return f"lots.server_seed_sealed:{lot_id}"
