"""Encryption at rest for personal fields (full name, date of birth, later addresses).

AES-256-GCM with the row and column as associated data, so a ciphertext copied into
another row or column does not decrypt. Stored form: `v1.<key id>.<base64url(nonce ||
ciphertext)>`; the key id (first 4 bytes of SHA-256 of the key, hex) lets several keys
coexist: the first configured key encrypts, every configured key decrypts, which is how
keys are rotated. Encrypted fields are not searchable; a field that must be looked up
would get a keyed hash (blind index) column beside it.
"""

from __future__ import annotations

import base64
import hashlib
import os
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
