"""The verifier's exceptions.

Two families, because they mean different things to an auditor:

    AlotVerifyError
     +-- InputError              the input could not be read (CLI exit 2): malformed JSON,
     |                           a missing field, wrong hex length, a truncated file
     +-- VerificationError       the input was read and something did not match (exit 1)
          +-- DrawVerificationError        one or more draw checks failed (``failures``)
          +-- ProofVerificationError       an inclusion or consistency proof is wrong
          +-- CheckpointVerificationError  a checkpoint's signature does not verify
          +-- LedgerVerificationError      a ledger export line failed a check
          +-- AuditLogVerificationError    an audit log entry breaks the hash chain

Verifiers never return booleans: they return what they verified or raise one of these,
with a message that names exactly what did not match.
"""

from __future__ import annotations

from dataclasses import dataclass


class AlotVerifyError(Exception):
    """Base of every error raised by alot_verify."""


class InputError(AlotVerifyError, ValueError):
    """The input is malformed; ``where`` names the line or field when known."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class VerificationError(AlotVerifyError):
    """The input was well formed but did not verify."""


@dataclass(frozen=True)
class FieldMismatch:
    """One failed check: ``field`` holds ``actual`` where ``expected`` was required."""

    field: str
    expected: str
    actual: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.field}: expected {self.expected}, got {self.actual}"
        return f"{text} ({self.detail})" if self.detail else text


class DrawVerificationError(VerificationError):
    """A draw proof failed one or more checks, each named in ``failures``."""

    def __init__(self, failures: list[FieldMismatch]) -> None:
        self.failures = failures
        super().__init__("; ".join(str(f) for f in failures))


class ProofVerificationError(VerificationError):
    """A Merkle inclusion or consistency proof does not verify."""


class CheckpointVerificationError(VerificationError):
    """A checkpoint's signature does not verify against the given key."""


class LedgerVerificationError(VerificationError):
    """A ledger export failed a check; ``line`` and ``seq`` locate it when known."""

    def __init__(self, message: str, *, line: int | None = None, seq: int | None = None) -> None:
        self.line = line
        self.seq = seq
        where = ", ".join(
            part
            for part in (
                f"line {line}" if line is not None else "",
                f"seq {seq}" if seq is not None else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class AuditLogVerificationError(VerificationError):
    """An audit log entry does not verify; ``seq`` names the first bad entry."""

    def __init__(self, seq: int, message: str) -> None:
        self.seq = seq
        super().__init__(f"seq {seq}: {message}")
