"""Signed checkpoints: C2SP tlog-checkpoint notes over the ledger's Merkle tree.

A checkpoint commits the ledger to (size, root) and is signed with Ed25519 by the
ledger's key, whose name is the checkpoint origin. It is made in its own DB transaction
from the committed chain head, so it can never cover a transaction that is not
committed. ``Checkpointer.checkpoint`` makes one on demand; ``checkpoint_if_due`` is what
a scheduler calls periodically.

The signer key comes from ``ALOT_LEDGER_SIGNING_KEY_FILE``; without it a development key
is generated under ``ALOT_VAR_DIR`` on first use, with a warning.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alot_verify.checkpoint import (
    Checkpoint,
    generate_signer_key,
    sign_checkpoint,
    verifier_key_for,
)
from alot_verify.errors import InputError
from alot_verify.merkle import CompactRange
from sqlalchemy.engine import Engine

from alot_ledger.appender import utc_timestamp
from alot_ledger.repository import LedgerRepository, StoredCheckpoint
from alot_ledger.settings import LedgerSettings

_log = logging.getLogger(__name__)
DEV_KEY_NAME = "ledger-signing.key"


class SigningKeyError(RuntimeError):
    """The configured signing key cannot be used (unreadable, malformed, wrong name)."""


def _check_key(signer_key: str, origin: str, source: str) -> str:
    try:
        verifier = verifier_key_for(signer_key)
    except InputError as exc:
        raise SigningKeyError(f"{source}: not a signer key: {exc}") from exc
    name = verifier.split("+", 1)[0]
    if name != origin:
        raise SigningKeyError(f"{source}: key name {name!r} is not the origin {origin!r}")
    return signer_key


def load_signer_key(settings: LedgerSettings) -> str:
    """The signer key from the configured file, or the dev key under the var dir."""
    origin = settings.ledger_origin
    if settings.ledger_signing_key_file is not None:
        path = settings.ledger_signing_key_file
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SigningKeyError(
                f"cannot read ALOT_LEDGER_SIGNING_KEY_FILE {path}: {exc}"
            ) from exc
        return _check_key(text, origin, str(path))
    path = settings.var_dir / DEV_KEY_NAME
    if path.exists():
        return _check_key(path.read_text(encoding="utf-8").strip(), origin, str(path))
    signer, _ = generate_signer_key(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(signer + "\n")
    _log.warning(
        "generated a development ledger signing key at %s; set ALOT_LEDGER_SIGNING_KEY_FILE"
        " to a key you keep safe before anyone relies on these checkpoints",
        path,
    )
    return signer


@dataclass(frozen=True)
class Checkpointer:
    """Makes and signs checkpoints with one key."""

    signer_key: str

    @classmethod
    def from_settings(cls, settings: LedgerSettings | None = None) -> Checkpointer:
        return cls(load_signer_key(settings or LedgerSettings()))

    @property
    def verifier_key(self) -> str:
        """The public key anyone uses to check this ledger's checkpoints."""
        return verifier_key_for(self.signer_key)

    @property
    def origin(self) -> str:
        return self.verifier_key.split("+", 1)[0]

    def checkpoint(self, engine: Engine) -> StoredCheckpoint:
        """Checkpoint the committed ledger now (or return the latest if nothing is new)."""
        with engine.begin() as connection:
            store = LedgerRepository(connection)
            # Read without the head lock: this sees only committed appends, and the
            # Merkle peaks stored with the head belong to exactly that size.
            state = store.read_head()
            latest = store.checkpoint()
            if latest is not None and latest.size >= state.size:
                return latest
            root = CompactRange.from_state(state.size, state.peaks).root()
            note = sign_checkpoint(Checkpoint(self.origin, state.size, root), self.signer_key)
            store.insert_checkpoint(
                StoredCheckpoint(state.size, root.hex(), self.origin, note, utc_timestamp())
            )
            stored = store.checkpoint(state.size)
        assert stored is not None
        return stored

    def checkpoint_if_due(
        self, engine: Engine, interval: timedelta, *, now: datetime | None = None
    ) -> StoredCheckpoint | None:
        """Checkpoint if the ledger grew and the latest checkpoint is older than interval."""
        with engine.connect() as connection:
            store = LedgerRepository(connection)
            latest = store.checkpoint()
            size = store.read_head().size
        if latest is not None:
            if latest.size >= size:
                return None
            made = datetime.strptime(latest.created_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
            if (now or datetime.now(UTC)) - made < interval:
                return None
        return self.checkpoint(engine)


class PeriodicCheckpoints:
    """A background thread calling ``checkpoint_if_due`` (for the standalone app)."""

    def __init__(self, checkpointer: Checkpointer, engine: Engine, interval: float) -> None:
        self._checkpointer = checkpointer
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._checkpointer.checkpoint_if_due(
                    self._engine, timedelta(seconds=self._interval)
                )
            except Exception:  # keep checkpointing after a transient database error
                _log.exception("periodic ledger checkpoint failed")
