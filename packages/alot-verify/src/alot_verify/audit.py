"""The admin and host audit log: one hash chain over JSON entries (docs/spec/audit-log.md).

An entry is a JSON object with exactly the members ``seq``, ``at``, ``actor_id``,
``actor_roles``, ``action``, ``target_type``, ``target_id``, ``details``, ``prev_hash``
and ``hash``. ``hash`` is the lowercase hex SHA-256 of the canonical JSON (RFC 8785,
see :mod:`alot_verify.canonical`) of the entry without its ``hash`` member;
``prev_hash`` is the previous entry's ``hash``, and 64 zeros for seq 1. Seqs run
1, 2, 3, ... with no gap.

The platform computes ``hash`` with :func:`entry_hash` when it appends, so writer and
verifier share one definition.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from alot_verify.canonical import canonical_json
from alot_verify.errors import AuditLogVerificationError, InputError

GENESIS_HASH = "0" * 64
ENTRY_FIELDS = frozenset(
    {
        "seq",
        "at",
        "actor_id",
        "actor_roles",
        "action",
        "target_type",
        "target_id",
        "details",
        "prev_hash",
        "hash",
    }
)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ACTION = re.compile(r"[a-z][a-z0-9_]*")
_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``entry`` without its ``hash`` member."""
    body = {name: value for name, value in entry.items() if name != "hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class AuditLogSummary:
    """What a verified log holds: its size and the last entry's hash."""

    entries: int
    head_hash: str


def _check_shape(entry: Any, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise InputError("an entry must be a JSON object", where=where)
    missing = ENTRY_FIELDS - entry.keys()
    extra = entry.keys() - ENTRY_FIELDS
    if missing or extra:
        parts = [f"missing {sorted(missing)}"] if missing else []
        parts += [f"unexpected {sorted(extra)}"] if extra else []
        raise InputError("; ".join(parts), where=where)
    if not isinstance(entry["seq"], int) or isinstance(entry["seq"], bool):
        raise InputError("seq must be an integer", where=where)
    for name in ("prev_hash", "hash"):
        if not isinstance(entry[name], str) or not _HEX64.fullmatch(entry[name]):
            raise InputError(f"{name} must be 64 lowercase hex digits", where=where)
    return entry


def parse_audit_log(text: str) -> list[dict[str, Any]]:
    """Entries from an export: JSON Lines (one entry per line), or one JSON document that
    is an array of entries or an object with an ``entries`` array."""
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        documents: Any = [
            _loads(line, f"line {number}")
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    else:
        documents = whole["entries"] if isinstance(whole, dict) and "entries" in whole else whole
        if isinstance(documents, dict):  # a one-line JSON Lines file
            documents = [documents]
    if not isinstance(documents, list):
        raise InputError('expected JSON Lines, an array of entries or {"entries": [...]}')
    return [_check_shape(entry, f"entry {i}") for i, entry in enumerate(documents, start=1)]


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", where=where) from exc


def verify_audit_log(entries: Iterable[Mapping[str, Any]]) -> AuditLogSummary:
    """Recompute the chain; raise AuditLogVerificationError at the first bad entry."""
    previous = GENESIS_HASH
    count = 0
    for expected_seq, entry in enumerate(entries, start=1):
        seq = entry["seq"]
        if seq != expected_seq:
            raise AuditLogVerificationError(
                expected_seq,
                f"expected seq {expected_seq}, got {seq} (entries missing, repeated or "
                "out of order)",
            )
        if not isinstance(entry["action"], str) or not _ACTION.fullmatch(entry["action"]):
            raise AuditLogVerificationError(seq, "action must be snake_case")
        if not isinstance(entry["at"], str) or not _AT.fullmatch(entry["at"]):
            raise AuditLogVerificationError(seq, "at must be YYYY-MM-DDTHH:MM:SS.ffffffZ")
        if entry["prev_hash"] != previous:
            raise AuditLogVerificationError(
                seq, f"prev_hash {entry['prev_hash']} does not link to {previous}"
            )
        try:
            computed = entry_hash(entry)
        except InputError as exc:
            raise AuditLogVerificationError(seq, f"cannot be hashed: {exc}") from exc
        if computed != entry["hash"]:
            raise AuditLogVerificationError(
                seq, f"hash {entry['hash']} does not match the entry (computed {computed})"
            )
        previous = computed
        count = seq
    return AuditLogSummary(entries=count, head_hash=previous)
