"""Submitting the ledger's latest checkpoint to each configured witness.

Runs in the scheduler's tick after the checkpoint job: for each witness (ALOT_WITNESSES)
that has not cosigned the latest checkpoint, send it with the consistency proof from the
size that witness last cosigned (C2SP tlog-witness). A witness that remembers another
size answers 409 with it; the submission is retried once from that size. Anything else
(the witness down, a refusal) is logged and retried at the next tick: a missing
cosignature delays the evidence, it never blocks the ledger.

Each cosignature is verified against the witness's configured key before it is stored,
so what the platform serves is what any auditor can check.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime

import httpx
from alot_ledger.repository import LedgerRepository, StoredCheckpoint
from alot_ledger.service import Ledger, connection_of
from alot_verify.cosignature import parse_witness_key, verify_cosignature
from alot_verify.errors import AlotVerifyError
from sqlalchemy.orm import Session

from alot_platform.config import WitnessSetting
from alot_platform.witnesses.models import WitnessCosignature
from alot_platform.witnesses.repository import WitnessRepository

_log = logging.getLogger(__name__)

SIZE_CONTENT_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class _Reply:
    status: int
    content_type: str
    text: str


class WitnessSubmitter:
    def __init__(
        self, session: Session, witnesses: tuple[WitnessSetting, ...], *, timeout: float = 10.0
    ) -> None:
        self.session = session
        self.witnesses = witnesses
        self._timeout = timeout
        self._repository = WitnessRepository(session)

    def submit_latest(self, now: datetime) -> int:
        """Submit the latest checkpoint to every witness that lacks it; return how many
        new cosignatures were stored (the caller commits)."""
        latest = LedgerRepository(connection_of(self.session)).checkpoint()
        if latest is None or not self.witnesses:
            return 0
        stored = 0
        for witness in self.witnesses:
            if self._repository.has(witness.key, latest.size):
                continue
            line = self._cosign(witness, latest)
            if line is None:
                continue
            timestamp = verify_cosignature(latest.note + line, witness.key).timestamp
            self._repository.add(
                WitnessCosignature(
                    witness_key=witness.key,
                    checkpoint_size=latest.size,
                    witness_name=parse_witness_key(witness.key).name,
                    cosignature=line,
                    cosigned_at=timestamp,
                    created_at=now,
                )
            )
            stored += 1
        return stored

    def _cosign(self, witness: WitnessSetting, checkpoint: StoredCheckpoint) -> str | None:
        name = parse_witness_key(witness.key).name
        old_size = self._repository.cosigned_size(witness.key)
        for _attempt in range(2):
            if old_size > checkpoint.size:
                _log.error(
                    "witness %s has cosigned size %s, larger than our latest checkpoint %s",
                    name,
                    old_size,
                    checkpoint.size,
                )
                return None
            reply = self._post(witness, old_size, checkpoint)
            if reply is None:
                return None
            if reply.status == 200:
                return self._own_line(reply.text, witness, checkpoint)
            if reply.status == 409 and reply.content_type.startswith(SIZE_CONTENT_TYPE):
                # The witness remembers another size (its state, or a cosignature we
                # did not store): prove consistency from there.
                try:
                    old_size = int(reply.text.strip())
                except ValueError:
                    break
                continue
            _log.error(
                "witness %s refused checkpoint %s (%s): %s",
                name,
                checkpoint.size,
                reply.status,
                reply.text.strip()[:300],
            )
            return None
        _log.error("witness %s: no cosignature for checkpoint %s", name, checkpoint.size)
        return None

    def _post(
        self, witness: WitnessSetting, old_size: int, checkpoint: StoredCheckpoint
    ) -> _Reply | None:
        proof = Ledger(self.session).consistency_proof(old_size, checkpoint.size).path
        lines = [f"old {old_size}"] + [base64.b64encode(h).decode() for h in proof]
        body = "".join(line + "\n" for line in lines) + "\n" + checkpoint.note
        try:
            response = httpx.post(
                witness.url.rstrip("/") + "/add-checkpoint",
                content=body.encode(),
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            _log.warning("witness %s unreachable: %s", witness.url, error)
            return None
        return _Reply(response.status_code, response.headers.get("content-type", ""), response.text)

    @staticmethod
    def _own_line(text: str, witness: WitnessSetting, checkpoint: StoredCheckpoint) -> str | None:
        """The reply's line by this witness's key that verifies, or None."""
        for line in text.splitlines(keepends=True):
            try:
                verify_cosignature(checkpoint.note + line, witness.key)
            except AlotVerifyError:
                continue
            return line
        _log.error(
            "witness %s answered 200 without a valid cosignature of checkpoint %s",
            witness.url,
            checkpoint.size,
        )
        return None


def cosigned_checkpoint(session: Session) -> tuple[StoredCheckpoint, list[WitnessCosignature]]:
    """The latest checkpoint and the cosignatures stored for it."""
    latest = LedgerRepository(connection_of(session)).checkpoint()
    if latest is None:
        from alot_platform.errors import NotFound

        raise NotFound("no checkpoint has been made yet")
    return latest, WitnessRepository(session).of_size(latest.size)
