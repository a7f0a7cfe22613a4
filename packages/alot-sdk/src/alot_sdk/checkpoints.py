"""Remembered checkpoints: no split views.

A ledger operator could show one ledger to one player and another ledger to another,
each with a valid signature. Witnesses make that hard (each witness cosigns only
checkpoints consistent with what it cosigned before), and a client that *remembers*
the last cosigned checkpoint it saw makes it visible: every newer checkpoint it is
shown must come with a consistency proof from the remembered one, and one of the same
size must have the same root. A fork raises `SplitViewError` carrying both checkpoints
and is logged at ERROR level.

`CheckpointMemory` keeps, per ledger origin, the verifier key (pinned by the caller,
or trusted on first use) and the last cosigned checkpoint verified (size, root, note),
in memory or in a JSON file written atomically. `client.ledger.cosigned_checkpoint`
uses it; the checks themselves are here so the sync and async clients share them.

A memory file is meant for one process at a time: two processes writing the same file
can each overwrite what the other remembered (never with anything unverified).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from alot_verify.checkpoint import parse_verifier_key, verify_checkpoint
from alot_verify.cosignature import WitnessKey, parse_witness_key, verify_cosignature
from alot_verify.errors import AlotVerifyError, CheckpointVerificationError, InputError
from alot_verify.merkle import EMPTY_ROOT, verify_consistency

from alot_sdk.errors import CheckpointMemoryError, SplitViewError
from alot_sdk.models import WitnessCosignature, WitnessedCheckpoint

__all__ = ["CheckpointMemory", "CheckpointRecord"]

_log = logging.getLogger("alot_sdk.checkpoints")
_FORMAT = "alot-checkpoint-memory/1"


@dataclass(frozen=True)
class CheckpointRecord:
    """A checkpoint as remembered or shown: `root_hash` is hex, `note` the signed note
    (with its cosignatures) exactly as served."""

    origin: str
    size: int
    root_hash: str
    note: str


@dataclass
class _Log:
    verifier_key: str | None = None
    key_pinned: bool = False
    checkpoint: CheckpointRecord | None = None


class CheckpointMemory:
    """What a client remembers of each ledger it checked, by origin.

    `CheckpointMemory()` remembers for the life of the object; `CheckpointMemory(path)`
    in a JSON file (created on the first write, replaced atomically on each change), so
    a restarted program still knows what it saw. Thread-safe within one process.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else None
        self._lock = threading.RLock()
        self._logs: dict[str, _Log] = {}
        self._load()

    # -- reading ---------------------------------------------------------------------

    def verifier_key(self, origin: str) -> str | None:
        """The ledger key remembered for `origin` (pinned or first seen), if any."""
        with self._lock:
            self._load()
            log = self._logs.get(origin)
            return log.verifier_key if log else None

    def key_pinned(self, origin: str) -> bool:
        """Whether the caller pinned `origin`'s key (False: trusted on first use)."""
        with self._lock:
            self._load()
            log = self._logs.get(origin)
            return bool(log and log.key_pinned)

    def checkpoint(self, origin: str) -> CheckpointRecord | None:
        """The last cosigned checkpoint of `origin` verified and remembered, if any."""
        with self._lock:
            self._load()
            log = self._logs.get(origin)
            return log.checkpoint if log else None

    def origins(self) -> list[str]:
        with self._lock:
            self._load()
            return sorted(self._logs)

    # -- writing ---------------------------------------------------------------------

    def pin(self, verifier_key: str) -> None:
        """Pin a ledger's verifier key (its origin is the key's name), replacing any
        key remembered for it: a deliberate act, after checking the key out of band.
        The remembered checkpoint is kept."""
        origin = parse_verifier_key(verifier_key).name
        with self._lock:
            self._load()
            log = self._logs.setdefault(origin, _Log())
            log.verifier_key, log.key_pinned = verifier_key, True
            self._save()

    def forget(self, origin: str) -> None:
        """Forget everything about `origin` (its key and checkpoint)."""
        with self._lock:
            self._load()
            if self._logs.pop(origin, None) is not None:
                self._save()

    def _adopt_key(self, origin: str, verifier_key: str, *, pinned: bool) -> None:
        with self._lock:
            self._load()
            log = self._logs.setdefault(origin, _Log())
            if log.verifier_key is None:
                log.verifier_key, log.key_pinned = verifier_key, pinned
                self._save()
            elif pinned and not log.key_pinned and log.verifier_key == verifier_key:
                log.key_pinned = True
                self._save()

    def _replace(self, expected: CheckpointRecord | None, new: CheckpointRecord) -> bool:
        """Remember `new` if the memory still holds `expected` (else another caller
        moved it on meanwhile: check again)."""
        with self._lock:
            self._load()
            log = self._logs.setdefault(new.origin, _Log())
            if log.checkpoint != expected:
                return False
            log.checkpoint = new
            self._save()
            return True

    # -- the file --------------------------------------------------------------------

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(document, dict) or document.get("format") != _FORMAT:
                raise ValueError(f"not an {_FORMAT} document")
            logs: dict[str, _Log] = {}
            for origin, entry in document["logs"].items():
                remembered = entry.get("checkpoint")
                logs[origin] = _Log(
                    verifier_key=entry.get("verifier_key"),
                    key_pinned=bool(entry.get("key_pinned")),
                    checkpoint=(
                        CheckpointRecord(
                            origin,
                            int(remembered["size"]),
                            str(remembered["root_hash"]),
                            str(remembered["note"]),
                        )
                        if remembered
                        else None
                    ),
                )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            # Never start afresh silently: forgetting is what a split view needs.
            raise CheckpointMemoryError(
                f"checkpoint memory {self.path} cannot be read: {error}"
            ) from error
        self._logs = logs

    def _save(self) -> None:
        if self.path is None:
            return
        document = {
            "format": _FORMAT,
            "logs": {
                origin: {
                    "verifier_key": log.verifier_key,
                    "key_pinned": log.key_pinned,
                    "checkpoint": (
                        {
                            "size": log.checkpoint.size,
                            "root_hash": log.checkpoint.root_hash,
                            "note": log.checkpoint.note,
                        }
                        if log.checkpoint
                        else None
                    ),
                }
                for origin, log in sorted(self._logs.items())
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write a sibling file and rename it over the old one: a crash leaves either
        # the old memory or the new, never half of one.
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, ensure_ascii=False)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


# -- the checks (shared by Ledger and AsyncLedger) -------------------------------------


def served_origin(document: Any) -> str:
    """The origin of a served cosigned checkpoint (from its note, which is signed)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("note"), str):
        raise InputError("a cosigned checkpoint is a JSON object with a note", where="$")
    note: str = document["note"]
    return note.split("\n", 1)[0]


def key_to_use(memory: CheckpointMemory, origin: str, pinned: str | None) -> str | None:
    """The ledger key to verify `origin`'s checkpoints with: the caller's pin (which
    must agree with the memory), else the remembered key; None: trust on first use."""
    remembered = memory.verifier_key(origin)
    if pinned is not None:
        if remembered is not None and remembered != pinned:
            raise CheckpointMemoryError(
                f"the key pinned for ledger {origin} ({pinned}) is not the one this memory"
                f" remembers ({remembered}); if the operator really changed its key, call"
                " memory.pin(new_key) after checking it out of band"
            )
        memory._adopt_key(origin, pinned, pinned=True)
        return pinned
    return remembered


def trust_on_first_use(memory: CheckpointMemory, origin: str, served_key: str) -> str:
    """Remember the key the server serves for a ledger the memory has never seen."""
    if parse_verifier_key(served_key).name != origin:
        raise CheckpointVerificationError(
            f"the served verifier key {served_key} is not named for the ledger {origin}"
        )
    _log.warning(
        "trusting ledger %s's key %s on first use: compare it with the operator's"
        " statement and pin it",
        origin,
        served_key,
    )
    memory._adopt_key(origin, served_key, pinned=False)
    key = memory.verifier_key(origin)
    assert key is not None
    return key


def pinned_witnesses(witnesses: Iterable[str], quorum: int) -> dict[str, WitnessKey]:
    """The distinct witness keys pinned, by their text; ValueError for a quorum that
    is not 1..their number (checked before anything is fetched or remembered)."""
    if isinstance(witnesses, str):
        raise TypeError("witnesses is a list of witness verifier keys, not one key")
    pinned = {str(parse_witness_key(key)): parse_witness_key(key) for key in witnesses}
    if not 1 <= quorum <= len(pinned):
        raise ValueError(
            f"quorum must be 1..{len(pinned)} (the number of distinct witnesses pinned),"
            f" not {quorum}"
        )
    return pinned


def check_cosigned(
    document: Any, verifier_key: str, pinned: Mapping[str, WitnessKey], quorum: int
) -> tuple[CheckpointRecord, list[WitnessCosignature]]:
    """Verify the ledger's signature and at least `quorum` cosignatures by distinct
    pinned witnesses (`pinned_witnesses`); raise `CheckpointVerificationError`
    otherwise."""
    served_origin(document)
    note: str = document["note"]
    checkpoint = verify_checkpoint(note, verifier_key)
    valid = []
    for text, key in pinned.items():
        try:
            cosigned = verify_cosignature(note, key)
        except CheckpointVerificationError:
            continue
        valid.append(
            WitnessCosignature(witness=key.name, witness_key=text, cosigned_at=cosigned.timestamp)
        )
    if len(valid) < quorum:
        raise CheckpointVerificationError(
            f"checkpoint {checkpoint.origin} size {checkpoint.size} has {len(valid)} valid"
            f" cosignature(s) by the {len(pinned)} pinned witness(es), {quorum} needed"
        )
    record = CheckpointRecord(checkpoint.origin, checkpoint.size, checkpoint.root_hash.hex(), note)
    return record, valid


def proof_needed(
    remembered: CheckpointRecord | None, shown: CheckpointRecord
) -> tuple[int, int] | None:
    """The (old, new) sizes of the consistency proof to fetch, or None if none is."""
    if remembered is None or remembered.size == shown.size:
        return None
    old, new = sorted((remembered.size, shown.size))
    return None if old == 0 else (old, new)


def settle(
    memory: CheckpointMemory,
    remembered: CheckpointRecord | None,
    shown: CheckpointRecord,
    proof: Any,
) -> bool:
    """Check `shown` against `remembered` (with the consistency proof document fetched
    for `proof_needed`, or None) and remember the larger; False if the memory moved on
    meanwhile (check again). Raises `SplitViewError` on a fork."""
    if remembered is not None:
        if remembered.size == shown.size:
            if remembered.root_hash != shown.root_hash:
                fork(remembered, shown, "same size, different roots")
            return True  # nothing new to remember
        old, new = sorted([remembered, shown], key=lambda record: record.size)
        hashes = _proof_hashes(proof, old, new, remembered, shown) if old.size else []
        old_root = bytes.fromhex(old.root_hash) if old.size else EMPTY_ROOT
        try:
            verify_consistency(old.size, new.size, hashes, old_root, bytes.fromhex(new.root_hash))
        except AlotVerifyError as error:
            fork(
                remembered,
                shown,
                f"no valid consistency proof from {old.size} to {new.size}: {error}",
            )
        if shown.size < remembered.size:
            return True  # an older view, consistent: keep the newer one
    return memory._replace(remembered, shown)


def witnessed(
    record: CheckpointRecord,
    verifier_key: str,
    cosignatures: list[WitnessCosignature],
    remembered_size: int,
) -> WitnessedCheckpoint:
    return WitnessedCheckpoint(
        origin=record.origin,
        verifier_key=verifier_key,
        size=record.size,
        root_hash=record.root_hash,
        note=record.note,
        cosignatures=cosignatures,
        remembered_size=remembered_size,
    )


def _proof_hashes(
    proof: Any,
    old: CheckpointRecord,
    new: CheckpointRecord,
    remembered: CheckpointRecord,
    shown: CheckpointRecord,
) -> list[bytes]:
    hashes = proof.get("proof") if isinstance(proof, Mapping) else None
    try:
        if not isinstance(hashes, list):
            raise ValueError("no proof array")
        decoded = [bytes.fromhex(item) for item in hashes]
    except (TypeError, ValueError) as error:
        fork(
            remembered, shown, f"malformed consistency proof from {old.size} to {new.size}: {error}"
        )
    if (proof.get("old_size"), proof.get("new_size")) != (old.size, new.size):
        fork(remembered, shown, f"the consistency proof is not from {old.size} to {new.size}")
    return decoded


def fork(remembered: CheckpointRecord, shown: CheckpointRecord, reason: str) -> NoReturn:
    """Report a split view: log it at ERROR level with both notes, and raise it."""
    error = SplitViewError(remembered, shown, reason)
    _log.error("%s\nremembered:\n%s\nshown:\n%s", error, remembered.note, shown.note)
    raise error
