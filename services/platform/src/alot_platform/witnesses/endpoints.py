"""GET /api/ledger/checkpoint/cosigned: the latest checkpoint with its witnesses'
cosignatures (public, like the checkpoint itself); with ?covering=SEQ, the earliest
cosigned checkpoint covering that seq: the evidence of when a transaction (a lot's
freeze memo) existed at the latest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from alot_platform.auth.dependencies import SessionDep, public
from alot_platform.openapi_helpers import problems
from alot_platform.witnesses.schemas import CosignatureRead, CosignedCheckpoint
from alot_platform.witnesses.service import cosigned_checkpoint

MAX_SEQ = 2**53 - 1  # a seq any JSON client reads exactly
router = APIRouter(prefix="/api/ledger", tags=["ledger"])


@router.get(
    "/checkpoint/cosigned",
    dependencies=[Depends(public)],
    responses=problems(404),
    summary="A signed checkpoint with its witnesses' cosignatures",
    description="Without `covering`: the latest checkpoint and the cosignatures stored"
    " for it (possibly none yet). With `covering=SEQ`: the earliest checkpoint of size"
    " >= SEQ that a witness cosigned, so its cosignatures' timestamps bound when the"
    " transaction at SEQ existed; 404 `no_cosigned_checkpoint` when none covers it yet.",
)
def latest_cosigned_checkpoint(
    session: SessionDep,
    covering: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_SEQ,
            description="a ledger seq: the earliest cosigned checkpoint whose size >= it",
        ),
    ] = None,
) -> CosignedCheckpoint:
    checkpoint, cosignatures = cosigned_checkpoint(session, covering)
    return CosignedCheckpoint(
        origin=checkpoint.origin,
        size=checkpoint.size,
        note=checkpoint.note + "".join(c.cosignature for c in cosignatures),
        cosignatures=[
            CosignatureRead(
                witness=c.witness_name,
                witness_key=c.witness_key,
                cosigned_at=c.cosigned_at,
                line=c.cosignature,
            )
            for c in cosignatures
        ],
    )
