"""Secret material: the signing secret and the field-encryption keys (which also seal
server seeds, through keys derived from them).

In production both come from configuration and a missing one stops start-up. In
development and tests they are generated once under `<var_dir>/keys/` (git-ignored)
with a logged warning, so `make run` needs no set-up and re-runs keep their sessions
and can still decrypt what they stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alot_platform.config import Settings

_log = logging.getLogger(__name__)


class MissingSecretError(RuntimeError):
    """A secret needed at start-up is not configured and may not be generated here."""


@dataclass(frozen=True)
class Keys:
    """Secret material, with one derived key per purpose so no key serves two uses."""

    secret: bytes
    field_encryption: tuple[bytes, ...]

    def derive(self, purpose: str) -> bytes:
        return hmac.new(self.secret, b"alot-key:" + purpose.encode(), hashlib.sha256).digest()

    @property
    def jwt(self) -> bytes:
        return self.derive("jwt")

    @property
    def csrf(self) -> bytes:
        return self.derive("csrf")

    @property
    def seed_sealing(self) -> tuple[bytes, ...]:
        """The keys that seal server seeds: one per field key, in the same order (so the
        field keys' rotation rotates them), derived so that no key serves two uses."""
        return tuple(
            hmac.new(key, b"alot-key:seed-sealing", hashlib.sha256).digest()
            for key in self.field_encryption
        )


def load_keys(settings: Settings) -> Keys:
    made: list[tuple[str, str]] = []  # (file, the setting that replaces it) generated now
    if settings.secret_key is not None:
        secret = settings.secret_key.get_secret_value().encode()
        if len(secret) < 32:
            raise MissingSecretError("ALOT_SECRET_KEY must be at least 32 characters")
    else:
        secret = _generated(
            settings,
            "secret.key",
            lambda: secrets.token_urlsafe(48),
            made=made,
            setting="ALOT_SECRET_KEY",
        ).encode()
    if settings.field_encryption_keys is not None:
        encoded = [k.strip() for k in settings.field_encryption_keys.get_secret_value().split(",")]
    else:
        encoded = [
            _generated(
                settings,
                "field_encryption.key",
                lambda: base64.urlsafe_b64encode(os.urandom(32)).decode(),
                made=made,
                setting="ALOT_FIELD_ENCRYPTION_KEYS",
            )
        ]
    _warn_generated(settings, made)
    field_keys = tuple(_decode_field_key(k) for k in encoded if k)
    if not field_keys:
        raise MissingSecretError("ALOT_FIELD_ENCRYPTION_KEYS holds no key")
    return Keys(secret=secret, field_encryption=field_keys)


def _decode_field_key(encoded: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        raise MissingSecretError("a field encryption key is not base64url") from None
    if len(key) != 32:
        raise MissingSecretError("a field encryption key must be 32 bytes (base64url)")
    return key


def _warn_generated(settings: Settings, made: list[tuple[str, str]]) -> None:
    """One warning for the keys this call generated: which ones, and where they live."""
    if not made:
        return
    folder = (settings.var_dir / "keys").resolve()
    _log.warning(
        "generated development key(s) %s in %s (kept for the next runs; git-ignored);"
        " production sets %s instead",
        ", ".join(name for name, _ in made),
        folder,
        " and ".join(setting for _, setting in made),
        extra={"key_dir": str(folder)},
    )


def _generated(
    settings: Settings,
    name: str,
    make: Callable[[], str],
    *,
    made: list[tuple[str, str]],
    setting: str,
) -> str:
    """The key kept in ``<var_dir>/keys/<name>``, generated now if absent (never in production).

    A generated key is added to ``made`` (with the ``setting`` that replaces it in
    production) for the caller's one warning.
    """
    folder: Path = settings.var_dir / "keys"
    path = folder / name
    if path.exists():
        return path.read_text().strip()
    if not settings.dev_tools_enabled:
        raise MissingSecretError(f"{name} is not configured; production never generates keys")
    value = make()
    _private_dir(settings.var_dir)
    _private_dir(folder)
    # Written whole to a temporary file, then linked into place: if two processes (two
    # workers) start at once, one key wins and the other process reads it, never a
    # half-written file.
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        os.unlink(temporary)
    made.append((name, setting))
    return value


def _private_dir(path: Path) -> None:
    """Create ``path`` readable by its owner only (an existing one is left as it is)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
