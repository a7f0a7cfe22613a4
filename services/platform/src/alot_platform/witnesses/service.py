"""Submitting the ledger's latest checkpoint to each configured witness.

Runs in the scheduler's tick after the checkpoint job: for each witness (ALOT_WITNESSES)
that has not cosigned the latest checkpoint, send it with the consistency proof from the
size that witness last cosigned (C2SP tlog-witness). A witness that remembers another
size answers 409 with it; the submission is retried once from that size. Anything else
(the witness down, a refusal) is logged and retried at the next tick: a missing
cosignature delays the evidence, it never blocks the ledger.

Each cosignature is verified against the witness's configured key before it is stored,
so what the platform serves is what any auditor can check.

The tick's submission comes up to a checkpoint interval plus a tick after a lot's
funding, later than its beacon round (30 s after funding): the timing evidence of a
draw (docs/spec/draw.md, witnessed timing) needs a cosignature over the freeze memo
from before that round. So the draw task first calls ``witness_freeze``: it signs a
checkpoint covering the freeze memo, if none does yet, and submits it at once.
"""

from __future__ import annotations

import base64
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
from alot_ledger import Checkpointer
from alot_ledger.repository import LedgerRepository, StoredCheckpoint
from alot_ledger.service import Ledger, connection_of
from alot_verify.cosignature import parse_witness_key, verify_cosignature
from alot_verify.errors import AlotVerifyError
from prometheus_client import Counter
from sqlalchemy.orm import Session

from alot_platform.config import WitnessSetting
from alot_platform.db import unit_of_work
from alot_platform.draws.repository import DrawRepository
from alot_platform.errors import NotFound
from alot_platform.ledger.endpoints import ledger_settings
from alot_platform.lots.models import Lot, LotStatus
from alot_platform.witnesses.models import WitnessCosignature
from alot_platform.witnesses.repository import WitnessRepository

if TYPE_CHECKING:
    from alot_platform.context import PlatformContext

_log = logging.getLogger(__name__)

SIZE_CONTENT_TYPE = "text/x.tlog.size"
FREEZE_TIMEOUT_SECONDS = 5.0
"""How long the draw task waits for each witness (each request) when it submits the
checkpoint covering a freeze: a witness that is down costs the draw this much, once."""

SUBMISSION_FAILURES = Counter(
    "alot_witness_submission_failures",
    "Checkpoint submissions that got no cosignature (witness down, refusal), by witness.",
    ["witness"],
)


class NoCosignedCheckpoint(NotFound):
    code = "no_cosigned_checkpoint"
    title = "No cosigned checkpoint covers this seq"


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
        self.failed = 0
        """Witnesses that gave no cosignature in this submitter's calls."""

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
                self.failed += 1
                SUBMISSION_FAILURES.labels(parse_witness_key(witness.key).name).inc()
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


@dataclass(frozen=True)
class FreezeWitnessing:
    """What ``witness_freeze`` did for one lot."""

    seq: int
    """The freeze memo's ledger seq."""
    checkpoint_size: int
    """The checkpoint submitted (or already cosigned), covering the freeze."""
    cosignatures_stored: int
    missing: int
    """Configured witnesses still without a cosignature covering the freeze."""


def witness_freeze(platform: PlatformContext, lot_id: uuid.UUID) -> FreezeWitnessing | None:
    """Have the configured witnesses cosign a checkpoint covering the lot's freeze memo.

    Called by the draw task before it reads the beacon. Without witnesses, or for a lot
    not funded (drawn already, or never frozen), it does nothing. Idempotent: witnesses
    that cosigned a checkpoint covering the freeze are not asked again, and a checkpoint
    already covering it is not signed again. It never blocks the draw: a witness that
    is down is logged and counted (``alot_witness_submission_failures``) and the tick
    submits to it later; an error here is logged and the draw goes on as before.
    """
    witnesses = platform.settings.witnesses
    if not witnesses:
        return None
    try:
        return _witness_freeze(platform, lot_id, witnesses)
    except Exception:
        _log.exception("lot %s: the freeze could not be submitted to the witnesses", lot_id)
        return None


def _witness_freeze(
    platform: PlatformContext, lot_id: uuid.UUID, witnesses: tuple[WitnessSetting, ...]
) -> FreezeWitnessing | None:
    with contextmanager(unit_of_work)(platform.database) as session:
        draw = DrawRepository(session).get_for_lot(lot_id)
        lot = session.get(Lot, lot_id)
        lot_funded = lot is not None and lot.status == LotStatus.FUNDED.value
        seq = None if draw is None or not lot_funded else draw.inputs_ledger_seq
        if seq is None:
            return None
        covered = WitnessRepository(session).covering_keys(seq)
        latest = LedgerRepository(connection_of(session)).checkpoint()
    missing = tuple(w for w in witnesses if w.key not in covered)
    if not missing:
        assert latest is not None  # a cosignature covering seq is of a stored checkpoint
        return FreezeWitnessing(seq, latest.size, 0, 0)
    if latest is None or latest.size < seq:
        # Signed from the committed head: the freeze memo committed with the funding.
        checkpointer = Checkpointer.from_settings(ledger_settings(platform.settings))
        latest = checkpointer.checkpoint(platform.database.engine)
    with platform.database.sessions.begin() as session:
        submitter = WitnessSubmitter(session, missing, timeout=FREEZE_TIMEOUT_SECONDS)
        stored = submitter.submit_latest(platform.clock())
    if submitter.failed:
        _log.warning(
            "lot %s: %s of %s witness(es) did not cosign the checkpoint covering its freeze"
            " (seq %s); the scheduler submits again at its next tick",
            lot_id,
            submitter.failed,
            len(witnesses),
            seq,
        )
    return FreezeWitnessing(seq, latest.size, stored, submitter.failed)


def cosigned_checkpoint(
    session: Session, covering: int | None = None
) -> tuple[StoredCheckpoint, list[WitnessCosignature]]:
    """The latest checkpoint and the cosignatures stored for it; with ``covering``, the
    earliest checkpoint of size >= covering that a witness cosigned (the evidence of
    when the transaction at seq ``covering`` existed, at the latest)."""
    ledger = LedgerRepository(connection_of(session))
    repository = WitnessRepository(session)
    if covering is None:
        latest = ledger.checkpoint()
        if latest is None:
            raise NotFound("no checkpoint has been made yet")
        return latest, repository.of_size(latest.size)
    size = repository.earliest_cosigned_size(covering)
    found = None if size is None else ledger.checkpoint(size)
    if size is None or found is None:
        raise NoCosignedCheckpoint(
            f"no witness has cosigned a checkpoint covering seq {covering} yet"
        )
    return found, repository.of_size(size)
