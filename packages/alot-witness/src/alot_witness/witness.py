"""add-checkpoint: verify a log's checkpoint and its consistency with what was cosigned.

Implements the checks of C2SP tlog-witness in its order: parse (400), known origin (404),
a valid signature by a trusted key (403), old size not above the checkpoint's (400), old
size equal to the latest cosigned size (409 with that size), the consistency proof
(422), the same root at equal size (409); then cosign, store, answer 200.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from alot_verify.checkpoint import (
    VerifierKey,
    parse_signed_checkpoint,
    parse_verifier_key,
    verify_checkpoint,
)
from alot_verify.cosignature import cosign
from alot_verify.errors import CheckpointVerificationError, InputError, ProofVerificationError
from alot_verify.merkle import EMPTY_ROOT, verify_consistency

from alot_witness.state import Latest, WitnessState

MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class _Refused(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.body)
        self.answer = answer


def _refuse(status: int, reason: str) -> _Refused:
    return _Refused(Answer(status, reason + "\n"))


@dataclass(frozen=True)
class _Request:
    old_size: int
    proof: list[bytes]
    note: str


def _parse_request(body: bytes) -> _Request:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(400, "request body is not UTF-8") from exc
    head, separator, note = text.partition("\n\n")
    if not separator:
        raise _refuse(400, "expected the old size and proof lines, an empty line, a checkpoint")
    lines = head.split("\n")
    first = lines[0]
    size_text = first[len("old ") :] if first.startswith("old ") else ""
    if (
        not size_text.isdigit()
        or not size_text.isascii()
        or (len(size_text) > 1 and size_text[0] == "0")
    ):
        raise _refuse(400, "first line must be 'old <size>' in decimal without leading zeros")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise _refuse(400, f"at most {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for number, line in enumerate(proof_lines, start=2):
        try:
            value = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _refuse(400, f"line {number}: not base64") from exc
        if len(value) != 32:
            raise _refuse(400, f"line {number}: a proof hash is 32 bytes")
        proof.append(value)
    return _Request(int(size_text), proof, note)


class Witness:
    """A witness named by its signer key, trusting the given log keys (one per origin)."""

    def __init__(
        self,
        signer_key: str,
        log_keys: list[str],
        state: WitnessState,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signer_key = signer_key
        logs: dict[str, list[VerifierKey]] = {}
        for text in log_keys:
            key = parse_verifier_key(text)
            logs.setdefault(key.name, []).append(key)
        self._logs: Mapping[str, list[VerifierKey]] = logs
        self._state = state
        self._clock = clock

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            return self._add_checkpoint(body)
        except _Refused as refused:
            return refused.answer

    def _add_checkpoint(self, body: bytes) -> Answer:
        request = _parse_request(body)
        try:
            signed = parse_signed_checkpoint(request.note)
        except InputError as exc:
            raise _refuse(400, f"checkpoint: {exc}") from exc
        checkpoint = signed.checkpoint
        keys = self._logs.get(checkpoint.origin)
        if not keys:
            raise _refuse(404, f"unknown log {checkpoint.origin}")
        if not any(self._signed_by(request.note, key) for key in keys):
            raise _refuse(403, "no signature by a trusted key of this log verifies")
        if request.old_size > checkpoint.size:
            raise _refuse(400, "old size is larger than the checkpoint's size")
        if request.old_size == 0 and request.proof:
            raise _refuse(400, "the proof from size 0 must be empty")

        def decide(latest: Latest | None) -> str:
            cosigned_size = 0 if latest is None else latest.size
            if request.old_size != cosigned_size:
                raise _Refused(Answer(409, f"{cosigned_size}\n", SIZE_CONTENT_TYPE))
            old_root = EMPTY_ROOT if latest is None else latest.root_hash
            if latest is not None and latest.size == checkpoint.size:
                if latest.root_hash != checkpoint.root_hash:
                    raise _refuse(409, "same size as the cosigned checkpoint, different root")
            else:
                try:
                    verify_consistency(
                        request.old_size,
                        checkpoint.size,
                        request.proof,
                        old_root,
                        checkpoint.root_hash,
                    )
                except ProofVerificationError as exc:
                    raise _refuse(422, f"consistency proof does not verify: {exc}") from exc
            return cosign(checkpoint, self._signer_key, int(self._clock()))

        def record(line: str) -> tuple[int, bytes, str, int]:
            return checkpoint.size, checkpoint.root_hash, request.note + line, int(self._clock())

        line = self._state.advance(checkpoint.origin, decide, record)
        return Answer(200, line)

    @staticmethod
    def _signed_by(note: str, key: VerifierKey) -> bool:
        try:
            verify_checkpoint(note, key)
        except CheckpointVerificationError:
            return False
        return True
